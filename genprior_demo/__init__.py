"""genprior_demo — imaging inverse problems with generative priors, as streaming solvers.

The Python API::

    import genprior_demo as gp

    prior = gp.load_prior("mnist-dcgan")
    problem = gp.make_problem(x, "cs-gaussian", {"m": 200}, noise=0.05, seed=0)  # x: (B, 1, 32, 32) in [0, 1]
    for step in (stream := gp.method_stream(problem, "csgm", prior, {"iters": 300})):
        print(step.iteration, step.residual)          # watch it live; stop = stop asking
    final = gp.solve(gp.method_stream(problem, "csgm", prior))  # or run to the end
    gp.psnr(final.x[0], problem.x[0])

Methods (``gp.METHODS``), operators (``gp.OPERATORS``) and generators (``gp.available()``) are
registries; every method is a generator ``iterate(problem, prior, cfg)`` yielding :class:`Step`.
"""
from .config import make_config, params_of
from .device import pick_device, seeded
from .generators import available, load_prior
from .generators.registry import load_uair
from .metrics import all_metrics, matched_psnr, psnr, ssim
from .physics import OPERATORS, LinearOperator, make_operator
from .pipeline import method_stream, step_metrics
from .problem import (BlindProblem, Problem, SeparationProblem, make_blind_problem, make_problem,
                      make_separation_problem)
from .solvers import METHODS, Emitter, Method, Step, solve

__all__ = [
    "Problem", "BlindProblem", "SeparationProblem", "make_problem", "make_blind_problem", "make_separation_problem",
    "METHODS", "Method", "Step", "Emitter", "method_stream", "solve", "step_metrics",
    "OPERATORS", "LinearOperator", "make_operator",
    "available", "load_prior", "load_uair",
    "make_config", "params_of", "psnr", "ssim", "matched_psnr", "all_metrics",
    "pick_device", "seeded",
]
