"""Datasets and batching, as torch.utils.data: Dataset, TensorDataset, samplers, DataLoader.

    loader = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, drop_last=True,
                        generator=mg.Generator().manual_seed(0))
    for xb, yb in loader: ...

Shuffling draws one permutation per epoch from ``generator`` (else from minigan's global
generator, so ``mg.manual_seed`` fixes the order). Batches are loaded in the calling
process; ``num_workers`` is accepted and changes nothing but speed in PyTorch, so here
it changes nothing at all.
"""
from __future__ import annotations

import collections.abc
import math
import numbers
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from ..backend.device import get_array_module
from ..creation import tensor as _tensor
from ..ops.shape import stack
from ..random import default_generator
from ..tensor import Tensor

__all__ = [
    "BatchSampler", "ConcatDataset", "DataLoader", "Dataset", "RandomSampler", "Sampler",
    "SequentialSampler", "Subset", "SubsetRandomSampler", "TensorDataset", "default_collate",
    "default_convert", "random_split",
]


# ---- datasets ------------------------------------------------------------------------
class Dataset:
    """A map-style dataset: subclasses define ``__getitem__(index)`` and ``__len__``."""

    def __getitem__(self, index):
        raise NotImplementedError(
            f"Subclasses of Dataset should implement __getitem__ ({type(self).__name__} does not)"
        )

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class TensorDataset(Dataset):
    """Samples are tuples ``(t[i] for t in tensors)``; every tensor has the same first size."""

    def __init__(self, *tensors: Tensor) -> None:
        for i, t in enumerate(tensors):
            if not isinstance(t, Tensor):
                raise TypeError(f"TensorDataset: argument {i} must be a Tensor, not {type(t).__name__}")
            if t.ndim == 0:
                raise ValueError(f"TensorDataset: argument {i} is a 0-d tensor; it needs a first dimension")
        sizes = [t.shape[0] for t in tensors]
        if len(set(sizes)) > 1:
            raise ValueError(f"Size mismatch between tensors: their first dimensions are {sizes}")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0] if self.tensors else 0


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset: Dataset, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __len__(self) -> int:
        return len(self.indices)


class ConcatDataset(Dataset):
    """The samples of several datasets one after another."""

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("datasets should not be an empty iterable")
        self.cumulative_sizes = list(np.cumsum([len(d) for d in self.datasets]))  # type: ignore[arg-type]

    def __len__(self) -> int:
        return int(self.cumulative_sizes[-1])

    def __getitem__(self, idx: int):
        n = len(self)
        if idx < 0:
            if -idx > n:
                raise ValueError("absolute value of index should not exceed dataset length")
            idx += n
        d = int(np.searchsorted(self.cumulative_sizes, idx, side="right"))
        if d >= len(self.datasets):
            raise IndexError(f"index {idx} is out of range for a dataset of length {n}")
        start = 0 if d == 0 else int(self.cumulative_sizes[d - 1])
        return self.datasets[d][idx - start]


def random_split(dataset: Dataset, lengths: Sequence, generator=None) -> list[Subset]:
    """Split into non-overlapping Subsets of the given lengths (or fractions summing to 1)."""
    n = len(dataset)  # type: ignore[arg-type]  # a map-style dataset has a length
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        counts = [math.floor(n * f) for f in lengths]
        for i in range(n - sum(counts)):  # the remainder goes round-robin, as in PyTorch
            counts[i % len(counts)] += 1
        lengths = counts
    if sum(lengths) != n:
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    perm = (generator or default_generator()).permutation(n).tolist()
    out, start = [], 0
    for k in lengths:
        out.append(Subset(dataset, perm[start:start + k]))
        start += k
    return out


# ---- samplers --------------------------------------------------------------------------
class Sampler:
    """Iterates over dataset indices."""

    def __iter__(self) -> Iterator[Any]:  # indices, or lists of them (BatchSampler)
        raise NotImplementedError


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


def _check_generator(generator):
    if generator is not None and not isinstance(generator, np.random.Generator):
        raise TypeError(
            f"generator must be a minigan.Generator (or a numpy.random.Generator), not {type(generator).__name__}"
        )
    return generator


