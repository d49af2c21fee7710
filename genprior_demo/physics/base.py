"""Forward operators as objects: y = A(x) + noise, with A_adjoint, A_dagger and an adjointness check.

Images are tensors (B, C, H, W). Measurements have an operator-specific shape with the batch first.
Linear operators only: the adjoint defaults to autograd's vector–Jacobian product (exact for a linear
map) and the pseudo-inverse to CGLS, which from x0 = 0 converges to the minimum-norm least-squares
solution A†y. Subclasses override both with closed forms where they exist.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import torch

from ..streams import drain


def cg_iter(apply: Callable[[torch.Tensor], torch.Tensor], b: torch.Tensor, x0: torch.Tensor | None = None,
            iters: int = 100, tol: float = 1e-6):
    """Conjugate gradients for a symmetric positive semi-definite ``apply``, batched over dim 0.

    A generator: yields the iterate after each iteration (so solvers can stream it) and returns the
    last. Stops at relative residual ``tol`` (never below what the dtype can resolve) or on breakdown.
    """
    tol = max(tol, 1e-6 if b.dtype in (torch.float32, torch.float16, torch.bfloat16) else 1e-12)
    x = torch.zeros_like(b) if x0 is None else x0.clone()
    r = b - apply(x) if x0 is not None else b.clone()
    p = r.clone()
    dims = tuple(range(1, b.ndim))
    rs = (r * r).sum(dims, keepdim=True)
    b2 = (b * b).sum(dims, keepdim=True).clamp_min(1e-30)
    for _ in range(iters):
        if bool((rs <= tol**2 * b2).all()):
            break
        Ap = apply(p)
        pAp = (p * Ap).sum(dims, keepdim=True)
        if not bool((pAp > 0).any()):
            break  # converged to machine precision or breakdown on the null space
        alpha = torch.where(pAp > 0, rs / pAp.clamp_min(1e-30), torch.zeros_like(pAp))
        x = x + alpha * p
        r = r - alpha * Ap
        rs_new = (r * r).sum(dims, keepdim=True)
        p = r + (rs_new / rs.clamp_min(1e-30)) * p
        rs = rs_new
        yield x
    return x


def cg(apply: Callable[[torch.Tensor], torch.Tensor], b: torch.Tensor, x0: torch.Tensor | None = None,
       iters: int = 100, tol: float = 1e-6) -> torch.Tensor:
    """Run :func:`cg_iter` to the end and return the solution."""
    return drain(cg_iter(apply, b, x0, iters, tol))


class LinearOperator:
    """Base class. Subclasses implement :meth:`A` and, where they can, faster closed forms.

    Attributes
    ----------
    name : registry name.  in_shape : (C, H, W) of x.  noise_sigma : noise that is part of the
    operator's definition (e.g. Convolve-Noise's σ_C), a constant: :meth:`total_sigma` adds it to the
    user's σ. An operator keeps no state of any measurement: the noise of an observation lives in the
    :class:`~genprior_demo.problem.Problem`.

    Capabilities (instead of callers testing types or names): :attr:`kernel` (a convolution's kernel,
    else None), :attr:`is_blur` (a convolution with a low-pass kernel that Wiener can invert),
    :meth:`observed_mask` (which pixels are observed, for masks), :meth:`naive_inverse` (the textbook
    inverse with its label).
    """

    name = "linear"
    full_row_rank = False  # A A^T invertible, so A A_dagger y = y for every y

    def __init__(self, in_shape: tuple[int, int, int], device: torch.device | str = "cpu"):
        self.in_shape = tuple(int(s) for s in in_shape)
        self.device = torch.device(device)
        self.noise_sigma = 0.0  # noise that belongs to the operator itself (constant)
        self.params: dict[str, Any] = {}

    # --- the operator -------------------------------------------------------------------------
    def A(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError(f"{type(self).__name__} must implement A")

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self.A(x)

    def A_adjoint(self, y: torch.Tensor) -> torch.Tensor:
        """Aᵀy via autograd (exact for a linear A)."""
        x = torch.zeros((y.shape[0], *self.in_shape), device=y.device, dtype=y.dtype, requires_grad=True)
        with torch.enable_grad():
            (g,) = torch.autograd.grad(self.A(x), x, y)
        return g

    def A_dagger(self, y: torch.Tensor, iters: int = 200, tol: float = 1e-6) -> torch.Tensor:
        """Minimum-norm least-squares solution by CG on AᵀA x = Aᵀy from x0 = 0."""
        return cg(lambda v: self.A_adjoint(self.A(v)), self.A_adjoint(y), iters=iters, tol=tol)

    def AtA(self, x: torch.Tensor) -> torch.Tensor:
        return self.A_adjoint(self.A(x))

    # --- measurement ----------------------------------------------------------------------------
    def total_sigma(self, sigma: float = 0.0) -> float:
        return math.sqrt(float(sigma) ** 2 + self.noise_sigma**2)

    def measure(self, x: torch.Tensor, sigma: float = 0.0, generator: torch.Generator | None = None) -> torch.Tensor:
        """y = A x + n, n ~ N(0, σ² + σ_op²) drawn from ``generator`` (explicit seed), on the entries
        that carry a measurement only (:meth:`measured`: a missing pixel is not measured, so it has no
        noise — before 2026-12-02 it had, and DIP's discrepancy target was unreachable). Stores nothing."""
        y = self.A(x)
        s = self.total_sigma(sigma)
        if s > 0:
            if generator is None:
                raise ValueError("noisy measurement needs an explicit torch.Generator")
            noise = torch.randn(y.shape, generator=generator, device=generator.device, dtype=y.dtype).to(y.device)
            keep = self.measured()
            y = y + s * (noise if keep is None else noise * keep)
        return y

    def measured(self) -> torch.Tensor | None:
        """0/1 over y's entries (broadcastable to one observation) marking those that carry a
        measurement; None when every entry does. Masks and subsampled Fourier store zeros elsewhere."""
        return None

    def measurement_count(self) -> int:
        """How many entries of one observation carry a measurement (the m of ‖Ax − y‖ ≈ σ√m)."""
        shape = self.A(torch.zeros((1, *self.in_shape), device=self.device)).shape[1:]
        keep = self.measured()
        return shape.numel() if keep is None else int(keep.expand(shape).sum())

    def norm(self, iters: int = 30, seed: int = 0) -> float:
        """‖A‖₂ (largest singular value) by power iteration on AᵀA, cached."""
        if getattr(self, "_norm", None) is None:
            v = torch.randn((1, *self.in_shape), generator=torch.Generator().manual_seed(seed)).to(self.device)
            s = 0.0
            for _ in range(iters):
                v = v / v.norm().clamp_min(1e-30)
                w = self.AtA(v)
                s = float(w.norm())
                v = w
            self._norm = s ** 0.5
        return self._norm

    def regularised_dagger(self, r: torch.Tensor, eta: float = 0.0, iters: int = 100) -> torch.Tensor:
        """Aᵀ(AAᵀ + ηI)⁻¹ r = (AᵀA + ηI)⁻¹ Aᵀ r; the pseudo-inverse A† for η = 0."""
        if eta <= 0:
            return self.A_dagger(r)
        return cg(lambda v: self.AtA(v) + eta * v, self.A_adjoint(r), iters=iters)

    # --- capabilities ---------------------------------------------------------------------------
    kernel: torch.Tensor | None = None  # a convolution's kernel (Convolution sets it)

    @property
    def is_blur(self) -> bool:
        """A convolution whose kernel sums to 1 (low-pass): Wiener deconvolution applies. False for
        edge maps (their response vanishes at frequency 0) and for every non-convolution."""
        return self.kernel is not None and abs(float(self.kernel.sum()) - 1.0) < 1e-3

    def observed_mask(self) -> torch.Tensor | None:
        """(C, H, W) with 1 where a pixel is observed, for operators that only remove pixels; else None."""
        return None

    def naive_inverse(self, y: torch.Tensor) -> tuple[torch.Tensor, str]:
        """The textbook inverse and its label: A†y here; subclasses: bicubic, filtered back-projection."""
        return self.A_dagger(y), "pseudo-inverse A†y"

    def observation_image(self, y: torch.Tensor) -> tuple[torch.Tensor, str]:
        """A displayable picture of y (first item of the batch) in [0, 1] and a caption."""
        if y.ndim == 4 and tuple(y.shape[1:]) == self.in_shape:
            return y[:1].clamp(0, 1), "observation y"
        return self.A_dagger(y[:1]).clamp(0, 1), "measurements only — shown: A†y"

    def to(self, device) -> "LinearOperator":
        self.device = torch.device(device)
        for k, v in list(vars(self).items()):
            if isinstance(v, torch.Tensor):
                setattr(self, k, v.to(device))
        return self

    def __repr__(self) -> str:
        ps = ", ".join(f"{k}={v}" for k, v in self.params.items())
        return f"{self.name}({ps})"


def adjointness_error(op: LinearOperator, generator: torch.Generator, batch: int = 2) -> float:
    """|⟨Ax, y⟩ − ⟨x, Aᵀy⟩| / (‖Ax‖‖y‖) for random x, y: ≈ 1e-7 in float32 for a true adjoint."""
    x = torch.randn((batch, *op.in_shape), generator=generator).to(op.device)
    Ax = op.A(x)
    y = torch.randn(Ax.shape, generator=generator).to(op.device)
    lhs = (Ax * y).sum()
    rhs = (x * op.A_adjoint(y)).sum()
    return float((lhs - rhs).abs() / (Ax.norm() * y.norm()).clamp_min(1e-30))


@dataclass(frozen=True)
class Param:
    """One operator parameter: default and the range the UI and the CLI accept."""

    name: str
    default: Any
    lo: float | None = None
    hi: float | None = None
    step: float | None = None
    help: str = ""
    choices: tuple | None = None
    log: bool = False  # spans decades: the UI shows a number box, not a slider

    @property
    def is_int(self) -> bool:
        return isinstance(self.default, int) and not isinstance(self.default, bool) and self.choices is None

    def parse(self, value: Any) -> Any:
        """Validate and convert (from str or number); raise ValueError with a clear message."""
        if self.choices is not None:
            for c in self.choices:
                if str(value).lower() == str(c).lower():
                    return c
            raise ValueError(f"{self.name} must be one of {', '.join(map(str, self.choices))}, got {value!r}")
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"{self.name} must be a number, got {value!r}") from None
        if not math.isfinite(v):
            raise ValueError(f"{self.name} must be finite, got {value!r}")
        if self.is_int:
            if v != int(v):
                raise ValueError(f"{self.name} must be a whole number, got {value!r}")
            v = int(v)
        if (self.lo is not None and v < self.lo) or (self.hi is not None and v > self.hi):
            raise ValueError(f"{self.name} must be in [{self.lo}, {self.hi}], got {value!r}")
        return v


