"""minigan: a from-scratch reverse-mode autodiff library on NumPy/CuPy, for seeing and
measuring how backpropagation drives the GAN minimax game.

    import minigan as mg
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()      # x.grad == 2x
"""
from __future__ import annotations

import sys as _sys

from . import backend, cuda, ops
from .autograd import (
    backward,
    detect_anomaly,
    enable_grad,
    grad,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from .backend import set_default_device
from .backend.device import Device
from .backend.threads import get_num_threads, set_num_threads
from .creation import (
    arange,
    as_tensor,
    bool_,
    eye,
    float16,
    float32,
    float64,
    from_dlpack,
    from_numpy,
    full,
    full_like,
    int8,
    int16,
    int32,
    int64,
    linspace,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    tensor,
    uint8,
    zeros,
    zeros_like,
)
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .nn import functional  # torch.nn.functional's home is nn; minigan.functional names it too
from .ops import ELEMENTWISE as _ELEMENTWISE
from .ops import (
    add,
    all,
    amax,
    amin,
    any,
    broadcast_to,
    cat,
    chunk,
    clamp,
    clip,
    div,
    elu,
    expand,
    flatten,
    floor_divide,
    leaky_relu,
    log_sigmoid,
    matmul,
    max,
    mean,
    min,
    mul,
    neg,
    norm,
    permute,
    pow,
    promote_types,
    relu,
    remainder,
    reshape,
    result_type,
    rsub,
    sigmoid,
    softplus,
    split,
    squeeze,
    stack,
    std,
    sub,
    sum,
    tanh,
    transpose,
    unsqueeze,
    var,
    where,
)
from .random import Generator, get_rng_state, manual_seed, set_rng_state
from .tensor import Tensor
from .tensor_types import (
    BoolTensor,
    ByteTensor,
    DoubleTensor,
    FloatTensor,
    HalfTensor,
    IntTensor,
    LongTensor,
    is_tensor,
)

globals().update(_ELEMENTWISE)  # mg.exp, mg.maximum...: the rows of ops/elementwise.py
device = Device
# PyTorch's dtype names (bound here, after every import, since some shadow builtins)
bool = bool_
half, float, double = float16, float32, float64
short, int, long = int16, int32, int64
__version__ = "0.1.0"
_sys.modules[__name__ + ".functional"] = functional  # `import minigan.functional` keeps working


def __getattr__(name):
    # optim, gan, lab, viz load on first use: `import minigan` stays light
    import importlib

    if name in ("nn", "optim", "gan", "lab", "viz", "serialization", "utils"):
        return importlib.import_module(f".{name}", __name__)
    if name in ("save", "load"):
        return getattr(importlib.import_module(".serialization", __name__), name)
    raise AttributeError(f"module 'minigan' has no attribute {name!r}")
