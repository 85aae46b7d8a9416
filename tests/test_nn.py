"""minigan.nn: gradients of every layer, PyTorch-compatible state dicts, Module behaviour."""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch

import minigan as mg
from minigan import functional as F
from minigan import nn


def _x(*shape, seed=0, rg=True):
    rng = np.random.default_rng(seed)
    return mg.tensor(rng.standard_normal(shape), dtype=mg.float64, requires_grad=rg)


def _torch_mlp(sizes, batch_norm=False, slope=0.2, dropout=0.0):
    layers = []
    for i, (a, b) in enumerate(itertools.pairwise(sizes)):
        layers.append(torch.nn.Linear(a, b))
        if i < len(sizes) - 2:
            if batch_norm:
                layers.append(torch.nn.BatchNorm1d(b))
            layers.append(torch.nn.LeakyReLU(slope))
            if dropout:
                layers.append(torch.nn.Dropout(dropout))
    return torch.nn.Sequential(*layers)


# ---- gradients ---------------------------------------------------------------------------
def test_linear_passes_gradcheck_and_gradgradcheck():
    m = nn.Linear(3, 4).double()
    x = _x(5, 3)
    assert mg.gradcheck(lambda x, w, b: m(x), (x, m.weight, m.bias))
    assert mg.gradgradcheck(lambda x, w, b: m(x), (x, m.weight, m.bias))


def test_linear_without_bias_and_3d_input_passes_gradcheck():
    m = nn.Linear(3, 2, bias=False).double()
    assert m.bias is None and [n for n, _ in m.named_parameters()] == ["weight"]
    assert mg.gradcheck(lambda x, w: m(x), (_x(2, 4, 3), m.weight))


@pytest.mark.parametrize("act", [nn.ReLU(), nn.LeakyReLU(0.2), nn.Tanh(), nn.Sigmoid(), nn.ELU(),
                                 nn.Softplus(), nn.Identity()], ids=lambda a: type(a).__name__)
def test_activation_passes_gradcheck(act):
    assert mg.gradcheck(act, (_x(4, 3),))


@pytest.mark.parametrize("act,tact", [(nn.ReLU(), torch.nn.ReLU()), (nn.LeakyReLU(0.2), torch.nn.LeakyReLU(0.2)),
                                      (nn.Tanh(), torch.nn.Tanh()), (nn.Sigmoid(), torch.nn.Sigmoid()),
                                      (nn.ELU(0.5), torch.nn.ELU(0.5)), (nn.Softplus(2.0), torch.nn.Softplus(2.0))],
                         ids=lambda a: type(a).__name__)
def test_activation_matches_torch(act, tact):
    x = _x(6, 5, rg=False)
    np.testing.assert_allclose(act(x).numpy(), tact(torch.from_numpy(x.numpy())).numpy(), rtol=1e-12, atol=1e-12)


_INPLACE_PAIRS = [(lambda: nn.ReLU(inplace=True), lambda: torch.nn.ReLU(inplace=True)),
                  (lambda: nn.LeakyReLU(0.2, inplace=True), lambda: torch.nn.LeakyReLU(0.2, inplace=True)),
                  (lambda: nn.ELU(0.5, inplace=True), lambda: torch.nn.ELU(0.5, inplace=True))]


@pytest.mark.parametrize("make,tmake", _INPLACE_PAIRS, ids=["ReLU", "LeakyReLU", "ELU"])
def test_inplace_activation_writes_into_its_input_with_torchs_values_and_gradients(make, tmake):
    """nn.ReLU(inplace=True) & co. return their input, overwritten, as PyTorch's do; the graph
    through it gives PyTorch's gradients (and their own gradients twice over)."""
    rng = np.random.default_rng(3)
    x0, w0 = rng.standard_normal((5, 4)), rng.standard_normal((4, 3))
    x, w = mg.tensor(x0, requires_grad=True), mg.tensor(w0, requires_grad=True)
    tx, tw = torch.tensor(x0, requires_grad=True), torch.tensor(w0, requires_grad=True)
    h, th = x @ w, tx @ tw
    y, ty = make()(h), tmake()(th)
    assert y is h, "an inplace=True activation must return its input tensor"
    np.testing.assert_allclose(h.numpy(), th.detach().numpy(), rtol=1e-12, atol=1e-12)
    (y * y).sum().backward()
    (ty * ty).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-10, atol=1e-12)
    act = make()
    assert mg.gradgradcheck(lambda a: act(a * 1.0), (_x(4, 3),))


