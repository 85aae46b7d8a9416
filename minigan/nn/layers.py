"""Layers: Linear, activations, Dropout, BatchNorm1d, Sequential (as torch.nn)."""
from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ..backend import default_device
from ..backend.device import on_device_of, parse_device, to_device
from ..ops import activation as A
from ..tensor import Tensor, not_tensor_error
from . import functional as F
from . import init
from .module import Module, Parameter

__all__ = [
    "ELU",
    "BatchNorm1d",
    "Dropout",
    "Embedding",
    "Flatten",
    "Identity",
    "LeakyReLU",
    "Linear",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softplus",
    "Tanh",
    "Unflatten",
]


def _empty(shape: tuple, dtype, device, fill: float = 0.0) -> np.ndarray:
    """An array of ``fill`` (zeros), made on the host and copied to ``device``."""
    for i, n in enumerate(shape):
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
            raise TypeError(f"empty(): argument 'size' must be a tuple of ints, but found element of type "
                            f"{type(n).__name__} at pos {i}")
        if n < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {n}: {[int(d) for d in shape]}")
    dev = default_device() if device is None else parse_device(device)
    return to_device(np.full(shape, fill, dtype=np.float32 if dtype is None else np.dtype(dtype)), dev)


class Linear(Module):
    """y = x W^T + b, W of shape (out_features, in_features), b of shape (out_features,).

    Input (*, in_features) -> output (*, out_features). Initialised as PyTorch:
    W ~ U(-1/sqrt(in), 1/sqrt(in)) (kaiming_uniform_ with a = sqrt(5)), b likewise.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 device=None, dtype=None) -> None:
        super().__init__()
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        self.weight = Parameter(_empty((out_features, in_features), dtype, device))
        if bias:
            self.bias = Parameter(_empty((out_features,), dtype, device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x: Tensor) -> Tensor:
        if not isinstance(x, Tensor):
            raise not_tensor_error("linear", "input", 1, x)
        shape = x.array.shape
        if not shape or shape[-1] != self.in_features:
            raise ValueError(
                f"Linear expected {self.in_features} input features but got "
                f"{shape[-1] if shape else 0} (input shape {tuple(shape)})"
            )
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Identity(Module):
    """y = x."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__()

    def forward(self, x: Tensor) -> Tensor:
        return x


class Flatten(Module):
    """Flatten dimensions start_dim..end_dim into one: (N, C, H, W) -> (N, C*H*W) by default."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, x: Tensor) -> Tensor:
        if not isinstance(x, Tensor):
            raise not_tensor_error("flatten", "input", 1, x)
        nd = max(x.ndim, 1)
        if not -nd <= self.start_dim < x.ndim:  # a 0-d tensor has no dimension 1 to start from
            raise IndexError(f"Dimension out of range (expected to be in range of [{-nd}, {nd - 1}], "
                             f"but got {self.start_dim})")
        return x.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dimension ``dim`` into ``unflattened_size``: (N, 784) -> (N, 1, 28, 28) with
    ``Unflatten(1, (1, 28, 28))``; one size may be -1."""

    def __init__(self, dim: int, unflattened_size) -> None:
        super().__init__()
        if not isinstance(dim, int):
            raise TypeError(f"invalid argument dim: expected an int, got {type(dim).__name__}")
        if not isinstance(unflattened_size, (tuple, list)) or not all(isinstance(s, int) for s in unflattened_size):
            raise TypeError("unflattened_size must be a tuple of ints, but found "
                            f"{unflattened_size!r}")
        self.dim = dim
        self.unflattened_size = tuple(unflattened_size)

    def forward(self, x: Tensor) -> Tensor:
        if not isinstance(x, Tensor):
            raise not_tensor_error("unflatten", "input", 1, x)
        shape = x.shape
        if not -len(shape) <= self.dim < max(len(shape), 1):
            raise IndexError(f"Dimension out of range (expected to be in range of [{-len(shape)}, "
                             f"{len(shape) - 1}], but got {self.dim})")
        d = self.dim % len(shape)
        sizes = list(self.unflattened_size)
        known = math.prod(s for s in sizes if s != -1)
        if sizes.count(-1) == 1 and known and shape[d] % known == 0:
            sizes[sizes.index(-1)] = shape[d] // known
        if sizes.count(-1) or math.prod(sizes) != shape[d]:
            raise RuntimeError(f"unflatten: Provided sizes {list(self.unflattened_size)} don't multiply up "
                               f"to the size of dim {self.dim} ({shape[d]}) in the input tensor")
        return x.reshape(shape[:d] + tuple(sizes) + shape[d + 1:])

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


