"""Tests of minigan's CUDA path (every test is marked ``cuda``).

On a machine with an NVIDIA GPU and CuPy they run on the device:
``MINIGAN_DEVICE=cuda pytest -m cuda``. Everywhere else tests/conftest.py runs them on the
CuPy stand-in of tests/cupy_standin (kernels compiled for the device, then run on the CPU,
with CuPy's flush-to-zero emulated); ``MINIGAN_CUPY=real`` turns the stand-in off (then they
are skipped without a GPU). minigan and CuPy are imported inside the tests.

Flush-to-zero: CuPy compiles every kernel, its own and minigan's, with ``-ftz=true``, so on
the device a float32 result (or input) below 2**-126 ≈ 1.18e-38 reads as 0. The float32
comparisons below therefore allow an absolute error of a few times 2**-126
(``FTZ_ATOL``); float64 is not flushed.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.cuda

_spec = importlib.util.spec_from_file_location(
    "kernel_reference", Path(__file__).resolve().parent / "kernel_host" / "reference.py"
)
ref = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ref)

RTOL = 1e-5
# values this small may come back as 0 from a float32 kernel (flush-to-zero, see above);
# 4x because an incoming gradient of size <= 2 (or 3) multiplies a flushed intermediate
FTZ_ATOL = 4 * float(np.finfo(np.float32).tiny)


def _logits(rng, n: int, dtype=np.float32) -> np.ndarray:
    x = np.concatenate([
        rng.uniform(-30, 30, n - 12),
        [0.0, -0.0, 1e-30, -1e-30, 88.0, -88.0, 100.0, -100.0, 1e4, -1e4, 5e3, -5e3],
    ])
    return x.astype(dtype)


def _inputs(seed: int = 0, n: int = 4099, dtype=np.float32):
    rng = np.random.default_rng(seed)
    x = _logits(rng, n, dtype)
    y = np.where(rng.random(n) < 0.5, rng.integers(0, 2, n), rng.random(n)).astype(dtype)
    w = rng.uniform(0.1, 3, n).astype(dtype)
    p = rng.uniform(0.5, 3, n).astype(dtype)
    g = rng.uniform(-2, 2, n).astype(dtype)
    return x, y, w, p, g


def _close(got_cupy, expected, rtol=RTOL, atol=0.0, what=""):
    got = got_cupy.get() if hasattr(got_cupy, "get") else np.asarray(got_cupy)
    if got.dtype == np.float32:
        atol = max(atol, FTZ_ATOL)
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, err_msg=what)


def test_float32_kernels_flush_subnormal_results_to_zero():
    """What -ftz=true means for a user: log σ(-100) is -3.8e-44 in float32 on the CPU (a
    subnormal) and exactly 0 on the device; float64 keeps it."""
    import cupy

    from minigan.backend import kernels
    from minigan.ops.activation import log_sigmoid_array, sigmoid_neg_array

    x = np.array([-100.0, -88.0, 100.0, 88.0], np.float32)
    cpu = log_sigmoid_array(x)
    assert cpu[2] != 0 and abs(cpu[2]) < np.finfo(np.float32).tiny  # subnormal on the CPU
    got = kernels.log_sigmoid_forward(cupy.asarray(x)).get()
    assert got[2] == 0 and got[3] == 0, got  # flushed on the device
    np.testing.assert_allclose(got[:2], cpu[:2], rtol=RTOL)
    # a flushed intermediate stays 0 when scaled: σ(-88) (6.1e-39) times a gradient of 1e6
    g = cupy.asarray(np.full(4, 1e6, np.float32))
    assert kernels.log_sigmoid_backward(cupy.asarray(x), g).get()[3] == 0
    assert sigmoid_neg_array(x)[3] * np.float32(1e6) > 6e-33  # on the CPU: 6.05e-33
    got64 = kernels.log_sigmoid_forward(cupy.asarray(x.astype(np.float64))).get()
    np.testing.assert_allclose(got64, log_sigmoid_array(x.astype(np.float64)), rtol=1e-13)
    assert got64[2] != 0


def test_kernels_match_numpy_formulas():
    """CuPy kernels vs minigan's NumPy formulas (float32, within 1e-5 relative)."""
    import cupy

    from minigan.backend import kernels
    from minigan.ops.activation import log_sigmoid_array, sigmoid_neg_array
    from minigan.ops.loss import bce_with_logits_array, bce_with_logits_grad_array

    x, y, _w, p, _g = _inputs()
    cx, cy, cp_ = (cupy.asarray(a) for a in (x, y, p))
    _close(kernels.log_sigmoid_forward(cx), log_sigmoid_array(x), what="log_sigmoid fwd")
    _close(kernels.log_sigmoid_backward(cx), sigmoid_neg_array(x), atol=1e-30,
           what="log_sigmoid bwd")
    for pw, cpw in ((None, None), (p, cp_)):
        loss = bce_with_logits_array(x, y, pw)
        _close(kernels.bce_with_logits_forward(cx, cy, pos_weight=cpw), loss, atol=1e-30,
               what=f"bce fwd pos_weight={pw is not None}")
        grad = bce_with_logits_grad_array(x, y, pw)
        # soft targets: the gradient is a difference of terms of size <= max(p, 1)
        _close(kernels.bce_with_logits_backward(cx, cy, pos_weight=cpw), grad,
               atol=RTOL * 3, what=f"bce bwd pos_weight={pw is not None}")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_kernels_match_reference_with_all_options(dtype):
    """weight, pos_weight, incoming grad and scale against the float64 reference."""
    import cupy

    from minigan.backend import kernels

    x, y, w, p, g = _inputs(1, dtype=dtype)
    tol = RTOL if dtype == np.float32 else 1e-13
    c = [cupy.asarray(a) for a in (x, y, w, p, g)]
    _close(kernels.bce_with_logits_forward(*c[:4]), ref.bce_with_logits(x, y, w, p),
           rtol=tol, atol=1e-30)
    got = kernels.bce_with_logits_backward(*c, scale=1 / x.size)
    expected = ref.bce_with_logits_grad(x, y, w, p, g, dtype(1 / x.size))
    _close(got, expected, rtol=tol, atol=tol * 3 * 3 * 2 / x.size)
    _close(kernels.log_sigmoid_backward(c[0], c[4]), ref.log_sigmoid_grad(x, g), rtol=tol,
           atol=1e-30)
    assert got.dtype == dtype and got.shape == x.shape