@pytest.mark.parametrize("make,tmake", _INPLACE_PAIRS, ids=["ReLU", "LeakyReLU", "ELU"])
def test_inplace_activation_refuses_a_leaf_that_requires_grad_and_prints_as_torch(make, tmake):
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        make()(_x(3, 2))
    with torch.no_grad(), mg.no_grad():
        x = _x(3, 2)
        before = x.numpy().copy()
        assert make()(x) is x and not np.array_equal(x.numpy(), before)
    assert repr(make()) == repr(tmake()), f"{make()!r} should print as PyTorch's {tmake()!r}"


def test_inplace_dropout_overwrites_its_input_with_the_same_mask_as_dropout():
    drop, drop_inplace = nn.Dropout(0.5), nn.Dropout(0.5, inplace=True)
    x = _x(8, 6, rg=False)
    mg.manual_seed(4)
    expected = drop(x * 1.0).numpy()
    h = x * 1.0
    mg.manual_seed(4)
    assert drop_inplace(h) is h
    np.testing.assert_array_equal(h.numpy(), expected)
    drop_inplace.eval()
    h2 = x * 1.0
    assert drop_inplace(h2) is h2 and np.array_equal(h2.numpy(), x.numpy())


@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 2)], ids=["2d", "3d"])
def test_batchnorm1d_passes_gradcheck(training, shape):
    bn = nn.BatchNorm1d(3).double()
    rng = np.random.default_rng(3)
    bn.weight.data[...] = rng.uniform(0.5, 1.5, 3)
    bn.bias.data[...] = rng.standard_normal(3)
    bn.running_mean.data[...] = rng.standard_normal(3)
    bn.running_var.data[...] = rng.uniform(0.5, 2.0, 3)
    bn.train(training)
    assert mg.gradcheck(lambda x, w, b: bn(x), (_x(*shape), bn.weight, bn.bias))


def test_batchnorm1d_passes_gradgradcheck():
    bn = nn.BatchNorm1d(2).double()
    assert mg.gradgradcheck(lambda x, w, b: bn(x), (_x(4, 2), bn.weight, bn.bias))


def test_dropout_with_fixed_mask_passes_gradcheck():
    d = nn.Dropout(0.4)

    def f(x):
        mg.manual_seed(7)  # the same mask on every evaluation
        return d(x)

    assert mg.gradcheck(f, (_x(5, 4),))
    d.eval()
    x = _x(5, 4)
    assert d(x) is x


def test_batchnorm1d_matches_torch_in_train_and_eval():
    bn, tbn = nn.BatchNorm1d(4, momentum=0.2), torch.nn.BatchNorm1d(4, momentum=0.2)
    rng = np.random.default_rng(0)
    for _ in range(3):
        x = (rng.standard_normal((8, 4)) * 3 + 1).astype(np.float32)
        np.testing.assert_allclose(bn(mg.tensor(x)).numpy(), tbn(torch.from_numpy(x)).detach().numpy(),
                                   atol=1e-5)
    for k, v in tbn.state_dict().items():
        np.testing.assert_allclose(bn.state_dict()[k].numpy(), v.numpy(), atol=1e-6, err_msg=k)
    bn.eval()
    tbn.eval()
    x = rng.standard_normal((5, 4)).astype(np.float32)
    np.testing.assert_allclose(bn(mg.tensor(x)).numpy(), tbn(torch.from_numpy(x)).detach().numpy(), atol=1e-5)


def test_batchnorm1d_refuses_one_value_per_channel_in_training():
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(mg.randn(1, 3))


