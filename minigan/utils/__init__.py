"""minigan.utils: helpers outside the engine, laid out as torch.utils (``utils.data``)."""
from __future__ import annotations

from . import data

__all__ = ["data"]
