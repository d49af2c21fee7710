"""Fold eval-mode BatchNorm into the preceding (transposed) convolution of a frozen generator.

y = γ (W∗x + b − μ)/√(σ² + ε) + β  becomes a single convolution with W' = W·s, b' = (b − μ)·s + β,
s = γ/√(σ² + ε): the same function with one layer fewer forward and backward (measured in
docs/BENCHMARKS.md). Only for inference / latent optimisation — never for training."""
from __future__ import annotations

import copy

import torch
from torch import nn


def fold_batchnorm(net: nn.Module) -> nn.Module:
    net = copy.deepcopy(net)
    for mod in net.modules():
        if not isinstance(mod, nn.Sequential):
            continue
        layers = list(mod)
        for i in range(len(layers) - 1):
            conv, bn = layers[i], layers[i + 1]
            if isinstance(bn, nn.BatchNorm2d) and isinstance(conv, (nn.Conv2d, nn.ConvTranspose2d)):
                s = bn.weight / torch.sqrt(bn.running_var + bn.eps)
                with torch.no_grad():
                    w = conv.weight
                    if isinstance(conv, nn.ConvTranspose2d):  # (in, out/groups, kh, kw)
                        w.mul_(s.view(1, -1, 1, 1))
                    else:                                    # (out, in, kh, kw)
                        w.mul_(s.view(-1, 1, 1, 1))
                    b = conv.bias if conv.bias is not None else torch.zeros_like(bn.running_mean)
                    new_b = (b - bn.running_mean) * s + bn.bias
                if conv.bias is None:
                    conv.bias = nn.Parameter(new_b, requires_grad=False)
                else:
                    conv.bias.data.copy_(new_b)
                mod[i + 1] = nn.Identity()
    return net
