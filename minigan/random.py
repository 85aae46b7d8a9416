"""The process-wide random generator (a numpy.random.Generator), seeded by ``manual_seed``.

Random tensors are drawn on the CPU and then moved, so a seed gives the same numbers on
every device.
"""
from __future__ import annotations

import numpy as np

_gen = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Seed minigan's generator (as ``torch.manual_seed``); returns the new Generator."""
    global _gen
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"manual_seed expects an int, got {type(seed).__name__}")
    _gen = np.random.default_rng(int(seed))
    return _gen


def default_generator() -> np.random.Generator:
    """The Generator that ``randn``/``rand``/``nn.init`` draw from."""
    return _gen


def get_rng_state() -> dict:
    """The generator's state, to be saved in a checkpoint."""
    return _gen.bit_generator.state


def set_rng_state(state: dict) -> None:
    """Restore a state from ``get_rng_state``."""
    _gen.bit_generator.state = state
