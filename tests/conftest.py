import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from pathlib import Path

import pytest
import torch

from genprior_demo.device import seeded

from .tiny import tiny_prior  # noqa: F401  (re-exported for the tests)

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture
def gan():
    return tiny_prior("gan", 8, "uniform")


@pytest.fixture
def vae():
    return tiny_prior("vae", 6, "gaussian")


@pytest.fixture
def digit():
    """A smooth, digit-like test image (1, 1, 32, 32) in [0, 1] that needs no data set."""
    yy, xx = torch.meshgrid(torch.arange(32.0), torch.arange(32.0), indexing="ij")
    ring = torch.exp(-((((yy - 16) ** 2 + (xx - 16) ** 2).sqrt() - 8) ** 2) / 4)
    return ring.clamp(0, 1)[None, None]


@pytest.fixture
def rng():
    return seeded(1234)