class Embedding(Module):
    """A lookup table: integer indices (*) -> rows of ``weight`` (*, embedding_dim).

    ``weight`` has shape (num_embeddings, embedding_dim), initialised N(0, 1) as in PyTorch;
    the row ``padding_idx`` (if given) starts at zero and gets no gradient. Used for the
    class labels of conditional GANs.
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 max_norm: float | None = None, norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                 sparse: bool = False, _weight: Tensor | None = None, _freeze: bool = False,
                 device=None, dtype=None) -> None:
        super().__init__()
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        if padding_idx is not None:
            if not -self.num_embeddings <= padding_idx < self.num_embeddings:
                raise ValueError(f"Padding_idx must be within num_embeddings: padding_idx={padding_idx} "
                                 f"for num_embeddings={self.num_embeddings}")
            padding_idx %= self.num_embeddings
        if max_norm is not None or scale_grad_by_freq:
            raise NotImplementedError("Embedding: max_norm and scale_grad_by_freq are not supported in minigan")
        self.padding_idx = padding_idx
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        self.sparse = sparse
        if _weight is None:
            self.weight = Parameter(_empty((self.num_embeddings, self.embedding_dim), dtype, device),
                                    requires_grad=not _freeze)
            self.reset_parameters()
        else:
            if tuple(_weight.shape) != (self.num_embeddings, self.embedding_dim):
                raise ValueError("Shape of weight does not match num_embeddings and embedding_dim: "
                                 f"{tuple(_weight.shape)} vs ({self.num_embeddings}, {self.embedding_dim})")
            self.weight = Parameter(_weight, requires_grad=not _freeze)

    def reset_parameters(self) -> None:
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight.array[self.padding_idx] = 0

    def forward(self, input: Tensor) -> Tensor:
        return F.embedding(input, self.weight, self.padding_idx)

    @classmethod
    def from_pretrained(cls, embeddings: Tensor, freeze: bool = True, padding_idx: int | None = None,
                        max_norm: float | None = None, norm_type: float = 2.0,
                        scale_grad_by_freq: bool = False, sparse: bool = False) -> Embedding:
        """An Embedding whose weight is ``embeddings`` (2-D), frozen unless ``freeze=False``."""
        if embeddings.ndim != 2:
            raise ValueError("Embeddings parameter is expected to be 2-dimensional")
        rows, cols = embeddings.shape
        return cls(rows, cols, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse,
                   _weight=embeddings, _freeze=freeze)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        return s + (f", padding_idx={self.padding_idx}" if self.padding_idx is not None else "")


def _activate(x: Tensor, fn: Callable[[Tensor], Tensor], inplace: bool, name: str) -> Tensor:
    """``fn(x)``; with ``inplace`` (PyTorch's ``inplace=True``) the result is written into
    ``x``, which is returned: recorded as the in-place op ``name`` when ``x`` has a graph,
    refused on a leaf that requires grad, as in PyTorch."""
    if not inplace or not isinstance(x, Tensor):
        return fn(x)
    return x._inplace(name, fn)


def _inplace_repr(inplace: bool) -> str:
    return ", inplace=True" if inplace else ""


class ReLU(Module):
    """y = max(x, 0) (written into x with ``inplace=True``)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, x: Tensor) -> Tensor:
        return _activate(x, A.relu, self.inplace, "relu_")

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    """y = x for x > 0, negative_slope x otherwise (written into x with ``inplace=True``)."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, x: Tensor) -> Tensor:
        return _activate(x, lambda t: A.leaky_relu(t, self.negative_slope), self.inplace, "leaky_relu_")

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + _inplace_repr(self.inplace)


class Tanh(Module):
    """y = tanh(x)."""

    def forward(self, x: Tensor) -> Tensor:
        return A.tanh(x)


class Sigmoid(Module):
    """y = 1 / (1 + exp(-x))."""

    def forward(self, x: Tensor) -> Tensor:
        return A.sigmoid(x)


class ELU(Module):
    """y = x for x > 0, alpha (exp(x) - 1) otherwise (written into x with ``inplace=True``)."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, x: Tensor) -> Tensor:
        return _activate(x, lambda t: A.elu(t, self.alpha), self.inplace, "elu_")

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + _inplace_repr(self.inplace)


