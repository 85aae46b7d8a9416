"""Shape ops: reshape, permute, expand, indexing, cat, stack, and device/dtype moves."""
from __future__ import annotations

import math

import numpy as np

from ..backend import get_array_module
from ..backend.device import to_device
from ..tensor import Tensor, _apply, _index_arrays
from ._util import Op, normalize_axes, unbroadcast


class Reshape(Op):
    name = "reshape"
    is_view = True

    @staticmethod
    def forward(shape, a):
        return a.reshape(shape)

    @staticmethod
    def backward(out, g):
        return g.reshape(out._parents[0].array.shape)


class Permute(Op):
    name = "permute"
    is_view = True

    @staticmethod
    def forward(perm, a):
        return a.transpose(perm)

    @staticmethod
    def backward(out, g):
        perm = out._ctx
        inv = [0] * len(perm)
        for i, p in enumerate(perm):
            inv[p] = i
        return _apply(Permute, tuple(inv), g)


class Expand(Op):
    name = "expand"
    is_view = True

    @staticmethod
    def forward(shape, a):
        return get_array_module(a).broadcast_to(a, shape)

    @staticmethod
    def backward(out, g):
        return unbroadcast(g, out._parents[0].array.shape)


def _is_basic(idx) -> bool:
    """True for ints, slices, None and Ellipsis: such an index never repeats an element."""
    items = idx if isinstance(idx, tuple) else (idx,)
    for i in items:
        if not (i is None or i is Ellipsis or isinstance(i, (int, np.integer, slice))) or isinstance(i, bool):
            return False
    return True


def _is_mask_or_basic(idx) -> bool:
    items = idx if isinstance(idx, tuple) else (idx,)
    for i in items:
        if isinstance(i, (np.ndarray,)) or hasattr(i, "dtype"):
            if i.dtype != bool:
                return False
        elif not (i is None or i is Ellipsis or isinstance(i, (int, np.integer, slice))):
            return False
    return True


def _check_bounds(idx, shape) -> None:
    """IndexError, as NumPy raises, for an integer-array index out of range of its axis
    (one device synchronisation per integer array)."""
    items = idx if isinstance(idx, tuple) else (idx,)
    is_mask = [getattr(getattr(i, "dtype", None), "kind", None) == "b" for i in items]
    used = sum(i.ndim if m else 0 if i is None or i is Ellipsis else 1 for i, m in zip(items, is_mask))
    axis = 0
    for i, mask in zip(items, is_mask):
        if i is Ellipsis:
            axis += len(shape) - used
        elif mask:
            axis += i.ndim
        elif i is not None:
            if hasattr(i, "dtype") and i.dtype.kind in "iu" and i.size and axis < len(shape):
                n = shape[axis]
                if bool(((i >= n) | (i < -n)).any()):
                    raise IndexError(f"index out of bounds for axis {axis} with size {n}")
            axis += 1


class Index(Op):
    name = "index"
    is_view = True

    @staticmethod
    def forward(idx, a):
        try:
            if type(a) is not np.ndarray:
                _check_bounds(idx, a.shape)  # CuPy wraps out-of-range integer arrays around
            return a[idx]
        except IndexError as exc:
            raise IndexError(f"index {idx!r} is invalid for a tensor of shape {tuple(a.shape)}: {exc}") from None

    @staticmethod
    def backward(out, g):
        a = out._parents[0]
        return _apply(IndexAdd, (a.array.shape, out._ctx), g)


class IndexAdd(Op):
    """zeros(shape) with g added at idx (repeated indices accumulate): the adjoint of indexing."""

    name = "index_add"

    @staticmethod
    def forward(ctx, g):
        shape, idx = ctx
        xp = get_array_module(g)
        z = xp.zeros(shape, dtype=g.dtype)
        if _is_mask_or_basic(idx):
            z[idx] = g
        elif xp is np:
            np.add.at(z, idx, g)
        else:
            import cupyx

            cupyx.scatter_add(z, idx, g)
        return z

    @staticmethod
    def backward(out, g):
        return _apply(Index, out._ctx[1], g)