class RandomSampler(Sampler):
    """A fresh random permutation of the indices on each pass (or, with ``replacement``,
    ``num_samples`` indices drawn uniformly), from ``generator`` or minigan's generator."""

    def __init__(self, data_source, replacement: bool = False, num_samples: int | None = None,
                 generator=None) -> None:
        if not isinstance(replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got replacement={replacement}")
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = _check_generator(generator)
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={self.num_samples}")

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        gen = self.generator or default_generator()
        n = len(self.data_source)
        if self.replacement:
            return iter(gen.integers(0, n, size=self.num_samples).tolist())
        reps = -(-self.num_samples // n)
        order = np.concatenate([gen.permutation(n) for _ in range(reps)])[: self.num_samples]
        return iter(order.tolist())

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in a random order (a new one each pass)."""

    def __init__(self, indices: Sequence[int], generator=None) -> None:
        self.indices = indices
        self.generator = _check_generator(generator)

    def __iter__(self) -> Iterator[int]:
        gen = self.generator or default_generator()
        return (self.indices[i] for i in gen.permutation(len(self.indices)).tolist())

    def __len__(self) -> int:
        return len(self.indices)


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` into lists of ``batch_size`` (the last one shorter
    unless ``drop_last``)."""

    def __init__(self, sampler, batch_size: int, drop_last: bool) -> None:
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[list[int]]:
        batch = []
        for i in self.sampler:
            batch.append(i)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)


# ---- collation --------------------------------------------------------------------------
_COLLATE_TYPES = "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"


def _is_array(x) -> bool:
    return isinstance(x, np.ndarray) or (hasattr(x, "__cuda_array_interface__") and hasattr(x, "dtype"))


def default_collate(batch: Any) -> Any:
    """Stack a list of samples into a batch, as torch.utils.data.default_collate.

    Tensors and NumPy arrays are stacked along a new first dimension (shapes must match);
    Python ints become an int64 tensor, floats float64, bools bool; NumPy scalars keep
    their dtype; strings are returned as they are; dicts and tuples/lists are collated field by field
    (tuples and lists come back as lists, namedtuples as namedtuples).
    """
    elem = batch[0]
    if isinstance(elem, Tensor):
        _check_same_shapes([t.shape for t in batch])
        return stack(list(batch), 0)
    if _is_array(elem) or isinstance(elem, np.generic):
        if isinstance(elem, np.generic) or elem.dtype.kind in "biufc":
            xp = get_array_module(elem)
            _check_same_shapes([np.shape(a) for a in batch])
            return Tensor._wrap(xp.stack([xp.asarray(a) for a in batch]))
        if elem.dtype.kind in "USO":
            raise TypeError(_COLLATE_TYPES.format(elem.dtype))
    if isinstance(elem, bool):
        return _tensor(list(batch), dtype=np.bool_)
    if isinstance(elem, int):
        return _tensor(list(batch), dtype=np.int64)
    if isinstance(elem, float):
        return _tensor(list(batch), dtype=np.float64)
    if isinstance(elem, numbers.Number):
        return _tensor(list(batch))
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        fields = {key: default_collate([d[key] for d in batch]) for key in elem}
        try:
            return type(elem)(fields)  # type: ignore[call-arg]  # most Mappings take a dict
        except TypeError:  # a Mapping that cannot be built from a dict
            return fields
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return type(elem)(*(default_collate(s) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        n = len(elem)
        if any(len(e) != n for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        return [default_collate(s) for s in zip(*batch)]
    raise TypeError(_COLLATE_TYPES.format(type(elem)))


def _check_same_shapes(shapes) -> None:
    for i, s in enumerate(shapes):
        if tuple(s) != tuple(shapes[0]):
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(shapes[0])} at entry 0 "
                f"and {list(s)} at entry {i}"
            )


def default_convert(data: Any) -> Any:
    """What a DataLoader with ``batch_size=None`` does to each sample: NumPy arrays become
    tensors (sharing memory); everything else is left as it is, recursing into containers."""
    if _is_array(data) and data.dtype.kind in "biufc":
        return Tensor._wrap(data)
    if isinstance(data, collections.abc.Mapping):
        return {k: default_convert(v) for k, v in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, list):
        return [default_convert(d) for d in data]
    return data


# ---- the loader ---------------------------------------------------------------------------
class DataLoader:
    """Iterate over ``dataset`` in batches, as torch.utils.data.DataLoader.

    ``batch_size`` samples per batch (``None``: no batching), reshuffled every epoch when
    ``shuffle``; ``drop_last`` drops a last incomplete batch; ``sampler`` or
    ``batch_sampler`` choose the indices instead; ``collate_fn`` turns a list of samples
    into a batch (default: :func:`default_collate`). ``len(loader)`` is the number of batches.
    """

    def __init__(self, dataset, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler=None, batch_sampler=None, num_workers: int = 0,
                 collate_fn: Callable | None = None, pin_memory: bool = False, drop_last: bool = False,
                 timeout: float = 0, worker_init_fn: Callable | None = None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor: int | None = None,
                 persistent_workers: bool = False, pin_memory_device: str = "", in_order: bool = True) -> None:
        if not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, "
                                 "sampler, and drop_last")
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive "
                             "with drop_last")
        if not hasattr(dataset, "__getitem__") or not hasattr(dataset, "__len__"):
            raise TypeError(
                f"DataLoader: dataset must have __getitem__ and __len__ (a map-style dataset), "
                f"got {type(dataset).__name__}"
            )
        self.generator = _check_generator(generator)
        if sampler is None:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.prefetch_factor = prefetch_factor
        self.persistent_workers = persistent_workers
        self._auto_collation = batch_sampler is not None
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn

    def __iter__(self) -> Iterator:
        if not self._auto_collation:
            for i in self.sampler:
                yield self.collate_fn(self.dataset[i])
            return
        fast = self.collate_fn is default_collate and type(self.dataset) is TensorDataset
        for indices in self.batch_sampler:
            if fast:  # one gather per tensor instead of a stack of rows: the same batch
                idx = np.asarray(indices, dtype=np.int64)
                yield [t[idx] for t in self.dataset.tensors]
            else:
                yield self.collate_fn([self.dataset[i] for i in indices])

    def __len__(self) -> int:
        return len(self.batch_sampler if self._auto_collation else self.sampler)