# ---- state dicts with PyTorch ---------------------------------------------------------------
@pytest.mark.parametrize("batch_norm", [False, True], ids=["plain", "batchnorm"])
def test_mlp_state_dict_round_trips_with_torch(batch_norm):
    mg.manual_seed(0)
    torch.manual_seed(0)
    sizes = [2, 16, 16, 1]
    m, tm = nn.mlp(sizes, batch_norm=batch_norm), _torch_mlp(sizes, batch_norm)
    assert list(m.state_dict()) == list(tm.state_dict())
    x = np.random.default_rng(0).standard_normal((8, 2)).astype(np.float32)
    # train a step of batch statistics so that running stats differ from their defaults
    m(mg.tensor(x))
    m.eval()
    # minigan -> torch
    tm.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in m.state_dict().items()})
    tm.eval()
    np.testing.assert_allclose(m(mg.tensor(x)).numpy(), tm(torch.from_numpy(x)).detach().numpy(), atol=1e-6)
    # torch -> minigan
    tm2 = _torch_mlp(sizes, batch_norm)
    tm2(torch.from_numpy(x))
    tm2.eval()
    m.load_state_dict({k: v.numpy() for k, v in tm2.state_dict().items()})
    np.testing.assert_allclose(m(mg.tensor(x)).numpy(), tm2(torch.from_numpy(x)).detach().numpy(), atol=1e-6)


def test_mlp_layer_indices_match_torch_sequential():
    m = nn.mlp([3, 5, 5, 2], batch_norm=True, dropout=0.3, out_activation="sigmoid")
    tm = _torch_mlp([3, 5, 5, 2], batch_norm=True, dropout=0.3)
    tm.append(torch.nn.Sigmoid())
    assert [type(a).__name__ for a in m] == [type(a).__name__ for a in tm]
    assert {k: tuple(v.shape) for k, v in m.state_dict().items()} == \
        {k: tuple(v.shape) for k, v in tm.state_dict().items()}


def test_state_dict_values_are_detached_and_share_memory():
    m = nn.Linear(2, 3)
    sd = m.state_dict()
    assert not sd["weight"].requires_grad and type(sd["weight"]) is mg.Tensor
    assert np.shares_memory(sd["weight"].numpy(), m.weight.numpy())


# ---- bad input --------------------------------------------------------------------------------
def test_linear_with_wrong_width_names_both_widths():
    with pytest.raises(ValueError, match=r"Linear expected 3 input features but got 5 \(input shape \(8, 5\)\)"):
        nn.Linear(3, 2)(mg.randn(8, 5))


def test_load_state_dict_names_missing_unexpected_and_misshapen_keys():
    m = nn.mlp([2, 4, 1])
    sd = {k: v.numpy() for k, v in m.state_dict().items()}
    missing = dict(sd)
    del missing["2.bias"]
    with pytest.raises(RuntimeError, match=r'Missing key\(s\) in state_dict: "2.bias"'):
        m.load_state_dict(missing)
    with pytest.raises(RuntimeError, match=r'Unexpected key\(s\) in state_dict: "3.weight"'):
        m.load_state_dict({**sd, "3.weight": np.zeros(2)})
    with pytest.raises(RuntimeError, match=r"size mismatch for 0.weight: .*\(4, 3\).*\(4, 2\)"):
        m.load_state_dict({**sd, "0.weight": np.zeros((4, 3), np.float32)})
    result = m.load_state_dict(missing, strict=False)
    assert result.missing_keys == ["2.bias"] and result.unexpected_keys == []


def test_load_state_dict_copies_in_place():
    m = nn.Linear(2, 2)
    w = m.weight
    m.load_state_dict({"weight": np.ones((2, 2)), "bias": np.zeros(2)})
    assert m.weight is w and np.all(w.numpy() == 1) and w.dtype == np.float32


# ---- Module behaviour ----------------------------------------------------------------------------
class _Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
        self.scale = nn.Parameter(mg.ones(1))
        self.register_buffer("count", mg.zeros(1))

    def forward(self, x):
        return self.net(x) * self.scale


