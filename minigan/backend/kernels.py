"""Fused CUDA kernels for log-sigmoid and BCE-with-logits, launched on CuPy arrays.

The CUDA C sources live in the package ``minigan.kernels`` (the repository's ``kernels/``
folder). Each ``.cu`` file is compiled once per process with ``cupy.RawModule`` (memoized
here; CuPy's on-disk kernel cache avoids recompiling across processes). CuPy is imported
lazily inside the functions, so importing minigan never needs CuPy or a GPU.

All public functions take CuPy arrays that the caller has already broadcast to one shape
and one dtype and return a new array of that shape (0-d included), on the inputs' device.
The kernels exist for float32 and float64; float16 arrays are computed in float32 and the
result rounded to float16. Optional arrays (``weight``, ``pos_weight``, ``grad``) are passed
to the kernels as null pointers when absent.

Flush-to-zero: CuPy compiles every kernel with ``-ftz=true``, appended after the options
given here (cupy/cuda/compiler.py), so ``-ftz=false`` cannot undo it. In the float32 kernels
a subnormal input (|x| < 2**-126 ≈ 1.18e-38) reads as 0 and a subnormal result, or
intermediate, becomes 0: log σ(-100) is -3.8e-44 on the CPU and 0 on the device. float64 is
not affected. CuPy's own float32 elementwise kernels and reductions flush the same way.
"""

from __future__ import annotations

import functools
import importlib.resources
import math
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import cupy

__all__ = [
    "THREADS_PER_BLOCK",
    "bce_with_logits_backward",
    "bce_with_logits_forward",
    "kernel_source",
    "launch_config",
    "log_sigmoid_backward",
    "log_sigmoid_forward",
]

THREADS_PER_BLOCK = 256
BLOCKS_PER_SM = 32  # grid = min(ceil(n / 256), 32 * SMs); the grid-stride loop covers the rest
MAX_BLOCKS = 65535  # used when the SM count is unknown

# No fast-math and no fused multiply-add contraction, so each operation rounds as in the host
# tests (tests/test_kernels.py), except that CuPy adds -ftz=true (see the module docstring):
# float32 subnormals are flushed to zero on the device, and libdevice's expf/log1pf may
# differ from the host libm by an ulp or two.
NVRTC_OPTIONS = ("--fmad=false",)

_SUFFIX = {"float32": "f32", "float64": "f64"}
_INCLUDE = re.compile(r'^[ \t]*#[ \t]*include[ \t]*"([^"]+)"[ \t]*$', re.MULTILINE)


def _kernel_dir() -> Any:
    """The folder holding the .cu/.cuh files: the installed package ``minigan.kernels``, or
    the source checkout's ``kernels/`` when minigan runs from a tree that was not installed."""
    try:
        return importlib.resources.files("minigan.kernels")
    except ModuleNotFoundError:
        return Path(__file__).resolve().parents[2] / "kernels"


def kernel_source(filename: str) -> str:
    """The CUDA source of ``filename`` (e.g. ``"bce_with_logits.cu"``) with its local
    ``#include "x.cuh"`` headers inlined, as handed to NVRTC.

    Inlining (rather than ``-I``) keeps the header text inside the source CuPy hashes for its
    on-disk cache, so editing a header recompiles the kernels.
    """
    root = _kernel_dir()
    seen: set[str] = set()

    def expand(name: str) -> str:
        if name in seen:  # every header has an include guard; inline it once
            return ""
        seen.add(name)
        text = root.joinpath(name).read_text(encoding="utf-8")
        return _INCLUDE.sub(lambda m: expand(m.group(1)), text)

    return expand(filename)


@functools.cache
def _module(filename: str) -> cupy.RawModule:
    import cupy

    return cupy.RawModule(code=kernel_source(filename), options=NVRTC_OPTIONS)


@functools.cache
def _kernel(filename: str, name: str) -> Any:
    return _module(filename).get_function(name)


@functools.cache
def _sm_count(device_id: int) -> int:
    import cupy

    return int(cupy.cuda.runtime.getDeviceProperties(device_id)["multiProcessorCount"])


def launch_config(n: int, sm_count: int | None = None) -> tuple[int, int]:
    """(blocks, threads) for ``n`` elements: 256 threads, ``min(ceil(n / 256), 32 * SMs)``
    blocks (65535 when the SM count is unknown), at least one block."""
    cap = MAX_BLOCKS if sm_count is None else BLOCKS_PER_SM * sm_count
    blocks = max(1, min(math.ceil(n / THREADS_PER_BLOCK), cap))
    return blocks, THREADS_PER_BLOCK


def _contiguous(a: cupy.ndarray, dtype: Any) -> cupy.ndarray:
    """a, C-contiguous and of ``dtype``, with its shape (ascontiguousarray makes 0-d 1-d)."""
    import cupy

    with a.device:
        return cupy.ascontiguousarray(a, dtype=dtype).reshape(a.shape)


