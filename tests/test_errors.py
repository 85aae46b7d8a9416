"""Errors are answered clearly: the message names the shapes, the rule, or the fix."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

import minigan as mg
from minigan import functional as F
from minigan.backend import cuda


# ---- shapes -----------------------------------------------------------------------------
@pytest.mark.parametrize("a, b", [((2, 3), (4, 2)), ((2,), (3,)), ((2, 3), (2,)), ((5, 2, 3), (4, 2))])
def test_matmul_shape_error_names_both_shapes(a, b):
    with pytest.raises(ValueError, match="matmul") as exc:
        mg.ones(*a) @ mg.ones(*b)
    msg = str(exc.value)
    assert str(a) in msg and str(b) in msg, f"expected both shapes {a} and {b} in: {msg}"


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "maximum"])
def test_broadcasting_error_names_both_shapes(op):
    with pytest.raises(ValueError, match="cannot be broadcast") as exc:
        getattr(mg, op)(mg.ones(2, 3), mg.ones(4))
    msg = str(exc.value)
    assert "(2, 3)" in msg and "(4,)" in msg and op in msg, f"message was: {msg}"


@pytest.mark.parametrize("loss", [F.binary_cross_entropy_with_logits, F.binary_cross_entropy])
def test_bce_target_size_error_names_both_sizes(loss):
    with pytest.raises(ValueError, match="target size") as exc:
        loss(mg.full((2, 3), 0.5), mg.ones(3))
    msg = str(exc.value)
    assert "(3,)" in msg and "(2, 3)" in msg, f"message was: {msg}"


def test_mse_shape_error_names_both_shapes():
    with pytest.raises(ValueError) as exc:
        F.mse_loss(mg.ones(2, 3), mg.ones(3))
    assert "(2, 3)" in str(exc.value) and "(3,)" in str(exc.value), str(exc.value)


def test_linear_feature_mismatch_names_the_shapes():
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4, 5\)"):
        F.linear(mg.ones(2, 3), mg.ones(4, 5))


def test_cat_of_mismatched_shapes_names_them():
    with pytest.raises(ValueError, match=r"cat: shapes \(2, 3\), \(3, 2\) differ outside dimension 0"):
        mg.cat([mg.ones(2, 3), mg.ones(3, 2)])
    with pytest.raises(ValueError, match=r"same number of dimensions.*\(2, 3\), \(3,\)"):
        mg.cat([mg.ones(2, 3), mg.ones(3)])
    with pytest.raises(ValueError, match=r"stack: .*\(2, 3\), \(3,\)"):
        mg.stack([mg.ones(2, 3), mg.ones(3)])


def test_reshape_and_expand_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"shape \(2, 3\) \(6 elements\) into \(4, 2\)"):
        mg.ones(2, 3).reshape(4, 2)
    with pytest.raises(ValueError, match=r"\(2, 3\) cannot be broadcast to \(4, 3\)"):
        mg.ones(2, 3).expand(4, 3)


def test_out_of_range_dimension_and_index_are_named():
    with pytest.raises(IndexError, match="dimension 2 is out of range"):
        mg.ones(3).sum(dim=2)
    with pytest.raises(IndexError, match=r"shape \(3,\)"):
        mg.ones(3)[5]


# ---- autograd -----------------------------------------------------------------------------
def test_backward_on_a_non_scalar_without_gradient_says_scalar():
    y = mg.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="scalar") as exc:
        y.backward()
    assert "(2,)" in str(exc.value), f"the output shape should be named: {exc.value}"
    with pytest.raises(RuntimeError, match="scalar"):
        mg.grad(y, y)


def test_backward_gradient_of_the_wrong_shape_names_both_shapes():
    y = mg.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"\(3,\).*\(2,\)"):
        y.backward(mg.ones(3))


def test_backward_of_a_tensor_without_graph_explains_why():
    with pytest.raises(RuntimeError, match="does not require grad"):
        mg.ones(1).sum().backward()


@pytest.mark.parametrize("make", [
    lambda: mg.tensor([1, 2], requires_grad=True),
    lambda: mg.arange(3).requires_grad_(),
    lambda: setattr(mg.tensor([True]), "requires_grad", True),
])
def test_an_integer_or_bool_tensor_refuses_requires_grad_saying_floating_point(make):
    with pytest.raises(RuntimeError, match="floating point"):
        make()


def test_invalid_reduction_string_is_refused_naming_the_choices():
    for loss, args in [
        (F.binary_cross_entropy_with_logits, (mg.zeros(2), mg.ones(2))),
        (F.binary_cross_entropy, (mg.full((2,), 0.5), mg.ones(2))),
        (F.mse_loss, (mg.zeros(2), mg.ones(2))),
    ]:
        with pytest.raises(ValueError, match=r"reduction must be one of .*'mean'.*got 'avg'"):
            loss(*args, reduction="avg")


def test_binary_cross_entropy_refuses_inputs_outside_zero_one():
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.binary_cross_entropy(mg.tensor([1.5, 0.5]), mg.tensor([1.0, 0.0]))


# ---- devices -----------------------------------------------------------------------------
def _assert_cuda_refused_mentioning_cpu(fn):
    with pytest.raises(RuntimeError) as exc:
        fn()
    msg = str(exc.value)
    assert "'cpu'" in msg and "cuda" in msg, f"the message should point to device 'cpu': {msg}"
    assert exc.value.__cause__ is None and exc.value.__context__ is None, (
        "the error should be minigan's own, not a chained CuPy traceback")


@pytest.mark.skipif(cuda.is_available(), reason="a CUDA device is present")
def test_asking_for_cuda_without_a_gpu_raises_an_error_mentioning_cpu():
    _assert_cuda_refused_mentioning_cpu(lambda: mg.zeros(2, device="cuda"))
    _assert_cuda_refused_mentioning_cpu(lambda: mg.tensor([1.0]).to("cuda"))
    _assert_cuda_refused_mentioning_cpu(lambda: mg.set_default_device("cuda"))
    assert not cuda.is_available() and cuda.unavailable_reason(), "a reason should be recorded"


def test_cuda_refusal_message_when_the_probe_found_no_device(monkeypatch):
    # the message path, independent of this machine: the probe's verdict is simulated
    monkeypatch.setitem(cuda._state, "cupy", None)
    monkeypatch.setitem(cuda._state, "reason", "CuPy found no CUDA device")
    _assert_cuda_refused_mentioning_cpu(lambda: mg.tensor([1.0], device="cuda"))
    assert not mg.cuda.is_available()


def test_unknown_device_names_the_valid_ones():
    with pytest.raises(ValueError, match=r"unknown device 'tpu'.*'cpu', 'cuda'"):
        mg.zeros(1, device="tpu")


class _FakeCudaArray:
    """Stands in for a CuPy array (minigan recognises CuPy by module name), so that the
    two-device check can be tested without a GPU."""

    __module__ = "cupy._core.core"

    def __init__(self, shape, dtype=np.float32):
        self.shape, self.dtype, self.ndim = shape, np.dtype(dtype), len(shape)
        self.size = int(np.prod(shape))
        self.device = SimpleNamespace(id=0)


def test_op_on_tensors_on_two_devices_names_both_devices():
    gpu = mg.Tensor._wrap(_FakeCudaArray((2,)))
    assert gpu.device == "cuda", f"the fake array should read as a cuda tensor, got {gpu.device}"
    with pytest.raises(RuntimeError, match=r"op 'add' got tensors on different devices \(cpu, cuda:0\)"):
        mg.ones(2) + gpu
    with pytest.raises(RuntimeError, match=r"different devices \(cuda:0, cpu\).*\.to\(device\)"):
        mg.mul(gpu, mg.ones(2))


def test_loss_with_target_on_another_device_names_both_devices():
    gpu = mg.Tensor._wrap(_FakeCudaArray((2,)))
    with pytest.raises(RuntimeError, match="input is on device 'cpu' but target is on 'cuda:0'"):
        F.binary_cross_entropy_with_logits(mg.zeros(2), gpu)
