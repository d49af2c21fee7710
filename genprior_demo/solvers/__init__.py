"""Streaming solvers. Importing this package registers every method in :data:`METHODS`."""
from . import csgm  # noqa: F401  (registers)
from .base import METHODS, Method, Step, solve

__all__ = ["METHODS", "Method", "Step", "solve"]
