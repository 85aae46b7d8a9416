"""The Tensor API: attributes, conversions, dtypes, DLPack exchange with PyTorch, factories,
seeding, comparisons and repr."""
from __future__ import annotations

import numpy as np
import pytest

import minigan as mg


def test_attributes_of_a_leaf():
    t = mg.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    assert t.shape == (2, 3) and t.ndim == 2 and t.dtype == np.float32
    assert t.device == "cpu" and str(t.device) == "cpu", f"device should be cpu, got {t.device!r}"
    assert t.requires_grad and t.grad is None and t.is_leaf
    assert isinstance(t.array, np.ndarray) and t.array.shape == (2, 3)
    assert t.numel() == 6 and len(t) == 2 and t.size() == (2, 3) and t.size(1) == 3


def test_python_floats_default_to_float32_and_numpy_dtypes_are_kept():
    assert mg.tensor([1.5, 2.5]).dtype == np.float32, "Python floats should give float32"
    assert mg.tensor(1.5).dtype == np.float32 and mg.tensor(1.5).shape == ()
    assert mg.tensor([1, 2]).dtype == np.int64, "Python ints should give int64"
    assert mg.tensor([True]).dtype == np.bool_
    assert mg.tensor(np.array([1.0, 2.0])).dtype == np.float64, "a float64 array must stay float64"
    assert mg.tensor(np.array([1.0], dtype=np.float16)).dtype == np.float16
    assert mg.tensor([1.0], dtype=mg.float64).dtype == np.float64


def test_tensor_copies_its_data_but_from_numpy_shares_it():
    a = np.array([1.0, 2.0])
    t, shared = mg.tensor(a), mg.from_numpy(a)
    a[0] = 9.0
    assert t.numpy()[0] == 1.0, "mg.tensor(array) must copy"
    assert shared.numpy()[0] == 9.0, "mg.from_numpy(array) must share memory"


def test_numpy_item_and_asarray():
    t = mg.tensor([[1.0, 2.0]])
    assert isinstance(t.numpy(), np.ndarray) and t.numpy().tolist() == [[1.0, 2.0]]
    assert mg.tensor([3.5]).item() == 3.5 and isinstance(mg.tensor([3.5]).item(), float)
    arr = np.asarray(t)
    assert arr.dtype == np.float32 and arr.tolist() == [[1.0, 2.0]], "np.asarray(t) should give the data"
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    assert float(mg.tensor(2.0)) == 2.0 and t.tolist() == [[1.0, 2.0]]


def test_detach_shares_data_and_leaves_the_graph():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    d = y.detach()
    assert not d.requires_grad and d.grad_fn is None and d.is_leaf
    assert np.shares_memory(d.array, y.array), "detach() should not copy"


def test_to_dtype_is_differentiable_back_to_the_source_dtype():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x.to(mg.float64)
    assert y.dtype == np.float64 and x.to(dtype=mg.float32) is x
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32, f"gradient should come back as float32, got {x.grad.dtype}"
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])
    assert x.double().dtype == np.float64 and x.double().float().dtype == np.float32


def test_requires_grad_underscore_sets_the_flag_and_returns_the_tensor():
    t = mg.zeros(3)
    assert not t.requires_grad
    assert t.requires_grad_() is t and t.requires_grad
    t.requires_grad_(False)
    assert not t.requires_grad


def test_dlpack_exchange_with_torch_shares_memory_both_ways():
    torch = pytest.importorskip("torch")
    t = mg.tensor([1.0, 2.0, 3.0])
    tt = torch.from_dlpack(t)
    tt[1] = 20.0
    assert t.numpy()[1] == 20.0, "torch.from_dlpack(mg tensor) should share memory"
    assert tt.dtype == torch.float32
    src = torch.arange(4, dtype=torch.float64)
    m = mg.from_dlpack(src)
    assert m.dtype == np.float64 and m.shape == (4,)
    m.data[0] = -5.0
    assert src[0].item() == -5.0, "mg.from_dlpack(torch tensor) should share memory"
    src[3] = 30.0
    assert m.numpy()[3] == 30.0


def test_factories_shapes_dtypes_and_values():
    assert mg.zeros(2, 3).shape == (2, 3) and mg.zeros((2, 3)).numpy().sum() == 0
    assert mg.ones(4).dtype == np.float32 and mg.ones(4).numpy().tolist() == [1, 1, 1, 1]
    assert mg.zeros(2, dtype=mg.float64).dtype == np.float64
    assert mg.randn(3, 4).shape == (3, 4) and mg.randn(3, 4).dtype == np.float32
    r = mg.rand(1000).numpy()
    assert r.min() >= 0.0 and r.max() < 1.0, "rand should be uniform on [0, 1)"
    base = mg.tensor(np.ones((2, 5)))
    for fn in (mg.zeros_like, mg.ones_like, mg.randn_like, mg.rand_like):
        like = fn(base)
        assert like.shape == (2, 5) and like.dtype == np.float64, f"{fn.__name__} kept shape/dtype"
    assert mg.arange(5).numpy().tolist() == [0, 1, 2, 3, 4] and mg.arange(5).dtype == np.int64
    assert mg.arange(0.0, 1.0, 0.25).numpy().tolist() == [0.0, 0.25, 0.5, 0.75]
    assert mg.arange(1, 7, 2).numpy().tolist() == [1, 3, 5]
    assert mg.zeros(2, requires_grad=True).requires_grad


def test_manual_seed_makes_random_tensors_reproducible():
    mg.manual_seed(123)
    a, b = mg.randn(5).numpy(), mg.rand(3).numpy()
    mg.manual_seed(123)
    a2, b2 = mg.randn(5).numpy(), mg.rand(3).numpy()
    np.testing.assert_array_equal(a, a2, err_msg="same seed should give the same randn draws")
    np.testing.assert_array_equal(b, b2)
    mg.manual_seed(124)
    assert not np.array_equal(mg.randn(5).numpy(), a), "a different seed should give other draws"


def test_comparisons_return_bool_tensors_without_grad():
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for name, result, want in [
        ("<", x < 2.0, [True, False, False]), ("<=", x <= 2.0, [True, True, False]),
        (">", x > 2.0, [False, False, True]), (">=", x >= 2.0, [False, True, True]),
        ("==", x == 2.0, [False, True, False]), ("!=", x != 2.0, [True, False, True]),
        ("> tensor", x > mg.tensor([0.0, 5.0, 3.0]), [True, False, False]),
    ]:
        assert result.dtype == np.bool_, f"{name} should give bool, got {result.dtype}"
        assert not result.requires_grad, f"{name} must not require grad"
        assert result.numpy().tolist() == want, f"{name}: expected {want}, got {result.numpy().tolist()}"


def test_repr_is_readable():
    assert repr(mg.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    r = repr(mg.tensor([1.5], dtype=mg.float64, requires_grad=True))
    assert r == "tensor([1.5], dtype=float64, requires_grad=True)", r
    r = repr(mg.tensor([1.0, 2.0], requires_grad=True) * 2)
    assert r == "tensor([2., 4.], grad_fn=<mul>)", r
    assert repr(mg.tensor(3.0)) == "tensor(3.)"


def test_in_place_assignment_to_a_tensor_requiring_grad_is_refused():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="in-place"):
        x[0] = 5.0
    with mg.no_grad():
        x[0] = 5.0
    assert x.numpy()[0] == 5.0
