"""Inputs for the op tests, drawn with hypothesis: shapes (broadcasting included), values
from a NumPy generator seeded by hypothesis and moved away from an op's kinks, indices, and
the float64 tensors that require grad made from them."""
from __future__ import annotations

import hypothesis.extra.numpy as hnp
import hypothesis.strategies as st
import numpy as np

import minigan as mg

MAX_SIDE = 4


# ---- drawing shapes and values -----------------------------------------------------------
def draw_rng(data) -> np.random.Generator:
    return np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))


def draw_shape(data, min_dims: int = 0, max_dims: int = 3, min_side: int = 1) -> tuple:
    return data.draw(
        hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=MAX_SIDE),
        label="shape",
    )


def draw_broadcast_shapes(data, n: int = 2, min_dims: int = 0, max_dims: int = 3) -> tuple:
    """``n`` shapes that broadcast together (sizes 1 and missing leading dims included)."""
    shapes = data.draw(
        hnp.mutually_broadcastable_shapes(num_shapes=n, min_dims=min_dims, max_dims=max_dims,
                                          min_side=1, max_side=MAX_SIDE),
        label="shapes",
    )
    return shapes.input_shapes


def uniform(rng, shape, lo: float = -2.0, hi: float = 2.0) -> np.ndarray:
    return rng.uniform(lo, hi, size=shape)


def away_from(x: np.ndarray, points, gap: float = 0.15) -> np.ndarray:
    """``x`` with every value closer than ``gap`` to one of ``points`` pushed to distance ``gap``
    (kinks of relu, abs, clip... are then at least ``gap`` away, far beyond eps = 1e-6)."""
    x = np.array(x, dtype=np.float64)
    for p in points:
        d = x - p
        near = np.abs(d) < gap
        x[near] = p + np.where(d[near] >= 0, gap, -gap)
    return x


def nonzero(rng, shape, lo: float = 0.2, hi: float = 2.0) -> np.ndarray:
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(lo, hi, size=shape)


def untied_pair(rng, sa, sb) -> tuple[np.ndarray, np.ndarray]:
    """Two arrays with |a - b| >= 0.2 wherever they meet after broadcasting:
    a = n + u, b = m + 0.5 + v with integers n, m and u, v in [0, 0.3]."""
    a = rng.integers(-2, 2, size=sa) + rng.uniform(0, 0.3, size=sa)
    b = rng.integers(-2, 2, size=sb) + 0.5 + rng.uniform(0, 0.3, size=sb)
    return a.astype(np.float64), b.astype(np.float64)


def distinct(rng, shape) -> np.ndarray:
    """Values at least 0.4 apart from each other (no ties for max/min)."""
    n = int(np.prod(shape, dtype=np.int64))
    vals = rng.permutation(n) * 0.5 - n * 0.25 + rng.uniform(0, 0.1, size=n)
    return vals.reshape(shape)


def draw_axis(data, ndim: int, min_count: int = 0):
    """None, an int (maybe negative), or a tuple of distinct axes."""
    if ndim == 0:
        return data.draw(st.sampled_from([None, 0, -1, ()]), label="axis")
    single = st.integers(-ndim, ndim - 1)
    several = st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True).map(tuple)
    return data.draw(st.one_of(st.none(), single, several), label="axis")


def reduced_count(shape, axis) -> int:
    if axis is None:
        return int(np.prod(shape, dtype=np.int64))
    axes = (axis,) if isinstance(axis, int) else axis
    if not axes and len(shape) == 0:
        return 1
    if not axes:
        return int(np.prod(shape, dtype=np.int64))  # PyTorch reads dim=() as "all"
    return int(np.prod([shape[a % max(len(shape), 1)] if shape else 1 for a in axes], dtype=np.int64))


@st.composite
def basic_index(draw, shape):
    """A tuple of ints, slices, None and at most one Ellipsis that is valid for ``shape``."""
    items = []
    for s in shape:
        kind = draw(st.sampled_from(["int", "slice", "full", "none_then_slice"]))
        if kind == "int":
            items.append(draw(st.integers(-s, s - 1)))
        elif kind == "slice":
            start = draw(st.none() | st.integers(-s, s - 1))
            stop = draw(st.none() | st.integers(-s, s))
            step = draw(st.sampled_from([None, 1, 2, -1]))
            items.append(slice(start, stop, step))
        elif kind == "full":
            items.append(slice(None))
        else:
            items.extend([None, slice(None)])
    if items and draw(st.booleans()):  # replace a run of trailing full slices by an Ellipsis
        cut = draw(st.integers(0, len(items)))
        items = items[:cut] + [Ellipsis]
    return tuple(items)


def mg_inputs(arrays, dtype=np.float64):
    return tuple(mg.tensor(np.asarray(a, dtype=dtype), requires_grad=True) for a in arrays)
