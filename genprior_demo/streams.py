"""Draining a Python generator to its return value — the one function every caller uses."""
from __future__ import annotations

from collections.abc import Generator
from typing import TypeVar

R = TypeVar("R")


def drain(stream: Generator[object, None, R]) -> R:
    """Run ``stream`` to the end, discarding what it yields, and return its return value."""
    while True:
        try:
            next(stream)
        except StopIteration as stop:
            return stop.value