def test_kernels_at_infinity_and_empty():
    import cupy

    from minigan.backend import kernels

    inf = np.inf
    x = cupy.asarray([inf, inf, -inf, -inf, inf], dtype=cupy.float32)
    y = cupy.asarray([1.0, 0.5, 0.0, 0.5, 0.0], dtype=cupy.float32)
    assert kernels.bce_with_logits_forward(x, y).get().tolist() == [0, inf, 0, inf, inf]
    assert kernels.bce_with_logits_backward(x, y).get().tolist() == [0, 0.5, 0, -0.5, 1]
    assert kernels.log_sigmoid_forward(x[:3]).get().tolist() == [0, 0, -inf]
    empty = cupy.zeros((0, 3), cupy.float32)
    assert kernels.bce_with_logits_forward(empty, empty).shape == (0, 3)
    assert kernels.log_sigmoid_backward(empty).shape == (0, 3)


def test_kernel_grid_stride_on_device():
    """Launch configurations smaller and larger than n on the real device: same result, and
    the guard elements past n are untouched."""
    import cupy

    from minigan.backend import kernels

    n = 1025
    x, y, *_ = _inputs(2, n)
    expected = kernels.bce_with_logits_forward(cupy.asarray(x), cupy.asarray(y)).get()
    fn = kernels._kernel("bce_with_logits.cu", "bce_with_logits_forward_f32")
    for grid, block in ((1, 1), (1, 32), (2, 256), (8, 256), (1024, 1024)):
        out = cupy.full(n + 16, 12345.0, cupy.float32)
        fn((grid,), (block,), (cupy.asarray(x), cupy.asarray(y), None, None, out,
                               np.int64(n)))
        got = out.get()
        np.testing.assert_array_equal(got[:n], expected, err_msg=f"grid={grid} block={block}")
        assert (got[n:] == 12345.0).all()


def test_kernel_argument_errors():
    import cupy

    from minigan.backend import kernels

    x = cupy.zeros(4, cupy.float32)
    with pytest.raises(TypeError, match="dtype"):
        kernels.bce_with_logits_forward(x, cupy.zeros(4, cupy.float64))
    with pytest.raises(ValueError, match="shape"):
        kernels.bce_with_logits_forward(x, cupy.zeros(3, cupy.float32))
    with pytest.raises(TypeError, match="float32 or float64"):
        kernels.log_sigmoid_forward(cupy.zeros(4, cupy.int32))
    with pytest.raises(TypeError, match="cupy.ndarray"):
        kernels.bce_with_logits_forward(x, np.zeros(4, np.float32))


