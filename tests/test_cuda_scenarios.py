"""Training scenarios on CUDA against the same runs on the CPU (every test is marked ``cuda``).

Without a GPU they run on the CuPy stand-in (tests/cupy_standin), which refuses what CuPy
refuses (implicit device-to-host copies, NumPy operands, host values in __setitem__,
arrays on another device than the current one), so a pass here means the CUDA code path
executes; only a run on a real GPU (``MINIGAN_DEVICE=cuda pytest -m cuda``) checks the
device's own arithmetic. float32 results are compared within 1e-5 relative (the device's
expf/log1pf and reduction order differ from the host's) and a few times 2**-126 absolute
(flush-to-zero, see tests/test_cuda.py).
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.cuda

RTOL, ATOL = 2e-5, 1e-6


def _gpus() -> int:
    from minigan.backend import cuda

    return cuda.device_count()  # 2 on the stand-in


@pytest.fixture
def two_gpus():
    """The test needs cuda:1: the stand-in has it; a real machine may have one GPU only."""
    if _gpus() < 2:
        pytest.skip("needs a second CUDA device (cuda:1)")


def _devices() -> tuple:
    return ("cpu", "cuda", "cuda:1") if _gpus() >= 2 else ("cpu", "cuda")


def _host(x):
    import minigan as mg

    if isinstance(x, mg.Tensor):
        return x.to("cpu").numpy()
    if hasattr(x, "get"):
        return x.get()
    return x


def _assert_same(cuda, cpu, what="", rtol=RTOL, atol=ATOL):
    if isinstance(cpu, dict):
        assert cuda.keys() == cpu.keys(), what
        for k in cpu:
            _assert_same(cuda[k], cpu[k], f"{what}.{k}", rtol, atol)
    elif isinstance(cpu, (list, tuple)):
        assert len(cuda) == len(cpu), what
        for i, (a, b) in enumerate(zip(cuda, cpu)):
            _assert_same(a, b, f"{what}[{i}]", rtol, atol)
    elif isinstance(cpu, (str, type(None), bool)):
        assert cuda == cpu, what
    else:
        np.testing.assert_allclose(_host(cuda), _host(cpu), rtol=rtol, atol=atol, err_msg=what)


def _mlp(sizes, device, batchnorm=False, dropout=0.0):
    from minigan import nn

    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b, device=device))
        if i < len(sizes) - 2:
            if batchnorm:
                layers.append(nn.BatchNorm1d(b, device=device))
            layers.append(nn.LeakyReLU(0.2))
            if dropout:
                layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers)


def _on_device(module, device: str) -> None:
    for p in module.parameters():
        assert str(p.device) == device, (str(p.device), device)
    for b in module.buffers():
        assert str(b.device) == device, (str(b.device), device)


def _trainer_run(device, *, optimizer="adam", iterations=3, batchnorm=False, dropout=0.0, **kw):
    """A few Trainer iterations from seed 0 on ``device``: history and final parameters."""
    import minigan as mg
    from minigan import gan, optim

    mg.manual_seed(0)
    G = _mlp([2, 16, 2], device, batchnorm=batchnorm, dropout=dropout)
    D = _mlp([2, 16, 1], device, batchnorm=batchnorm, dropout=dropout)
    make = {
        "adam": lambda p: optim.Adam(p, lr=1e-3, betas=(0.5, 0.999), weight_decay=1e-4),
        "sgd": lambda p: optim.SGD(p, lr=1e-2, momentum=0.9, nesterov=True, weight_decay=1e-4),
        "rmsprop": lambda p: optim.RMSprop(p, lr=1e-3, momentum=0.5, centered=True),
    }[optimizer]
    data = np.random.default_rng(1).standard_normal((256, 2)) * 0.5 + 1.0
    trainer = gan.Trainer(G, D, make(G.parameters()), make(D.parameters()), data, z_dim=2,
                          batch_size=32, seed=3, **kw)
    history = trainer.train(iterations)
    _on_device(G, device)
    _on_device(D, device)
    return {"history": [dict(r) for r in history],
            "G": {k: _host(v) for k, v in G.state_dict().items()},
            "D": {k: _host(v) for k, v in D.state_dict().items()},
            "opt_d": _opt_state(trainer.d_optimizer)}


def _opt_state(opt):
    return {str(i): {k: _host(v) for k, v in s.items()} for i, s in opt.state_dict()["state"].items()}


TRAINER_CASES = {
    "bce-nonsaturating-adam": {},
    "bce-minimax-sgd": {"g_loss": "minimax", "optimizer": "sgd"},
    "least-squares-rmsprop": {"d_loss": "least-squares", "optimizer": "rmsprop"},
    "wasserstein-clip": {"d_loss": "wasserstein", "clip": 0.05, "optimizer": "rmsprop"},
    "wgan-gp": {"d_loss": "wasserstein", "gp_lambda": 10.0},
    "r1": {"r1_gamma": 1.0, "k_d": 2},
    "uniform-prior-k_g2": {"prior": "uniform", "k_g": 2, "optimizer": "sgd"},
    # SGD: BatchNorm in D removes a shift common to the batch, so G's output bias gets a
    # gradient of rounding noise only, whose sign Adam would turn into a full-size step
    "batchnorm-dropout": {"batchnorm": True, "dropout": 0.2, "optimizer": "sgd"},
}


@pytest.mark.parametrize("case", list(TRAINER_CASES))
def test_trainer_cpu_vs_cuda(case):
    kw = TRAINER_CASES[case]
    cpu = _trainer_run("cpu", **kw)
    cuda = _trainer_run("cuda:0", **kw)
    _assert_same(cuda, cpu, case)


def test_trainer_on_cuda1_matches_cpu(two_gpus):
    """cuda:1: every op, optimizer step and buffer runs on device 1 (the stand-in refuses
    any array on another device than the current one), and the numbers match the CPU."""
    kw = {"batchnorm": True, "r1_gamma": 1.0, "optimizer": "sgd"}
    cpu, cuda1 = _trainer_run("cpu", **kw), _trainer_run("cuda:1", **kw)
    _assert_same(cuda1, cpu, "cuda:1")


def test_mixing_devices_is_refused(two_gpus):
    import minigan as mg

    a = mg.ones(3, device="cuda:0")
    b = mg.ones(3, device="cuda:1")
    with pytest.raises(RuntimeError, match=r"different devices \(cuda:0, cuda:1\)"):
        a + b
    with pytest.raises(RuntimeError, match=r"different devices \(cuda:1, cpu\)"):
        b * mg.ones(3, device="cpu")
    assert str((b * 2 + 1).device) == "cuda:1"
    assert str(b.to("cuda:0").device) == "cuda:0" and str(a.to("cuda:1").device) == "cuda:1"
    np.testing.assert_array_equal(a.to("cuda:1").cpu().numpy(), np.ones(3, np.float32))


def test_checkpoint_resume_on_cuda_matches_an_uninterrupted_run(tmp_path):
    import minigan as mg
    from minigan import gan, optim

    def make(device):
        mg.manual_seed(0)
        G, D = _mlp([2, 8, 2], device, dropout=0.1), _mlp([2, 8, 1], device, batchnorm=True)
        data = np.random.default_rng(1).standard_normal((128, 2))
        return gan.Trainer(G, D, optim.Adam(G.parameters(), lr=1e-3), optim.Adam(D.parameters(), lr=1e-3),
                           data, z_dim=2, batch_size=16, seed=5)

    straight = make("cuda")
    straight.train(4)
    first = make("cuda")
    first.train(2)
    first.save_checkpoint(tmp_path / "ckpt")
    resumed = make("cuda")
    resumed.load_checkpoint(tmp_path / "ckpt")
    resumed.train(2)
    _assert_same(list(resumed.history), list(straight.history), "history", rtol=0, atol=0)
    for (k, a), b in zip(resumed.G.state_dict().items(), straight.G.state_dict().values()):
        assert str(a.device) == "cuda:0"
        np.testing.assert_array_equal(_host(a), _host(b), err_msg=k)
    # a CUDA checkpoint loads on the CPU
    state = mg.load(tmp_path / "ckpt", map_location="cpu")
    assert all(str(v.device) == "cpu" for v in state["G"].values())
    cpu_run = make("cpu")
    cpu_run.load_checkpoint(tmp_path / "ckpt")
    _on_device(cpu_run.G, "cpu")
    cpu_run.train(2)
    _assert_same(list(cpu_run.history), list(straight.history), "cpu resume")


def test_state_dicts_move_between_devices():
    import minigan as mg
    from minigan import optim

    mg.manual_seed(0)
    net = _mlp([3, 5, 1], "cuda", batchnorm=True)
    opt = optim.Adam(net.parameters(), lr=1e-2)
    x = mg.tensor(np.random.default_rng(0).standard_normal((8, 3)), dtype=mg.float32, device="cuda")
    net(x).sum().backward()
    opt.step()
    sd, osd = net.state_dict(), opt.state_dict()
    assert all(str(v.device) == "cuda:0" for v in sd.values())
    cpu_net = _mlp([3, 5, 1], "cpu", batchnorm=True)
    cpu_net.load_state_dict(sd)
    cpu_opt = optim.Adam(cpu_net.parameters(), lr=1e-2)
    cpu_opt.load_state_dict(osd)
    for s in cpu_opt.state.values():
        assert all(str(v.device) == "cpu" for v in s.values() if isinstance(v, mg.Tensor))
    _assert_same(sd, cpu_net.state_dict(), "state")
    if _gpus() >= 2:
        net1 = _mlp([3, 5, 1], "cuda:1", batchnorm=True)
        net1.load_state_dict(sd)
        _on_device(net1, "cuda:1")
        _assert_same(net1.state_dict(), cpu_net.state_dict(), "state on cuda:1")


def test_gradient_accumulates_into_cuda_leaves():
    """The PyTorch loop: a second backward adds into .grad (also after zero_grad(set_to_none=
    False)), and G's backward reaches D's parameters whose .grad is already set."""
    import minigan as mg
    from minigan import nn

    results = {}
    for device in ("cpu", "cuda"):
        mg.manual_seed(0)
        lin = nn.Linear(3, 2, device=device)
        x = mg.tensor(np.arange(6.0).reshape(2, 3), dtype=mg.float32, device=device)
        lin(x).sum().backward()
        (lin(x) ** 2).sum().backward()
        first = _host(lin.weight.grad).copy()
        lin.zero_grad(set_to_none=False)
        (lin(x) * 3).sum().backward()
        (lin(x) * 3).sum().backward()
        results[device] = (first, _host(lin.weight.grad), _host(lin.bias.grad))
    _assert_same(results["cuda"], results["cpu"])


def test_gradcheck_on_cuda_float64_including_a_non_contiguous_input():
    import minigan as mg
    from minigan import functional as F

    rng = np.random.default_rng(0)
    x = mg.tensor(rng.standard_normal((4, 3)), dtype=mg.float64, device="cuda").T  # (3, 4) view
    x.requires_grad_(True)
    assert not x.array.flags.c_contiguous
    y = mg.tensor(rng.random((3, 4)), dtype=mg.float64, device="cuda")
    w = mg.tensor(rng.standard_normal((4, 2)), dtype=mg.float64, device="cuda", requires_grad=True)

    def f(x, w):
        return F.binary_cross_entropy_with_logits((x * 2.0).tanh() @ w @ w.T, y) + F.log_sigmoid(x).sum()

    assert mg.gradcheck(f, (x, w))
    assert mg.gradgradcheck(f, (x, w))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy's log(0), sqrt(-1) on the CPU
def test_anomaly_mode_on_cuda_names_the_op_as_on_the_cpu():
    import minigan as mg

    messages = {}
    for device in ("cpu", "cuda"):
        x = mg.tensor([1.0, 0.0, 2.0], device=device, requires_grad=True)
        with mg.detect_anomaly(), pytest.raises(RuntimeError) as info:
            (x.log() * 0.0).sum().backward()
        messages[device] = str(info.value)
        with mg.detect_anomaly(), pytest.raises(RuntimeError) as info:
            mg.tensor([-1.0], device=device).sqrt()
        messages[device] += str(info.value)
    assert messages["cuda"] == messages["cpu"]
    assert "detect_anomaly" in messages["cpu"]


def test_zero_dim_bce_and_log_sigmoid_on_cuda():
    import minigan as mg
    from minigan import functional as F

    out = {}
    for device in ("cpu", "cuda"):
        x = mg.tensor(0.3, device=device, requires_grad=True)
        loss = F.binary_cross_entropy_with_logits(x, mg.tensor(1.0, device=device)) + F.log_sigmoid(x)
        loss.backward()
        assert loss.shape == () and x.grad.shape == ()
        out[device] = (loss, x.grad)
    _assert_same(out["cuda"], out["cpu"])


def test_bce_with_float64_incoming_gradient_and_float16_inputs():
    import minigan as mg
    from minigan import functional as F

    out = {}
    for device in ("cpu", "cuda"):
        x = mg.tensor([-2.0, 0.5, 3.0], device=device, requires_grad=True)
        loss = F.binary_cross_entropy_with_logits(x, mg.tensor([0.0, 1.0, 0.5], device=device),
                                                  reduction="none")
        loss.backward(mg.tensor([1.0, 2.0, 3.0], dtype=mg.float64, device=device))
        assert x.grad.dtype == np.float32
        h = mg.tensor([-2.0, 0.5, 3.0], dtype=mg.float16, device=device, requires_grad=True)
        hl = F.binary_cross_entropy_with_logits(h, mg.tensor([0.0, 1.0, 0.5], dtype=mg.float16,
                                                             device=device))
        hl.backward()
        assert hl.dtype == np.float16 and h.grad.dtype == np.float16
        out[device] = (x.grad, hl.float(), h.grad.float(), F.log_sigmoid(h).float())
    _assert_same(out["cuda"][:1], out["cpu"][:1])
    _assert_same(out["cuda"][1:], out["cpu"][1:], rtol=2e-3, atol=1e-3)  # float16


def test_setitem_with_host_values_and_tensor_of_cuda_tensors():
    import minigan as mg

    for device in _devices():
        t = mg.zeros(2, 3, device=device)
        t[0] = [1.0, 2.0, 3.0]
        t[1, [0, 2]] = np.array([4.0, 5.0])
        t[:, 1] = 7.0
        t[mg.tensor([1], device=device), 0] = mg.tensor([9.0], device=device)
        np.testing.assert_array_equal(t.cpu().numpy(), [[1, 7, 3], [9, 7, 5]], err_msg=device)
        s = mg.tensor([mg.tensor(1.0, device=device), mg.tensor(2.0, device=device)], device="cpu")
        np.testing.assert_array_equal(s.numpy(), [1.0, 2.0])
        assert str(mg.tensor([t, t], device=device).device) == str(mg.zeros(1, device=device).device)


def test_out_of_range_index_raises_on_cuda_as_on_the_cpu():
    import minigan as mg

    for device in ("cpu", "cuda"):
        t = mg.tensor([1.0, 2.0, 3.0], device=device)
        for bad in ([0, 3], [-4], mg.tensor([5], device=device)):
            with pytest.raises(IndexError, match="out of bounds"):
                t[bad]
        m = mg.zeros(2, 3, device=device)
        with pytest.raises(IndexError, match="axis 1 with size 3"):
            m[:, [3]]
        np.testing.assert_array_equal(t[[-1, 0]].cpu().numpy(), [3.0, 1.0])


def test_python_scalars_are_copied_to_the_device_once(two_gpus):
    import minigan as mg
    from minigan.ops._util import const

    x = mg.ones(3, device="cuda")
    a, b = const(0.5, x), const(0.5, x)
    assert a.array is b.array  # cached per device, dtype and value
    x1 = mg.ones(3, device="cuda:1")
    assert const(0.5, x1).array.device.id == 1
    assert const(0.5, x.double()).array.dtype == np.float64
    assert str((x1 * 0.5).device) == "cuda:1"


def test_step_benchmark_runs_minigan_on_cuda(tmp_path):
    """benchmarks/step.py --device cuda: minigan's side runs on the device and is timed with
    a synchronisation before each clock reading (PyTorch's side needs torch with CUDA)."""
    import importlib.util
    import json
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "step.py"
    spec = importlib.util.spec_from_file_location("step_benchmark", path)
    step = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(step)
    out = tmp_path / "step_cuda.json"
    assert step.main(["--device", "cuda", "--impls", "minigan", "--configs", "tiny", "--quick",
                      "--rounds", "2", "--block-seconds", "0.01", "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["device"] == "cuda" and result["machine"]["gpu"]
    assert result["configs"]["tiny"]["impls"]["minigan"]["median_s"] > 0


def test_command_line_training_on_cuda1_with_checkpoints(tmp_path, two_gpus):
    """`minigan train ... --device cuda:1`: training, checkpoints, the history log and the
    snapshots of a run on the second GPU."""
    from minigan.cli import main

    out = tmp_path / "run"
    assert main(["train", "ring8", "--iterations", "4", "--hidden", "16", "--device", "cuda:1",
                 "--checkpoint-every", "2", "--snapshots", "1", "--out", str(out)]) == 0
    assert (out / "metrics.jsonl").read_text().count("\n") == 4
    assert main(["train", "ring8", "--iterations", "6", "--hidden", "16", "--device", "cuda:1",
                 "--checkpoint-every", "2", "--snapshots", "1", "--out", str(out), "--resume"]) == 0
    assert (out / "metrics.jsonl").read_text().count("\n") == 6


EXAMPLES = sorted(p.name for p in (Path(__file__).resolve().parents[1] / "examples").glob("*.py"))


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_runs_with_cuda_as_the_default_device(name, tmp_path, monkeypatch):
    """Every example, run as tests/test_examples.py runs it, with new tensors on the GPU
    (what MINIGAN_DEVICE=cuda does): no CPU-only step (.numpy() on a GPU tensor, a NumPy
    operand in a device op) hides in them."""
    import runpy

    import minigan as mg
    from minigan import backend

    monkeypatch.setattr(backend, "_default", None)
    mg.set_default_device("cuda")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    argv = [name, "--out", str(tmp_path / "out"), "--iterations", "30", "--seed", "1"]
    monkeypatch.setattr(sys, "argv", argv + (["--no-progress"] if name == "demo.py" else []))
    try:
        runpy.run_path(str(Path(__file__).resolve().parents[1] / "examples" / name), run_name="__main__")
    except SystemExit as e:
        assert not e.code, f"{name} exited with {e.code}"
    assert list((tmp_path / "out").rglob("*.png")), f"{name} wrote no figure"
