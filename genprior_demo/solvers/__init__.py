"""Streaming solvers. Importing this package registers every method in :data:`METHODS`
(in this order, which the UI and the CLI list)."""
from . import csgm  # noqa: F401,I001  (registration order: generative methods first)
from . import iagan, npgd, pgd, relaxed, blind  # noqa: F401
from . import dip, classical, uair  # noqa: F401
from .base import METHODS, Emitter, Method, Step, solve

__all__ = ["METHODS", "Emitter", "Method", "Step", "solve"]
