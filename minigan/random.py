"""The process-wide random generator (a numpy.random.Generator), seeded by ``manual_seed``.

Random tensors are drawn on the CPU and then moved, so a seed gives the same numbers on
every device.
"""
from __future__ import annotations

from typing import Any

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


def get_rng_state() -> dict[str, Any]:
    """The generator's state, to be saved in a checkpoint."""
    return dict(_gen.bit_generator.state)


def set_rng_state(state: dict) -> None:
    """Restore a state from ``get_rng_state``."""
    _gen.bit_generator.state = state


class Generator(np.random.Generator):
    """A seedable random generator, as ``torch.Generator``: ``Generator().manual_seed(s)``.

    It is a ``numpy.random.Generator`` (PCG64), so it can be passed as ``generator=`` to
    ``mg.randn``, ``nn.init`` and ``DataLoader``; seeded with ``s`` it gives the same
    numbers as ``mg.manual_seed(s)`` followed by the global functions.
    """

    def __init__(self, device: Any = "cpu") -> None:
        if str(device) != "cpu":
            raise RuntimeError(f"Generator: only 'cpu' generators exist in minigan, got device {device!r} "
                               "(random numbers are drawn on the CPU and moved)")
        super().__init__(np.random.PCG64())
        self._initial_seed: int | None = None

    def manual_seed(self, seed: int) -> "Generator":
        """Reseed in place; returns self (so ``Generator().manual_seed(0)`` chains)."""
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
            raise TypeError(f"manual_seed expected an int, got {type(seed).__name__}")
        self.bit_generator.state = np.random.PCG64(int(seed)).state
        self._initial_seed = int(seed)
        return self

    def initial_seed(self) -> int | None:
        """The seed given to ``manual_seed`` (None if never seeded)."""
        return self._initial_seed

    def get_state(self) -> dict[str, Any]:
        return dict(self.bit_generator.state)

    def set_state(self, state: dict) -> "Generator":
        self.bit_generator.state = state
        return self
