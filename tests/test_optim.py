"""minigan.optim against torch.optim: same weights, same gradients, same updates."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import minigan as mg
from minigan import functional as F
from minigan import nn, optim

STEPS = 20


def _models(seed=0, dtype=np.float32):
    mg.manual_seed(seed)
    m = nn.mlp([3, 16, 16, 2], activation=nn.Tanh()).to(dtype)
    tm = torch.nn.Sequential(torch.nn.Linear(3, 16), torch.nn.Tanh(), torch.nn.Linear(16, 16),
                             torch.nn.Tanh(), torch.nn.Linear(16, 2))
    tm.to(torch.float64 if dtype == np.float64 else torch.float32)
    tm.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in m.state_dict().items()})
    return m, tm


def _batches(n=STEPS, dtype=np.float32):
    rng = np.random.default_rng(1)
    return [(rng.standard_normal((8, 3)).astype(dtype), rng.standard_normal((8, 2)).astype(dtype))
            for _ in range(n)]


def _mg_step(m, opt, x, y):
    opt.zero_grad()
    F.mse_loss(m(mg.tensor(x)), mg.tensor(y)).backward()
    opt.step()


def _torch_step(m, opt, x, y):
    opt.zero_grad()
    torch.nn.functional.mse_loss(m(torch.from_numpy(x)), torch.from_numpy(y)).backward()
    opt.step()


def _max_dev(m, tm) -> float:
    sd, tsd = m.state_dict(), tm.state_dict()
    return max(float(np.abs(sd[k].numpy() - tsd[k].numpy()).max()) for k in sd)


CONFIGS = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.3}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"lr": 0.1, "weight_decay": 0.05}),
    ("SGD", {"lr": 0.01, "momentum": 0.5, "weight_decay": 0.05, "maximize": True}),
    ("Adam", {"lr": 0.01}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.05}),
    ("Adam", {"lr": 0.01, "amsgrad": True}),
    ("Adam", {"lr": 0.01, "betas": (0.5, 0.9), "weight_decay": 0.01, "amsgrad": True, "maximize": True}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.001, "momentum": 0.9}),
    ("RMSprop", {"lr": 0.001, "centered": True}),
    ("RMSprop", {"lr": 0.001, "momentum": 0.5, "centered": True, "weight_decay": 0.01}),
]


@pytest.mark.parametrize("dtype,tol", [(np.float32, 1e-5), (np.float64, 1e-12)], ids=["f32", "f64"])
@pytest.mark.parametrize("name,kw", CONFIGS, ids=[f"{n}-{'-'.join(kw)}" for n, kw in CONFIGS])
def test_optimizer_matches_torch_for_20_steps(name, kw, dtype, tol):
    # float64 shows the update rule is the same; float32 that rounding stays within 1e-5
    m, tm = _models(dtype=dtype)
    opt = getattr(optim, name)(m.parameters(), **kw)
    topt = getattr(torch.optim, name)(tm.parameters(), **kw)
    for x, y in _batches(dtype=dtype):
        _mg_step(m, opt, x, y)
        _torch_step(tm, topt, x, y)
    dev = _max_dev(m, tm)
    assert dev < tol, f"{name}{kw}: parameters differ from PyTorch's by {dev:.3g} after {STEPS} steps"


def test_param_groups_with_different_lr_match_torch():
    m, tm = _models()
    opt = optim.Adam([{"params": m[0].parameters(), "lr": 0.05}, {"params": m[2].parameters()},
                      {"params": m[4].parameters(), "betas": (0.5, 0.99)}], lr=0.01)
    topt = torch.optim.Adam([{"params": tm[0].parameters(), "lr": 0.05}, {"params": tm[2].parameters()},
                             {"params": tm[4].parameters(), "betas": (0.5, 0.99)}], lr=0.01)
    assert [g["lr"] for g in opt.param_groups] == [0.05, 0.01, 0.01]
    for x, y in _batches():
        _mg_step(m, opt, x, y)
        _torch_step(tm, topt, x, y)
    assert _max_dev(m, tm) < 1e-5


@pytest.mark.parametrize("name,kw", [("SGD", {"lr": 0.1, "momentum": 0.9}), ("Adam", {"lr": 0.01, "amsgrad": True}),
                                     ("RMSprop", {"lr": 0.01, "momentum": 0.9, "centered": True})])
@pytest.mark.parametrize("through_file", [False, True], ids=["in-memory", "mg.save"])
def test_optimizer_state_dict_resume_is_bit_identical(name, kw, through_file, tmp_path):
    batches = _batches(10)
    m, _ = _models()
    opt = getattr(optim, name)(m.parameters(), **kw)
    for x, y in batches:
        _mg_step(m, opt, x, y)
    m2, _ = _models()
    opt2 = getattr(optim, name)(m2.parameters(), **kw)
    for x, y in batches[:5]:
        _mg_step(m2, opt2, x, y)
    ckpt = {"model": m2.state_dict(), "opt": opt2.state_dict()}
    if through_file:
        mg.save(ckpt, tmp_path / "ckpt.npz")
        ckpt = mg.load(tmp_path / "ckpt.npz")
    m3, _ = _models(seed=99)
    m3.load_state_dict(ckpt["model"])
    opt3 = getattr(optim, name)(m3.parameters(), lr=123.0)
    opt3.load_state_dict(ckpt["opt"])
    assert opt3.param_groups[0]["lr"] == kw["lr"]
    for x, y in batches[5:]:
        _mg_step(m3, opt3, x, y)
    for k, v in m.state_dict().items():
        np.testing.assert_array_equal(m3.state_dict()[k].numpy(), v.numpy(), err_msg=k)


def test_optimizer_state_dict_layout_is_pytorchs():
    m, tm = _models()
    opt, topt = optim.Adam(m.parameters()), torch.optim.Adam(tm.parameters())
    x, y = _batches(1)[0]
    _mg_step(m, opt, x, y)
    _torch_step(tm, topt, x, y)
    sd, tsd = opt.state_dict(), topt.state_dict()
    assert sorted(sd["state"]) == sorted(tsd["state"])
    assert set(sd["state"][0]) == set(tsd["state"][0])
    assert sd["param_groups"][0]["params"] == tsd["param_groups"][0]["params"]
    assert float(sd["state"][0]["step"].item()) == 1.0
    sd["state"][0]["exp_avg"].array[...] = 0  # a copy: the optimizer's own state is untouched
    assert np.abs(opt.state[m[0].weight]["exp_avg"]).max() > 0


def test_shared_gradient_arrays_are_never_modified():
    a = nn.Parameter(mg.ones(3))
    b = nn.Parameter(mg.ones(3))
    g = mg.tensor([1.0, 2.0, 3.0])
    a.grad = g
    b.grad = g
    before = g.numpy().copy()
    for opt in (optim.SGD([a, b], lr=0.1, momentum=0.9, weight_decay=0.1, maximize=True),
                optim.Adam([a, b], weight_decay=0.1), optim.RMSprop([a, b], weight_decay=0.1, centered=True)):
        opt.step()
        opt.step()
    np.testing.assert_array_equal(g.numpy(), before)


def test_parameters_without_grad_are_skipped_and_zero_grad_sets_none():
    a, b = nn.Parameter(mg.ones(2)), nn.Parameter(mg.ones(2))
    a.grad = mg.ones(2)
    opt = optim.Adam([a, b], lr=0.1)
    opt.step()
    assert np.all(b.numpy() == 1) and np.all(a.numpy() < 1) and b not in opt.state
    opt.zero_grad()
    assert a.grad is None


def test_bad_hyperparameters_and_params_raise_like_pytorch():
    p = [nn.Parameter(mg.ones(2))]
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        optim.SGD(p, lr=-1)
    with pytest.raises(ValueError, match="Invalid beta parameter at index 1: 1.0"):
        optim.Adam(p, betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="Invalid alpha value: -0.5"):
        optim.RMSprop(p, alpha=-0.5)
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": p}, {"params": p}], lr=0.1)
    with pytest.raises(ValueError, match="different number of parameter groups"):
        optim.SGD(p, lr=0.1).load_state_dict({"state": {}, "param_groups": []})


@pytest.mark.parametrize("name,kw", [("Adam", {"lr": 0.01}), ("SGD", {"lr": 0.1, "momentum": 0.9}),
                                     ("RMSprop", {"lr": 0.001, "centered": True})])
def test_flat_group_update_falls_back_and_stays_exact_when_a_gradient_is_missing(name, kw):
    """The whole-group (flat) update must give PyTorch's parameters (float64, 1e-12) also when
    a parameter has no gradient at some steps (its step count then differs from the rest)."""
    m, tm = _models(dtype=np.float64)
    opt = getattr(optim, name)(m.parameters(), **kw)
    topt = getattr(torch.optim, name)(tm.parameters(), **kw)
    for i, (x, y) in enumerate(_batches(dtype=np.float64)):
        opt.zero_grad()
        topt.zero_grad()
        F.mse_loss(m(mg.tensor(x)), mg.tensor(y)).backward()
        torch.nn.functional.mse_loss(tm(torch.from_numpy(x)), torch.from_numpy(y)).backward()
        if i in (3, 4, 9):  # the first layer's bias sits these steps out
            m[0].bias.grad = None
            tm[0].bias.grad = None
        opt.step()
        topt.step()
    dev = _max_dev(m, tm)
    assert dev < 1e-12, f"{name}: parameters differ from PyTorch's by {dev:.3g}"
    if "step" in opt.state[m[0].weight]:
        assert opt.state[m[0].bias]["step"] != opt.state[m[0].weight]["step"], "bias should have fewer steps"


def test_flat_group_update_survives_load_state_dict_and_module_to():
    """After the optimizer's state or the parameters' arrays are replaced, the next step
    must update the parameters the model actually uses."""
    m, tm = _models(dtype=np.float64)
    opt = optim.Adam(m.parameters(), lr=0.01)
    topt = torch.optim.Adam(tm.parameters(), lr=0.01)
    batches = _batches(dtype=np.float64)
    for x, y in batches[:5]:
        _mg_step(m, opt, x, y)
        _torch_step(tm, topt, x, y)
    opt.load_state_dict(opt.state_dict())  # state arrays replaced by copies
    m.to(dtype=mg.float64)                  # a no-op cast must not break anything either
    for p in m.parameters():
        p.array = p.array.copy()             # parameter arrays replaced
    for x, y in batches[5:]:
        _mg_step(m, opt, x, y)
        _torch_step(tm, topt, x, y)
    dev = _max_dev(m, tm)
    assert dev < 1e-12, f"parameters differ from PyTorch's by {dev:.3g} after replacing arrays"


@pytest.mark.parametrize("make", [lambda ps: mg.optim.Adam(ps, lr=0.1),
                                  lambda ps: mg.optim.SGD(ps, lr=0.1, momentum=0.9)])
def test_references_to_a_parameter_taken_before_the_first_step_follow_it(make):
    """The whole-group update writes back into each parameter's own storage: a p.data or
    p.numpy() taken before the optimizer's first step sees every later step."""
    mg.manual_seed(0)
    net = mg.nn.mlp([3, 4, 2])
    held = [(p, p.data, p.numpy()) for p in net.parameters()]
    opt = make(net.parameters())
    for _ in range(3):
        opt.zero_grad()
        net(mg.ones(5, 3)).pow(2).sum().backward()
        opt.step()
    for p, data, arr in held:
        np.testing.assert_array_equal(data.numpy(), p.numpy())
        assert np.shares_memory(arr, p.array), "the parameter's storage was replaced"
