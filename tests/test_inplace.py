"""In-place writes, version counters, Tensor.data, hooks and per-thread grad mode, each
checked against PyTorch's behaviour (torch is the test oracle only)."""
import threading

import numpy as np
import pytest
import torch

import minigan as mg

STALE = "modified by an inplace operation"


def pair(values, requires_grad=True):
    """The same float64 leaf in minigan and in torch."""
    a = np.asarray(values, dtype=np.float64)
    return mg.tensor(a, requires_grad=requires_grad), torch.tensor(a, requires_grad=requires_grad)


# ---- writes between forward and backward are caught ------------------------------------
def test_write_under_no_grad_to_a_saved_input_raises_instead_of_a_wrong_gradient():
    a, b = pair([1.0, 2.0, 3.0])[0], pair([4.0, 5.0, 6.0])[0]
    y = (a * b).sum()
    with mg.no_grad():
        b[0] = 100.0
    with pytest.raises(RuntimeError, match=STALE) as e:
        y.backward()
    assert "is at version 1" in str(e.value) and "(3,)" in str(e.value) and "'mul'" in str(e.value)


def test_optimizer_step_between_two_backwards_raises():
    """The GAN bug: D steps between backward(retain_graph=True) and a second backward."""
    lin = mg.nn.Linear(2, 1)
    opt = mg.optim.SGD(lin.parameters(), lr=0.1)
    loss = lin(mg.ones(4, 2)).pow(2).sum()
    loss.backward(retain_graph=True)
    opt.step()
    with pytest.raises(RuntimeError, match=STALE):
        loss.backward()


@pytest.mark.parametrize("write", [
    lambda h: h.detach().zero_(),
    lambda h: h.data.fill_(3.0),
    lambda h: h.data.copy_(mg.ones(3, dtype=mg.float64)),
    lambda h: h.detach().view(-1).mul_(2.0),  # through a view of the storage
])
def test_writes_to_a_saved_intermediate_are_caught(write):
    x = pair([0.5, -1.0, 2.0])[0]
    h = x.exp()          # exp's backward reads its output h
    y = (h * 2).sum()
    write(h)
    with pytest.raises(RuntimeError, match=STALE):
        y.backward()


def test_in_place_on_a_leaf_that_requires_grad_raises_outside_no_grad():
    x = pair([1.0, 2.0])[0]
    for op in (lambda: x.zero_(), lambda: x.add_(1.0), lambda: x.clamp_(0, 1)):
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            op()
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x[0] = 3.0
    with mg.no_grad():
        x.add_(1.0)
        x[1] = 7.0
    np.testing.assert_array_equal(x.numpy(), [2.0, 7.0])


def test_writes_that_backward_does_not_read_are_allowed():
    x = pair([1.0, 2.0])[0]
    w = pair([3.0, 4.0])[0]
    y = (x * w).sum()
    with mg.no_grad():
        w.grad = None
    y.backward()  # nothing was written: the versions are unchanged
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 4.0])


# ---- Tensor.data ----------------------------------------------------------------------
def test_data_is_a_detached_tensor_sharing_storage():
    p = mg.nn.Parameter(mg.tensor([0.5, -2.0, 3.0]))
    d = p.data
    assert isinstance(d, mg.Tensor) and not d.requires_grad and d.grad_fn is None
    assert d.size() == (3,) and p.data.size(0) == 3
    p.data.clamp_(-1.0, 1.0)  # WGAN weight clipping
    np.testing.assert_array_equal(p.detach().numpy(), np.float32([0.5, -1.0, 1.0]))
    assert p.requires_grad and p.is_leaf
    np.testing.assert_array_equal(p.data.numpy(), p.detach().numpy())
    assert np.shares_memory(p.data.numpy(), p.array)


def test_data_normal_init_and_assignment():
    mg.manual_seed(0)
    lin = mg.nn.Linear(200, 100)
    lin.weight.data.normal_(0.0, 0.02)
    lin.bias.data.fill_(0)
    w = lin.weight.detach().numpy()
    assert abs(w.std() - 0.02) < 0.002 and abs(w.mean()) < 0.002 and w.dtype == np.float32
    assert not lin.bias.detach().numpy().any()
    lin.weight.data = mg.zeros(100, 200)
    assert lin.weight.shape == (100, 200) and not lin.weight.detach().numpy().any()
    assert lin.weight.requires_grad