class Embedding(Op):
    """weight[indices] (rows of a lookup table); the gradient adds g into the rows that were
    looked up (repeats accumulate), except the ``padding_idx`` row, which gets none."""

    name = "embedding"

    @staticmethod
    def forward(ctx, w):
        return w[ctx[0]]

    @staticmethod
    def backward(out, g):
        idx, padding_idx = out._ctx
        if padding_idx is not None:
            keep = (idx != padding_idx)[..., None].astype(g.array.dtype)
            g = g * Tensor._wrap(keep)
        return _apply(IndexAdd, (out._parents[0].array.shape, idx), g)


class Cat(Op):
    name = "cat"

    @staticmethod
    def forward(axis, *arrays):
        xp = get_array_module(*arrays)
        try:
            return xp.concatenate(arrays, axis=axis)
        except ValueError:
            shapes = ", ".join(str(tuple(a.shape)) for a in arrays)
            raise ValueError(f"cat: shapes {shapes} differ outside dimension {axis}") from None

    @staticmethod
    def backward(out, g):
        axis = out._ctx
        grads = []
        start = 0
        lead = (slice(None),) * axis
        for p in out._parents:
            stop = start + p.array.shape[axis]
            grads.append(_apply(Index, lead + (slice(start, stop),), g) if p._rg else None)
            start = stop
        return tuple(grads)


class ToCopy(Op):
    name = "to"

    @staticmethod
    def forward(ctx, a):
        device, dtype = ctx
        out = to_device(a, device)
        out = out.astype(dtype, copy=out is a)
        return out

    @staticmethod
    def backward(out, g):
        a = out._parents[0]
        return g.to(device=a.device, dtype=a.array.dtype)


class Clone(Op):
    name = "clone"

    @staticmethod
    def forward(ctx, a):
        return a.copy()

    @staticmethod
    def backward(out, g):
        return g


# ---- user-facing functions ---------------------------------------------------------
def _shape_arg(shape) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


def reshape(x: Tensor, *shape) -> Tensor:
    """The same elements in a new shape (one dimension may be -1)."""
    shape = _shape_arg(shape)
    if shape == x.array.shape:
        return x
    n = x.array.size
    known = math.prod(s for s in shape if s != -1)
    if shape.count(-1) > 1 or (-1 not in shape and known != n) or (-1 in shape and (known == 0 or n % known)):
        raise ValueError(f"cannot reshape a tensor of shape {tuple(x.shape)} ({n} elements) into {shape}")
    return _apply(Reshape, shape, x)


def permute(x: Tensor, *dims) -> Tensor:
    """Reorder the dimensions."""
    dims = _shape_arg(dims)
    if sorted(d % max(x.ndim, 1) for d in dims) != list(range(x.ndim)):
        raise ValueError(f"permute: {dims} is not a permutation of the {x.ndim} dimensions of {tuple(x.shape)}")
    return _apply(Permute, tuple(d % x.ndim for d in dims), x)