def _check(func: str, x: Any, **others: Any) -> dict[str, Any]:
    """Checks that x and every non-None array in ``others`` are CuPy arrays of x's shape,
    dtype (float16/float32/float64) and device; returns them C-contiguous, float16 ones as
    float32 (the kernels exist for float32 and float64)."""
    import cupy

    if not isinstance(x, cupy.ndarray):
        raise TypeError(
            f"{func}: x must be a cupy.ndarray on a CUDA device, got {type(x).__module__}."
            f"{type(x).__name__}"
        )
    if x.dtype.name not in _SUFFIX and x.dtype.name != "float16":
        raise TypeError(f"{func}: x has dtype {x.dtype}; the kernels take float32 or float64 "
                        "(and float16, computed in float32)")
    run_dtype = "float32" if x.dtype.name == "float16" else x.dtype
    checked = {"x": _contiguous(x, run_dtype)}
    for name, a in others.items():
        if a is None:
            checked[name] = None
            continue
        if not isinstance(a, cupy.ndarray):
            raise TypeError(
                f"{func}: {name} must be a cupy.ndarray on a CUDA device, got "
                f"{type(a).__module__}.{type(a).__name__}"
            )
        if a.dtype != x.dtype:
            raise TypeError(f"{func}: {name} has dtype {a.dtype} but x has dtype {x.dtype}")
        if a.shape != x.shape:
            raise ValueError(
                f"{func}: {name} has shape {a.shape} but x has shape {x.shape}; "
                "broadcast the inputs before calling the kernel"
            )
        if a.device.id != x.device.id:
            raise ValueError(
                f"{func}: {name} is on cuda:{a.device.id} but x is on cuda:{x.device.id}"
            )
        checked[name] = _contiguous(a, run_dtype)
    return checked


def _launch(filename: str, kernel: str, x: cupy.ndarray, args: tuple[Any, ...]) -> None:
    """Launches ``<kernel>_<f32|f64>`` over x.size elements; ``args`` end with the output."""
    import numpy

    n = x.size
    if n == 0:
        return
    with x.device:
        blocks, threads = launch_config(n, _sm_count(x.device.id))
        func = _kernel(filename, f"{kernel}_{_SUFFIX[x.dtype.name]}")
        func((blocks,), (threads,), (*args, numpy.int64(n)))


def log_sigmoid_forward(x: cupy.ndarray) -> cupy.ndarray:
    """log σ(x) = min(x, 0) - log1p(exp(-|x|)), elementwise."""
    a = _check("log_sigmoid_forward", x)
    out = _empty_like(a["x"])
    _launch("log_sigmoid.cu", "log_sigmoid_forward", a["x"], (a["x"], out))
    return _as_dtype(out, x.dtype)


def log_sigmoid_backward(x: cupy.ndarray, grad: cupy.ndarray | None = None) -> cupy.ndarray:
    """grad * σ(-x), the gradient of log σ(x) times the incoming gradient (1 when None)."""
    a = _check("log_sigmoid_backward", x, grad=grad)
    out = _empty_like(a["x"])
    _launch("log_sigmoid.cu", "log_sigmoid_backward", a["x"], (a["x"], a["grad"], out))
    return _as_dtype(out, x.dtype)


def bce_with_logits_forward(
    x: cupy.ndarray,
    y: cupy.ndarray,
    weight: cupy.ndarray | None = None,
    pos_weight: cupy.ndarray | None = None,
) -> cupy.ndarray:
    """Elementwise binary cross-entropy with logits, as PyTorch's
    ``binary_cross_entropy_with_logits(reduction="none")``:
    ``w * ((x >= 0 ? x (1 - y) : -x p y) + c log1p(exp(-|x|)))`` with ``c = 1 + (p - 1) y``,
    ``p = pos_weight`` (1 when None), ``w = weight`` (1 when None). Exact at x = ±inf.
    Reduce with ``out.mean()`` / ``out.sum()``.
    """
    a = _check("bce_with_logits_forward", x, y=y, weight=weight, pos_weight=pos_weight)
    out = _empty_like(a["x"])
    args = (a["x"], a["y"], a["weight"], a["pos_weight"], out)
    _launch("bce_with_logits.cu", "bce_with_logits_forward", a["x"], args)
    return _as_dtype(out, x.dtype)


def bce_with_logits_backward(
    x: cupy.ndarray,
    y: cupy.ndarray,
    weight: cupy.ndarray | None = None,
    pos_weight: cupy.ndarray | None = None,
    grad: cupy.ndarray | None = None,
    scale: float = 1.0,
) -> cupy.ndarray:
    """d loss / dx of :func:`bce_with_logits_forward`, times ``grad`` (elementwise, 1 when
    None) and ``scale`` (1/n for the mean reduction, 1 for sum/none):
    ``scale * grad * w * (x >= 0 ? (1 - y) - c s : c s - p y)`` with ``s = e / (1 + e)``,
    ``e = exp(-|x|)``.
    """
    a = _check(
        "bce_with_logits_backward", x, y=y, weight=weight, pos_weight=pos_weight, grad=grad
    )
    out = _empty_like(a["x"])
    scale_t = a["x"].dtype.type(scale)  # float for the f32 kernel, double for f64
    args = (a["x"], a["y"], a["weight"], a["pos_weight"], a["grad"], scale_t, out)
    _launch("bce_with_logits.cu", "bce_with_logits_backward", a["x"], args)
    return _as_dtype(out, x.dtype)


def _empty_like(x: cupy.ndarray) -> cupy.ndarray:
    import cupy

    with x.device:
        return cupy.empty(x.shape, dtype=x.dtype)


def _as_dtype(out: cupy.ndarray, dtype: Any) -> cupy.ndarray:
    if out.dtype == dtype:
        return out
    with out.device:
        return out.astype(dtype)