@dataclass(frozen=True)
class OperatorSpec:
    name: str
    factory: Callable[..., LinearOperator]
    params: tuple[Param, ...] = ()
    description: str = ""
    reference: str = ""
    random: bool = False  # drawn from the seed (masks, CS matrices)

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}


class Scaled(LinearOperator):
    """c·A for an operator A: the same measurements in other units. Duff et al.'s comparison needs σ and λ
    to mean the same across problems; ``Scaled(op, 1 / op.norm())`` gives ‖A‖ = 1 (a Radon transform's
    sums are ~30× larger than a blur's outputs)."""

    def __init__(self, op: LinearOperator, c: float):
        super().__init__(op.in_shape, op.device)
        self.op, self.c = op, float(c)
        self.name, self.params = op.name, {**op.params, "scale": round(self.c, 6)}
        self.noise_sigma = op.noise_sigma * self.c
        self.full_row_rank = op.full_row_rank

    def A(self, x):
        return self.op.A(x) * self.c

    def A_adjoint(self, y):
        return self.op.A_adjoint(y) * self.c

    def A_dagger(self, y, iters: int = 200, tol: float = 1e-6):
        return self.op.A_dagger(y / self.c, iters, tol)  # (cA)† = A† / c

    def measured(self):
        return self.op.measured()

    def observed_mask(self):
        return self.op.observed_mask()

    def naive_inverse(self, y):
        return self.op.naive_inverse(y / self.c)

    def observation_image(self, y):
        return self.op.observation_image(y / self.c)