def transpose(x: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap two dimensions."""
    nd = x.array.ndim
    if nd == 0:
        normalize_axes(dim0, nd), normalize_axes(dim1, nd)  # only 0 and -1 are valid
        return x
    (d0,) = normalize_axes(dim0, nd)
    (d1,) = normalize_axes(dim1, nd)
    perm = list(range(nd))
    perm[d0], perm[d1] = perm[d1], perm[d0]
    return _apply(Permute, tuple(perm), x)


def expand(x: Tensor, *sizes) -> Tensor:
    """Broadcast to ``sizes`` (a -1 keeps that dimension), without copying."""
    sizes = _shape_arg(sizes)
    lead = len(sizes) - x.array.ndim
    if lead < 0:
        raise ValueError(f"expand: cannot expand shape {tuple(x.shape)} to fewer dimensions {sizes}")
    shape = tuple(x.array.shape[i - lead] if s == -1 and i >= lead else s for i, s in enumerate(sizes))
    if shape == x.array.shape:
        return x
    for i, s in enumerate(x.array.shape):
        if s != 1 and s != shape[i + lead]:
            raise ValueError(f"expand: shape {tuple(x.shape)} cannot be broadcast to {shape}")
    return _apply(Expand, shape, x)


def broadcast_to(x: Tensor, shape) -> Tensor:
    """Broadcast to ``shape``, as numpy.broadcast_to."""
    return expand(x, tuple(shape))


def squeeze(x: Tensor, dim=None) -> Tensor:
    """Drop dimensions of size 1 (only ``dim`` when given, if it has size 1)."""
    if dim is None:
        shape = tuple(s for s in x.array.shape if s != 1)
    else:
        axes = normalize_axes(dim, x.array.ndim)
        shape = tuple(s for i, s in enumerate(x.array.shape) if not (i in axes and s == 1))
    return reshape(x, shape)


def unsqueeze(x: Tensor, dim: int) -> Tensor:
    """Insert a dimension of size 1 at ``dim``."""
    nd = x.array.ndim + 1
    if not -nd <= dim < nd:
        raise IndexError(f"unsqueeze: dimension {dim} is out of range for a result of {nd} dimensions")
    dim %= nd
    shape = x.array.shape[:dim] + (1,) + x.array.shape[dim:]
    return _apply(Reshape, shape, x)


def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dimensions start_dim..end_dim into one."""
    if x.array.ndim == 0:
        return reshape(x, (1,))
    s, e = normalize_axes((start_dim,), x.ndim)[0], normalize_axes((end_dim,), x.ndim)[0]
    shape = x.array.shape
    return reshape(x, shape[:s] + (math.prod(shape[s:e + 1]),) + shape[e + 1:])


def _is_int(i) -> bool:
    if isinstance(i, (bool, np.bool_)):
        return False
    return isinstance(i, (int, np.integer)) or (getattr(i, "ndim", None) == 0 and i.dtype.kind in "iu")


def split_index(idx):
    """PyTorch's placement of advanced-index axes, as two NumPy indexes (first, second), or
    None when NumPy's rule already agrees. PyTorch applies integers first (each selects, as
    x[0]), then the arrays, lists and masks; NumPy counts an integer as one more advanced
    index when an array is present, which moves the advanced axes: x[0, :, [0, 1]] of a
    (2, 3, 4) tensor is (3, 2) in PyTorch and (2, 3) in NumPy. ``first`` holds only ints,
    slices, None and Ellipsis (a view); ``second`` indexes its result."""
    items = idx if isinstance(idx, tuple) else (idx,)
    if not any(_is_int(i) for i in items) or not any(hasattr(i, "ndim") and not _is_int(i) for i in items):
        return None
    first, second = [], []
    for i in items:
        if _is_int(i):
            first.append(int(i))
        elif hasattr(i, "ndim") or isinstance(i, bool):  # an array, a mask, or a bool scalar
            # an integer array takes one dimension of x, a mask as many as it has, a bool none
            n = 0 if isinstance(i, bool) else i.ndim if i.dtype.kind == "b" else 1
            first.extend([slice(None)] * n)
            second.append(i)
        elif i is Ellipsis:
            first.append(i)
            second.append(i)
        else:  # a slice or None: one dimension of first's result, taken whole by second
            first.append(i)
            second.append(slice(None))
    return tuple(first), tuple(second)


def index(x: Tensor, idx) -> Tensor:
    """x[idx]: ints, slices, None, Ellipsis, integer arrays (repeats accumulate) and boolean
    masks, with PyTorch's placement of the advanced-index axes (see split_index)."""
    idx = _index_arrays(idx)
    if not isinstance(idx, tuple) and type(x.array) is not np.ndarray and isinstance(idx, np.ndarray):
        with x.array.device:
            idx = get_array_module(x.array).asarray(idx)
    split = split_index(idx)
    if split is not None:
        return _apply(Index, split[1], _apply(Index, split[0], x))
    return _apply(Index, idx, x)


def cat(tensors, dim: int = 0) -> Tensor:
    """Join tensors along an existing dimension."""
    tensors = tuple(tensors)
    if not tensors:
        raise ValueError("cat: expected a non-empty sequence of tensors")
    nd = tensors[0].array.ndim
    if nd == 0:
        raise ValueError("cat: zero-dimensional tensors cannot be concatenated (use stack)")
    for t in tensors:
        if t.array.ndim != nd:
            shapes = ", ".join(str(tuple(t.shape)) for t in tensors)
            raise ValueError(f"cat: tensors must have the same number of dimensions, got shapes {shapes}")
    (axis,) = normalize_axes(dim, nd)
    return _apply(Cat, axis, *tensors)


def stack(tensors, dim: int = 0) -> Tensor:
    """Join tensors of one shape along a new dimension."""
    tensors = tuple(tensors)
    if not tensors:
        raise ValueError("stack: expected a non-empty sequence of tensors")
    shape = tensors[0].array.shape
    for t in tensors:
        if t.array.shape != shape:
            shapes = ", ".join(str(tuple(t.shape)) for t in tensors)
            raise ValueError(f"stack: tensors must all have one shape, got {shapes}")
    return cat([unsqueeze(t, dim) for t in tensors], dim)


def repeat(x: Tensor, *sizes) -> Tensor:
    """Tile ``x`` ``sizes[i]`` times along each dimension (as torch.Tensor.repeat; extra
    leading sizes add dimensions): an expand of interleaved size-1 axes, then a reshape."""
    sizes = _shape_arg(sizes)
    if len(sizes) < x.array.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions "
                           f"of tensor (repeat dims {sizes}, tensor shape {tuple(x.shape)})")
    shape = (1,) * (len(sizes) - x.array.ndim) + x.array.shape
    spread = tuple(v for s in shape for v in (1, s))  # (1, s0, 1, s1, ...)
    tiled = tuple(v for r, s in zip(sizes, shape) for v in (r, s))  # (r0, s0, r1, s1, ...)
    return reshape(expand(reshape(x, spread), tiled), tuple(r * s for r, s in zip(sizes, shape)))


