"""``minigan.cuda``, laid out as ``torch.cuda``: is the GPU there, how many, and the legacy
``cuda.FloatTensor`` constructors. The device itself lives in ``minigan.backend.cuda``."""
from __future__ import annotations

from .backend.cuda import device_count, is_available, require, unavailable_reason
from .tensor_types import cuda_types

FloatTensor = cuda_types["FloatTensor"]
DoubleTensor = cuda_types["DoubleTensor"]
HalfTensor = cuda_types["HalfTensor"]
LongTensor = cuda_types["LongTensor"]
IntTensor = cuda_types["IntTensor"]
ByteTensor = cuda_types["ByteTensor"]
BoolTensor = cuda_types["BoolTensor"]

__all__ = [
    "BoolTensor", "ByteTensor", "DoubleTensor", "FloatTensor", "HalfTensor", "IntTensor", "LongTensor",
    "device_count", "is_available", "manual_seed", "manual_seed_all", "require", "unavailable_reason",
]


def manual_seed(seed: int) -> None:
    """Accepted for PyTorch code and does nothing: minigan draws every random number on the
    CPU from the generator that ``mg.manual_seed`` seeds, then moves it to the device."""
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise TypeError(f"manual_seed expected an int, got {type(seed).__name__}")


manual_seed_all = manual_seed
