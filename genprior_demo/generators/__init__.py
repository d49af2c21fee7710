from .prior import GenerativePrior
from .registry import SPECS, CheckpointError, available, build, load_prior

__all__ = ["GenerativePrior", "SPECS", "CheckpointError", "available", "build", "load_prior"]