def test_uniform_and_normal_validate_their_arguments():
    t = mg.zeros(3)
    with pytest.raises(RuntimeError, match="std >= 0"):
        t.normal_(0.0, -1.0)
    with pytest.raises(RuntimeError, match="from=2"):
        t.uniform_(2.0, 1.0)
    t.uniform_(-0.5, 0.5)
    assert (np.abs(t.numpy()) <= 0.5).all()


# ---- recorded in-place ops: values and gradients as PyTorch -----------------------------
INPLACE = {
    "mul_": lambda t, o: t.mul_(o),
    "add_alpha": lambda t, o: t.add_(o, alpha=2.0),
    "sub_": lambda t, o: t.sub_(o),
    "div_": lambda t, o: t.div_(o),
    "pow_": lambda t, o: t.pow_(2.0),
    "exp_": lambda t, o: t.exp_(),
    "neg_": lambda t, o: t.neg_(),
    "clamp_": lambda t, o: t.clamp_(-0.5, 0.7),
    "relu_": lambda t, o: t.relu_(),
    "sigmoid_": lambda t, o: t.sigmoid_(),
    "tanh_": lambda t, o: t.tanh_(),
    "fill_tensor": lambda t, o: t.fill_(o.sum()),
    "zero_": lambda t, o: t.zero_(),
    "copy_": lambda t, o: t.copy_(o),
}


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_in_place_on_a_non_leaf_records_the_op_like_pytorch(name):
    rng = np.random.default_rng(1)
    xv, ov = rng.standard_normal(4), rng.uniform(0.5, 1.5, 4)
    results = []
    for k in (0, 1):
        x, o = pair(xv)[k], pair(ov)[k]
        h = x * 1.5  # a non-leaf
        out = INPLACE[name](h, o)
        assert out is h
        (h * h.detach() + h).sum().backward()
        og = o.grad
        results.append((np.asarray(h.detach()), np.asarray(x.grad),
                        None if og is None else np.asarray(og)))
    (hv, xg, og), (hv_t, xg_t, og_t) = results
    np.testing.assert_allclose(hv, hv_t, rtol=1e-12, err_msg=f"{name}: values")
    np.testing.assert_allclose(xg, xg_t, rtol=1e-12, err_msg=f"{name}: gradient of x")
    if og_t is None:
        assert og is None or not og.any(), f"{name}: o got a gradient torch does not give"
    else:
        np.testing.assert_allclose(og, og_t, rtol=1e-12, err_msg=f"{name}: gradient of the argument")


def test_in_place_with_a_grad_argument_into_a_plain_tensor_records_it():
    w = pair([1.0, 2.0])[0]
    buf = mg.zeros(2, dtype=mg.float64)
    buf.add_(w * 3)
    assert buf.requires_grad and buf.grad_fn is not None
    buf.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [3.0, 3.0])


def test_writes_through_data_to_a_saved_value_raise_where_pytorch_is_silently_wrong():
    """sigmoid's backward reads its output. PyTorch's .data has a version counter of its
    own, so there the write goes unseen and the gradient is computed from the doubled
    values; minigan's .data shares the counter and raises (a deliberate difference)."""
    x, xt = pair([0.3, -0.2])
    s, st = x.sigmoid(), xt.sigmoid()
    y, yt = (s * 1.0).sum(), (st * 1.0).sum()
    s.data.mul_(2)
    st.data.mul_(2)
    with pytest.raises(RuntimeError, match=STALE):
        y.backward()
    yt.backward()
    s0 = 1 / (1 + np.exp(-np.array([0.3, -0.2])))
    np.testing.assert_allclose(xt.grad.numpy(), 2 * s0 * (1 - 2 * s0))  # the wrong answer


def test_in_place_result_dtype_and_shape_rules_as_pytorch():
    i = mg.tensor([1, 2])
    with pytest.raises(RuntimeError, match="can't be cast"):
        i.mul_(0.5)
    t = mg.zeros(3)
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        t.add_(mg.ones(2, 3))
    t.add_(mg.ones(1))  # broadcasting the argument is fine
    np.testing.assert_array_equal(t.numpy(), [1, 1, 1])


# ---- hooks and retain_grad ---------------------------------------------------------------
def test_register_hook_and_retain_grad_match_pytorch():
    grads = {}
    for lib in ("mg", "torch"):
        x = pair([1.0, -2.0, 0.5])[lib == "torch"]
        h = x * x
        h.retain_grad()
        seen = []
        handle = h.register_hook(lambda g: seen.append(np.asarray(g).copy()))
        x.register_hook(lambda g: g * 10)  # replaces the leaf's gradient
        (h * 3).sum().backward()
        handle.remove()
        (h.detach() * 0).sum()  # no effect
        grads[lib] = (np.asarray(h.grad), np.asarray(x.grad), seen[0])
        assert h.retains_grad
    for a, b in zip(grads["mg"], grads["torch"]):
        np.testing.assert_allclose(a, b)


