"""Source mixtures for blind source separation (Anirudh et al. 2020, §3.2): Y = |Mᵀ X|.

X (B, S, H, W) stacks S source images per mixture; one unknown mixing matrix M (S, O), entries drawn
from N(−0.5, 0.5²), is shared by all B mixtures — the blind setting: many observations of one unknown
process, from which the surrogate mixing network is learned jointly. Weights may be negative, and the
absolute value makes the mixing non-linear. O = 1 is the under-determined case, O = 4 the over-determined one.

The sources are mixed in [−1, 1] (X ↦ 2X − 1, the paper's image range). Mixed in [0, 1], |mᵀx| = |m|ᵀx
whenever a column m of M has one sign (≈ 60 % of the columns for S = 3), so most mixtures were linear and
"a mixing network beats the additive model" said little; in [−1, 1] the background is −1 and the
absolute value folds every mixture.
"""
from __future__ import annotations

import torch


def mix(x: torch.Tensor, n_obs: int, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """(mixtures Y (B, O, H, W), the mixing matrix M (S, O)) for sources ``x`` (B, S, H, W)."""
    if x.ndim != 4:
        raise ValueError(f"sources must be (B, S, H, W), got {tuple(x.shape)}")
    if not 1 <= n_obs <= 16:
        raise ValueError(f"observations per mixture must be in [1, 16], got {n_obs}")
    S = x.shape[1]
    M = (-0.5 + 0.5 * torch.randn(S, n_obs, generator=g, device=g.device)).to(x)
    return torch.einsum("so,bshw->bohw", M, 2 * x - 1).abs(), M