def split(x: Tensor, split_size_or_sections, dim: int = 0) -> tuple:
    """Views of consecutive pieces along ``dim``: of ``split_size`` each (the last may be
    smaller), or of the given list of sizes (as torch.split)."""
    (d,) = normalize_axes(dim, x.array.ndim)
    n = x.array.shape[d]
    if isinstance(split_size_or_sections, (int, np.integer)):
        step = int(split_size_or_sections)
        if step <= 0 and n:
            raise RuntimeError(f"split expects split_size be non-negative, but got split_size={step}")
        sizes = [min(step, n - i) for i in range(0, n, step)] if n else [0]
    elif isinstance(split_size_or_sections, (list, tuple)) and all(
            isinstance(s, (int, np.integer)) for s in split_size_or_sections):
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != n or any(s < 0 for s in sizes):
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's "
                               f"size at dimension {dim}), but got split_sizes={sizes}")
    else:
        raise TypeError(f"split(): split_size_or_sections must be an int or a list of ints, "
                        f"not {type(split_size_or_sections).__name__}")
    lead = (slice(None),) * d
    starts = np.cumsum([0, *sizes[:-1]]).tolist()
    return tuple(index(x, (*lead, slice(a, a + s))) for a, s in zip(starts, sizes))


def chunk(x: Tensor, chunks: int, dim: int = 0) -> tuple:
    """At most ``chunks`` pieces of ceil(size / chunks) along ``dim`` (as torch.chunk)."""
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    (d,) = normalize_axes(dim, x.array.ndim)
    return split(x, max(-(-x.array.shape[d] // chunks), 1), dim)