class Softplus(Module):
    """y = log(1 + exp(beta x)) / beta (computed stably), and x where beta x > threshold."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, x: Tensor) -> Tensor:
        return A.softplus(x, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Dropout(Module):
    """Zero each element with probability p in training mode and scale the rest by 1/(1-p)."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def forward(self, x: Tensor) -> Tensor:
        inplace = self.inplace and self.training and self.p > 0.0  # else dropout returns x itself
        return _activate(x, lambda t: F.dropout(t, self.p, self.training), inplace, "dropout_")

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class BatchNorm1d(Module):
    """Batch normalisation (Ioffe & Szegedy 2015) over (N, C) or (N, C, L) input.

    Training: y = (x - mean_B) / sqrt(var_B + eps) * weight + bias with the biased batch
    variance; the running stats move by ``momentum`` towards the batch mean and the
    *unbiased* batch variance (as PyTorch). Eval: the running stats replace the batch ones.
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True,
                 device=None, dtype=None) -> None:
        super().__init__()
        self.num_features = int(num_features)
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        c = (self.num_features,)
        if affine:
            self.weight = Parameter(_empty(c, dtype, device, fill=1.0))
            self.bias = Parameter(_empty(c, dtype, device))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor._wrap(_empty(c, dtype, device)))
            self.register_buffer("running_var", Tensor._wrap(_empty(c, dtype, device, fill=1.0)))
            nbt = to_device(np.zeros((), dtype=np.int64),
                            default_device() if device is None else parse_device(device))
            self.register_buffer("num_batches_tracked", Tensor._wrap(nbt))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean.array[...] = 0
            self.running_var.array[...] = 1
            self.num_batches_tracked.array[...] = 0

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            init.zeros_(self.bias)

    def forward(self, x: Tensor) -> Tensor:
        if not isinstance(x, Tensor):
            raise not_tensor_error("batch_norm", "input", 1, x)
        shape = x.array.shape
        if len(shape) not in (2, 3) or shape[1] != self.num_features:
            raise ValueError(
                f"BatchNorm1d({self.num_features}) expected input of shape (N, {self.num_features}) "
                f"or (N, {self.num_features}, L), got {tuple(shape)}"
            )
        axes = (0,) if len(shape) == 2 else (0, 2)
        bshape = (1, self.num_features) + ((1,) if len(shape) == 3 else ())
        use_batch = self.training or not self.track_running_stats
        if use_batch:
            n = x.array.size // self.num_features
            if n <= 1:
                raise ValueError(
                    f"Expected more than 1 value per channel when training, got input size {tuple(shape)}"
                )
            # mean_B = E[x]; var_B = E[(x - mean_B)^2] (biased); y = (x - mean_B) / sqrt(var_B + eps)
            mean = x.mean(axis=axes, keepdims=True)
            xc = x - mean
            var = (xc * xc).mean(axis=axes, keepdims=True)
            y = xc * (var + self.eps) ** -0.5
            if self.training and self.track_running_stats:
                with on_device_of(x.array):
                    self._update_running_stats(mean.array.reshape(-1), var.array.reshape(-1), n)
        else:
            xp = x._xp()
            rm = self.running_mean.array.reshape(bshape)
            with on_device_of(x.array):
                inv = 1.0 / xp.sqrt(self.running_var.array.reshape(bshape) + self.eps)
            y = (x - Tensor._wrap(rm.astype(x.dtype, copy=False))) * Tensor._wrap(
                inv.astype(x.dtype, copy=False))
        if self.affine:
            w, b = self.weight, self.bias
            if len(shape) == 3:
                w, b = w.reshape(bshape), b.reshape(bshape)
            y = y * w + b
        return y

    def _update_running_stats(self, mean, var, n: int) -> None:
        self.num_batches_tracked.array += 1
        if self.momentum is None:  # cumulative moving average
            m = 1.0 / float(self.num_batches_tracked.array)
        else:
            m = self.momentum
        # running = (1 - m) running + m stat, with the unbiased variance var_B n / (n - 1)
        rm, rv = self.running_mean.array, self.running_var.array
        rm *= 1 - m
        rm += m * mean.astype(rm.dtype, copy=False)
        rv *= 1 - m
        rv += (m * n / (n - 1)) * var.astype(rv.dtype, copy=False)
        for buf in (self.running_mean, self.running_var, self.num_batches_tracked):
            buf._mark_written()

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")


class Sequential(Module):
    """Modules applied in order: ``Sequential(Linear(2, 64), ReLU(), Linear(64, 1))``.

    Children are named "0", "1", ... (or by the keys of an OrderedDict), as in PyTorch.
    """

    def __init__(self, *args) -> None:
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for name, m in args[0].items():
                self.add_module(name, m)
        else:
            for i, m in enumerate(args):
                self.add_module(str(i), m)

    def forward(self, x: Any) -> Any:
        for m in self._modules.values():
            x = m(x)
        return x

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return Sequential(OrderedDict(list(self._modules.items())[idx]))
        n = len(self._modules)
        i = int(idx)
        if not -n <= i < n:
            raise IndexError(f"index {idx} is out of range for a Sequential of length {n}")
        return list(self._modules.values())[i % n]

    def __setitem__(self, idx: int, module: Module) -> None:
        key = list(self._modules.keys())[int(idx)]
        setattr(self, key, module)

    def append(self, module: Module) -> Sequential:
        """Add ``module`` at the end; returns self."""
        self.add_module(str(len(self)), module)
        return self
