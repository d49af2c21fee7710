"""Command line: ``python -m genprior_demo {list,reconstruct,train,evaluate,bench}``."""
from __future__ import annotations

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