def test_register_hook_needs_a_tensor_that_requires_grad():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        mg.zeros(2).register_hook(lambda g: g)


# ---- grad mode is per thread ---------------------------------------------------------------
def test_no_grad_in_one_thread_does_not_stop_recording_in_another():
    x = pair([1.0])[0]
    inside, go_on = threading.Event(), threading.Event()
    seen = {}

    def holder():
        with mg.no_grad():
            seen["holder"] = (x * 2).requires_grad
            inside.set()
            go_on.wait(5)

    th = threading.Thread(target=holder)
    th.start()
    inside.wait(5)
    seen["main"] = (x * 2).requires_grad  # the other thread is inside no_grad right now
    go_on.set()
    th.join()
    assert seen == {"holder": False, "main": True}
    assert mg.is_grad_enabled()


def test_overlapping_no_grad_blocks_in_two_threads_leave_recording_on():
    x = pair([1.0])[0]
    steps = [threading.Event() for _ in range(3)]

    def a():
        with mg.no_grad():
            steps[0].set()
            steps[1].wait(5)
        steps[2].set()

    th = threading.Thread(target=a)
    th.start()
    steps[0].wait(5)
    with mg.no_grad():
        steps[1].set()
        steps[2].wait(5)  # thread a leaves its block while main is still inside its own
    th.join()
    assert (x * 2).requires_grad, "recording must be back on after both blocks ended"


def test_backward_does_not_turn_recording_off_in_other_threads():
    x = pair(np.ones(2000))[0]
    started, observed = threading.Event(), []

    def hook(g):
        started.set()
        observed.append(done.wait(5))
        return g

    done = threading.Event()
    y = (x * 2).exp()
    y.register_hook(hook)
    th = threading.Thread(target=lambda: y.sum().backward())
    th.start()
    started.wait(5)
    recorded = (x * 3).requires_grad  # the other thread is inside backward right now
    done.set()
    th.join()
    assert recorded and observed == [True]


def test_in_place_on_a_tensor_an_earlier_op_used_raises_instead_of_misrouting():
    """b used a before a.mul_(3): b's gradient must reach x through the old a (2 per unit);
    minigan cannot re-route it (PyTorch can) and says so rather than sending it through
    the new a (which would give 6)."""
    x = pair([1.0, 2.0])[0]
    a = x * 2
    b = a + 1
    a.mul_(3)
    with pytest.raises(RuntimeError, match="in-place operation after the op used it|modified by an inplace operation"):
        (a + b).sum().backward()


def test_setitem_is_not_recorded_and_says_so():
    x = pair([1.0, 2.0])[0]
    h = x * 2
    with pytest.raises(RuntimeError, match="does not record x\\[idx\\] = v"):
        h[0] = 5.0
    buf = mg.zeros(2, dtype=mg.float64)
    with pytest.raises(RuntimeError, match="does not record"):
        buf[0] = x[1]


@pytest.mark.parametrize("idx", [(0, slice(None), [0, 1]), (slice(None), 1, [2, 0]), (1, [0, 2], slice(1, 3)),
                                 ([1, 0], slice(None), 0), (Ellipsis, [3, 1])])
def test_setitem_places_advanced_index_axes_as_pytorch(idx):
    """x[0, :, [0, 1]] = v writes v's (3, 2) into the places PyTorch does (NumPy's rule
    would want (2, 3), and on square shapes would silently write the transpose)."""
    rng = np.random.default_rng(0)
    base = rng.standard_normal((2, 3, 4))
    t = torch.tensor(base)
    target_shape = t[idx].shape
    v = rng.standard_normal(tuple(target_shape))
    t[idx] = torch.tensor(v)
    x = mg.tensor(base, dtype=mg.float64)
    assert x[idx].shape == tuple(target_shape)
    x[idx] = mg.tensor(v, dtype=mg.float64)
    np.testing.assert_array_equal(x.numpy(), t.numpy())


def test_casting_to_an_integer_dtype_starts_no_graph():
    y = pair([1.5, 2.0])[0]
    assert not y.to(mg.int64).requires_grad and not y.long().requires_grad
    assert y.to(mg.float32).requires_grad
