"""Deep Image Prior (Ulyanov, Vedaldi & Lempitsky, CVPR 2018), sized for a 2-core CPU.

min_θ ‖A f_θ(z₀) − y‖² over the weights of an untrained encoder–decoder f_θ with a fixed noise input
z₀ (plus a small jitter each step), Adam, the exponential average of the outputs as the estimate, and
early stopping by the discrepancy principle ‖A x − y‖ ≤ τ√m σ when the noise level σ is known.
The masked loss for inpainting is simply A = mask.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ..config import SEED_MAX, DIPConfig
from ..device import seeded, seeded_module
from .base import Emitter, StepStream, data_step, register


def _block(cin, cout, stride=1):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, padding_mode="reflect"), nn.BatchNorm2d(cout),
                         nn.LeakyReLU(0.2, True))


class DIPNet(nn.Module):
    """A small U-Net: ``depth`` stride-2 levels of ``width`` channels, 4-channel skips, bilinear up."""

    def __init__(self, cin: int, cout: int, width: int = 32, depth: int = 3, skip: int = 4):
        super().__init__()
        self.down = nn.ModuleList([nn.Sequential(_block(cin if i == 0 else width, width, 2), _block(width, width))
                                   for i in range(depth)])
        self.skips = nn.ModuleList([_block(cin if i == 0 else width, skip) for i in range(depth)])
        self.up = nn.ModuleList([nn.Sequential(_block(width + skip, width), _block(width, width, 1))
                                 for _ in range(depth)])
        self.out = nn.Conv2d(width, cout, 1)

    def forward(self, z):
        skips, h = [], z
        for d, s in zip(self.down, self.skips):
            skips.append(s(h))
            h = d(h)
        for u, s in zip(self.up, reversed(skips)):
            h = F.interpolate(h, size=s.shape[-2:], mode="bilinear", align_corners=False)
            h = u(torch.cat([h, s], 1))
        return torch.sigmoid(self.out(h))


def start_level(physics, y: torch.Tensor) -> float:
    """The grey level the network's output starts at: the mean of what is observed (the observed pixels
    for masks, else the naive inverse), in (0.02, 0.98). With sigmoid(0) = 0.5 instead, whatever the
    data term never reaches — a missing band — stayed mid-grey: DIP on Patch-Band was 4.5× worse
    (MSE) than its zero-filled input on black-background digits."""
    mask = physics.observed_mask()
    with torch.no_grad():
        if mask is not None:
            m = mask.expand_as(y[0])
            level = float((y * m).sum() / (m.sum() * y.shape[0]).clamp_min(1))
        else:
            level = float(physics.naive_inverse(y)[0].clamp(0, 1).mean())
    return min(max(level, 0.02), 0.98)


@register("dip", DIPConfig, needs_prior=False, title="Deep Image Prior",
          objective="min_θ ‖A f_θ(z₀) − y‖² (untrained network; EMA of outputs; early stop at ‖Ax−y‖ ≤ τ√m σ)",
          reference="Ulyanov, Vedaldi & Lempitsky, Deep Image Prior, CVPR 2018")
def dip(problem, prior=None, cfg: DIPConfig = DIPConfig()) -> StepStream:
    """Images of a batch are fitted one after the other (each has its own network)."""
    emit = Emitter(cfg.every)
    y, physics, sigma = problem.y, problem.physics, problem.sigma
    C, H, W = physics.in_shape
    depth = max(1, min(cfg.depth, int(math.log2(min(H, W))) - 2))
    g = seeded(cfg.seed)
    target = cfg.tau**2 * problem.noise_energy() if (cfg.early_stop and sigma > 0) else -1.0
    B = y.shape[0]
    out = torch.zeros((B, C, H, W), device=y.device)
    last_it = 0
    for b in range(B):
        init = seeded(int(torch.randint(0, SEED_MAX, (1,), generator=g)))  # the weights, from the seed
        net = seeded_module(lambda: DIPNet(32, C, cfg.width, depth), init, y.device)
        if cfg.start == "data":
            level = start_level(physics, y[b:b + 1])
            with torch.no_grad():
                net.out.bias.fill_(math.log(level / (1 - level)))  # sigmoid(bias) = level
        z0 = (torch.rand((1, 32, H, W), generator=g) * 0.1).to(y.device)  # paper: U(0, 0.1)
        opt = torch.optim.Adam(net.parameters(), lr=cfg.lr)
        ema = None
        yb = y[b:b + 1]
        for it in range(1, cfg.iters + 1):
            zin = z0 + cfg.jitter * torch.randn(z0.shape, generator=g).to(y.device) if cfg.jitter > 0 else z0
            opt.zero_grad(set_to_none=True)
            x = net(zin)
            loss = (physics.A(x) - yb).pow(2).sum()
            loss.backward()
            opt.step()
            xd = x.detach()
            # the average starts after its own horizon 1/(1-β): earlier outputs are still far from y
            warm = it <= round(1 / (1 - cfg.ema)) if cfg.ema > 0 else True
            ema = xd if ema is None or warm else cfg.ema * ema + (1 - cfg.ema) * xd
            stop = float(loss.detach()) <= target
            last_it = it
            if stop or it == cfg.iters:
                break
            if emit.due(it, cfg.iters):
                out[b:b + 1] = ema
                yield emit.now(lambda: data_step(it, out.clone(), problem, {"data": float(loss.detach())},
                                                 phase=f"image {b + 1}/{B}"))
                emit.resume()
        out[b:b + 1] = ema

    return emit.final(lambda: data_step(last_it, out, problem, stopped_early=last_it < cfg.iters))