def test_module_registers_parameters_children_and_buffers():
    n = _Net()
    assert [k for k, _ in n.named_parameters()] == ["scale", "net.0.weight", "net.0.bias",
                                                      "net.2.weight", "net.2.bias"]
    assert list(n.state_dict()) == ["scale", "count", "net.0.weight", "net.0.bias", "net.2.weight",
                                    "net.2.bias"]
    assert [k for k, _ in n.named_children()] == ["net"]
    assert len(list(n.modules())) == 5 and len(list(n.buffers())) == 1
    assert len(list(n.parameters(recurse=False))) == 1
    n.eval()
    assert not n.net[0].training
    n.train()
    assert n.net[2].training


def test_zero_grad_sets_none_and_to_casts_in_place():
    n = _Net()
    n(mg.randn(4, 2)).sum().backward()
    assert all(p.grad is not None for p in n.parameters())
    n.zero_grad()
    assert all(p.grad is None for p in n.parameters())
    w = n.net[0].weight
    assert n.to(mg.float64) is n and n.net[0].weight is w and w.dtype == np.float64
    assert n.count.dtype == np.float64


def test_apply_repr_and_sequential_container():
    s = nn.Sequential(nn.Linear(2, 64), nn.LeakyReLU(0.2))
    s.append(nn.Linear(64, 1))
    assert len(s) == 3 and isinstance(s[-1], nn.Linear) and len(s[:2]) == 2
    assert repr(s) == ("Sequential(\n  (0): Linear(in_features=2, out_features=64, bias=True)\n"
                       "  (1): LeakyReLU(negative_slope=0.2)\n"
                       "  (2): Linear(in_features=64, out_features=1, bias=True)\n)")
    assert repr(s[0].weight).startswith("Parameter containing")
    seen = []
    s.apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "LeakyReLU", "Linear", "Sequential"]


def test_nn_functional_is_minigan_functional():
    import minigan.nn.functional as nnF

    assert nnF is F and nn.functional is F


# ---- init ---------------------------------------------------------------------------------------
def test_linear_default_init_is_pytorchs_uniform():
    mg.manual_seed(0)
    m = nn.Linear(100, 200)
    b = 1 / math.sqrt(100)
    assert np.abs(m.weight.numpy()).max() <= b and np.abs(m.weight.numpy()).max() > 0.95 * b
    assert np.abs(m.bias.numpy()).max() <= b
    mg.manual_seed(0)
    w2 = nn.Linear(100, 200).weight.numpy()
    np.testing.assert_array_equal(m.weight.numpy(), w2)


@pytest.mark.parametrize("name,param", [("linear", None), ("tanh", None), ("relu", None),
                                        ("leaky_relu", None), ("leaky_relu", 0.2), ("selu", None)])
def test_calculate_gain_matches_torch(name, param):
    assert nn.init.calculate_gain(name, param) == pytest.approx(torch.nn.init.calculate_gain(name, param))


def test_init_functions_fill_in_place_with_the_right_spread():
    t = mg.zeros(400, 300)
    assert nn.init.xavier_uniform_(t) is t
    assert np.abs(t.numpy()).max() <= math.sqrt(6 / 700)
    nn.init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu")
    assert t.numpy().std() == pytest.approx(math.sqrt(2 / 400), rel=0.02)
    nn.init.xavier_normal_(t, gain=2.0)
    assert t.numpy().std() == pytest.approx(2 * math.sqrt(2 / 700), rel=0.02)
    nn.init.kaiming_uniform_(t, a=math.sqrt(5))
    assert np.abs(t.numpy()).max() <= 1 / math.sqrt(300)
    nn.init.normal_(t, 1.0, 0.1)
    assert t.numpy().mean() == pytest.approx(1.0, abs=0.01)
    assert np.all(nn.init.constant_(t, 3.0).numpy() == 3) and np.all(nn.init.ones_(t).numpy() == 1)
    assert np.all(nn.init.zeros_(t).numpy() == 0)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        nn.init.xavier_uniform_(mg.zeros(3))