def test_functional_bce_cpu_vs_cuda():
    import minigan as mg
    from minigan import functional as F

    x, y, w, p, _g = _inputs(3, 513)
    results = {}
    for device in ("cpu", "cuda"):
        logits = mg.tensor(x, device=device, requires_grad=True)
        loss = F.binary_cross_entropy_with_logits(
            logits, mg.tensor(y, device=device), weight=mg.tensor(w, device=device),
            reduction="mean", pos_weight=mg.tensor(p, device=device),
        )
        loss.backward()
        results[device] = (loss.to("cpu").numpy(), logits.grad.to("cpu").numpy())
    np.testing.assert_allclose(results["cuda"][0], results["cpu"][0], rtol=RTOL)
    np.testing.assert_allclose(results["cuda"][1], results["cpu"][1], rtol=RTOL, atol=1e-9)


def test_ops_cpu_vs_cuda():
    """matmul, sum, exp and indexing (with a repeated index) forward and backward."""
    import minigan as mg

    rng = np.random.default_rng(4)
    a = rng.standard_normal((5, 4)).astype(np.float32)
    b = rng.standard_normal((4, 3)).astype(np.float32)
    results = {}
    for device in ("cpu", "cuda"):
        ta = mg.tensor(a, device=device, requires_grad=True)
        tb = mg.tensor(b, device=device, requires_grad=True)
        prod = ta @ tb
        out = (prod * 0.1).exp().sum() + ta[[0, 0, 3], 1:3].sum() + prod.sum(0)[1]
        out.backward()
        results[device] = [t.to("cpu").numpy() for t in (out, prod, ta.grad, tb.grad)]
        assert str(ta.grad.device).startswith(device)
    for got, expected in zip(results["cuda"], results["cpu"]):
        np.testing.assert_allclose(got, expected, rtol=RTOL, atol=1e-6)


def _state_numpy(module) -> dict[str, np.ndarray]:
    out = {}
    for k, v in module.state_dict().items():
        out[k] = v.to("cpu").numpy() if hasattr(v, "to") else np.asarray(v)
    return out


def test_gan_step_cpu_vs_cuda():
    """One discriminator and one generator Adam step from the same weights on CPU and CUDA
    give the same losses and parameters within 1e-5."""
    import minigan as mg
    from minigan import functional as F
    from minigan import nn, optim

    def generator(device):
        return nn.Sequential(nn.Linear(4, 32, device=device), nn.LeakyReLU(0.2),
                             nn.Linear(32, 2, device=device))

    def discriminator(device):
        return nn.Sequential(nn.Linear(2, 32, device=device), nn.LeakyReLU(0.2),
                             nn.Linear(32, 1, device=device))

    mg.manual_seed(0)
    # the CPU models on the CPU explicitly: under MINIGAN_DEVICE=cuda the default is the GPU
    g_cpu, d_cpu = generator("cpu"), discriminator("cpu")
    g_cuda, d_cuda = generator("cuda"), discriminator("cuda")
    g_cuda.load_state_dict(g_cpu.state_dict())
    d_cuda.load_state_dict(d_cpu.state_dict())
    assert str(next(iter(g_cpu.parameters())).device) == "cpu"

    rng = np.random.default_rng(5)
    z = rng.standard_normal((64, 4)).astype(np.float32)
    real = (rng.standard_normal((64, 2)) * 0.5 + 2).astype(np.float32)

    def step(g, d, device):
        opt_g = optim.Adam(g.parameters(), lr=1e-3, betas=(0.5, 0.999))
        opt_d = optim.Adam(d.parameters(), lr=1e-3, betas=(0.5, 0.999))
        zt, xt = mg.tensor(z, device=device), mg.tensor(real, device=device)
        ones = mg.tensor(np.ones((64, 1), np.float32), device=device)
        zeros = mg.tensor(np.zeros((64, 1), np.float32), device=device)
        opt_d.zero_grad()
        loss_d = (F.binary_cross_entropy_with_logits(d(xt), ones)
                  + F.binary_cross_entropy_with_logits(d(g(zt).detach()), zeros))
        loss_d.backward()
        opt_d.step()
        opt_g.zero_grad()
        loss_g = F.binary_cross_entropy_with_logits(d(g(zt)), ones)
        loss_g.backward()
        opt_g.step()
        return loss_d.to("cpu").numpy(), loss_g.to("cpu").numpy()

    losses_cpu = step(g_cpu, d_cpu, "cpu")
    losses_cuda = step(g_cuda, d_cuda, "cuda")
    np.testing.assert_allclose(losses_cuda, losses_cpu, rtol=RTOL)
    for name, module_cpu, module_cuda in (("G", g_cpu, g_cuda), ("D", d_cpu, d_cuda)):
        cpu, cuda = _state_numpy(module_cpu), _state_numpy(module_cuda)
        assert cpu.keys() == cuda.keys()
        for k in cpu:
            np.testing.assert_allclose(cuda[k], cpu[k], rtol=RTOL, atol=1e-6,
                                       err_msg=f"{name}.{k}")
