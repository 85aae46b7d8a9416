"""Run a PyTorch script unmodified, on minigan or on PyTorch, from the same random numbers.

    python tests/pytorch_scripts/run.py minigan gan_digits.py --n_epochs 1
    python tests/pytorch_scripts/run.py torch   gan_digits.py --n_epochs 1

``minigan``: minigan is put in ``sys.modules`` under PyTorch's module names (``torch``,
``torch.nn``, ``torch.nn.functional``, ``torch.optim``, ``torch.autograd``,
``torch.utils.data``, ``torch.cuda``), so ``import torch`` in the script imports minigan.

``torch``: real PyTorch, with its random draws (``randn``, ``rand``, ``randint``, the
in-place ``uniform_``/``normal_`` behind ``nn.init`` and every layer's initialisation, and
the DataLoader's shuffling, dropout's masks) taken from a NumPy generator in the order and form minigan
takes them, so both runs start from the same weights and see the same batches and noise.

Both runs seed NumPy's and Python's global generators and minigan's (or the stand-in's)
with 0; a ``torch.manual_seed(s)`` in the script reseeds them with ``s``.
"""
from __future__ import annotations

import random
import runpy
import sys

import numpy as np

SEED = 0


def torch_modules_of_minigan() -> dict:
    """PyTorch's module names -> the minigan modules that stand for them."""
    import minigan
    import minigan.autograd
    import minigan.cuda
    import minigan.nn
    import minigan.nn.init
    import minigan.optim
    import minigan.utils
    import minigan.utils.data

    return {
        "torch": minigan, "torch.nn": minigan.nn, "torch.nn.functional": minigan.nn.functional,
        "torch.nn.init": minigan.nn.init, "torch.optim": minigan.optim, "torch.autograd": minigan.autograd,
        "torch.utils": minigan.utils, "torch.utils.data": minigan.utils.data, "torch.cuda": minigan.cuda,
    }


def as_torch_minigan() -> None:
    """Make ``import torch`` (and its submodules) import minigan."""
    import minigan

    sys.modules.update(torch_modules_of_minigan())
    minigan.manual_seed(SEED)
    minigan.set_num_threads(1)


def torch_with_minigans_random_numbers() -> None:
    """Route real PyTorch's random draws through a NumPy generator, drawn as minigan draws."""
    import torch
    import torch.utils.data

    torch.set_num_threads(1)
    state = {"gen": np.random.default_rng(SEED)}  # what mg.manual_seed(SEED) makes

    def gen():
        return state["gen"]

    def size_of(size):
        return tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list, torch.Size)) else size

    def np_dtype(dtype):
        return np.float64 if dtype == torch.float64 else np.float32

    def out(arr, kw):
        t = torch.from_numpy(np.ascontiguousarray(arr))
        return t.requires_grad_(kw.get("requires_grad", False))

    real_seed = torch.manual_seed

    def manual_seed(s):
        state["gen"] = np.random.default_rng(int(s))
        return real_seed(s)

    torch.manual_seed = manual_seed
    torch.randn = lambda *size, dtype=None, **kw: out(gen().standard_normal(size_of(size), dtype=np_dtype(dtype)), kw)
    torch.rand = lambda *size, dtype=None, **kw: out(gen().random(size_of(size), dtype=np_dtype(dtype)), kw)
    torch.randn_like = lambda t, dtype=None, **kw: torch.randn(*t.shape, dtype=dtype or t.dtype, **kw)
    torch.rand_like = lambda t, dtype=None, **kw: torch.rand(*t.shape, dtype=dtype or t.dtype, **kw)

    def randint(*args, **kw):
        low, high, size = (0, *args) if len(args) == 2 else args
        return out(gen().integers(low, high, size=tuple(size)), kw)

    torch.randint = randint

    def fill_from(t, arr):
        with torch.no_grad():
            t.copy_(torch.from_numpy(np.asarray(arr)).to(t.dtype))
        return t

    torch.Tensor.uniform_ = lambda t, a=0.0, b=1.0, generator=None: fill_from(t, gen().uniform(a, b, size=t.shape))
    torch.Tensor.normal_ = lambda t, mean=0.0, std=1.0, generator=None: fill_from(
        t, gen().normal(mean, std, size=t.shape))

    def sampler_iter(self):  # minigan's RandomSampler: one permutation per pass
        return iter(gen().permutation(len(self.data_source)).tolist())

    torch.utils.data.RandomSampler.__iter__ = sampler_iter

    real_dropout = torch.nn.functional.dropout

    def dropout(input, p=0.5, training=True, inplace=False):  # minigan's mask: U[0, 1) >= p, scaled
        if not training or p == 0.0 or p == 1.0:
            return real_dropout(input, p, training, inplace)
        keep = gen().random(tuple(input.shape)) >= p
        return input * torch.from_numpy((keep / (1.0 - p)).astype(np.float32)).to(input.dtype)

    torch.nn.functional.dropout = dropout


def main(argv: list[str]) -> None:
    framework, script, *args = argv
    np.random.seed(SEED)
    random.seed(SEED)
    if framework == "minigan":
        as_torch_minigan()
    elif framework == "torch":
        torch_with_minigans_random_numbers()
    else:
        raise SystemExit(f"run.py: framework must be 'minigan' or 'torch', got {framework!r}")
    sys.argv = [script, *args]
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main(sys.argv[1:])
