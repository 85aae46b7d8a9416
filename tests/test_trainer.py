"""Algorithm 1 (minigan.gan.Trainer) against a hand-written PyTorch twin, plus
reproducibility, bit-exact resume, the NaN guard, and the History."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import minigan as mg
from minigan import nn, optim
from minigan.gan import History, Trainer, TrainingDiverged

Z_DIM, X_DIM, HIDDEN, M = 2, 2, 16, 32
torch.set_num_threads(1)  # tiny nets: threads only contend on a 2-core machine


class Ring:
    """A toy p_data: 2-d points near the unit circle, drawn from the rng it is given."""

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        a = rng.uniform(0, 2 * np.pi, n)
        return np.stack([np.cos(a), np.sin(a)], 1) + 0.05 * rng.standard_normal((n, 2))


def gaussian_noise(n: int, rng: np.random.Generator) -> np.ndarray:
    return rng.standard_normal((n, Z_DIM))


def make_nets(seed: int = 0):
    mg.manual_seed(seed)
    G = nn.mlp([Z_DIM, HIDDEN, X_DIM], activation=nn.LeakyReLU(0.2))
    D = nn.mlp([X_DIM, HIDDEN, 1], activation=nn.LeakyReLU(0.2))
    return G, D


OPTIMIZERS = {
    "sgd-momentum": (lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9),
                     lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9)),
    "adam": (lambda ps: optim.Adam(ps, lr=0.01, betas=(0.5, 0.999)),
             lambda ps: torch.optim.Adam(ps, lr=0.01, betas=(0.5, 0.999))),
    "rmsprop": (lambda ps: optim.RMSprop(ps, lr=0.005),
                lambda ps: torch.optim.RMSprop(ps, lr=0.005)),
}


def make_trainer(opt: str = "adam", seed: int = 0, **kw) -> Trainer:
    G, D = make_nets()
    make = OPTIMIZERS[opt][0]
    kw.setdefault("batch_size", M)
    return Trainer(G, D, make(G.parameters()), make(D.parameters()), Ring(), z_dim=Z_DIM,
                   seed=seed, noise_sampler=gaussian_noise, **kw)


# ---- the PyTorch twin: Algorithm 1 written out by hand ---------------------------------------
def _bce(logits: torch.Tensor, label: float) -> torch.Tensor:
    return TF.binary_cross_entropy_with_logits(logits, torch.full_like(logits, label))


TORCH_D_LOSS = {
    "bce": lambda r, f: _bce(r, 1.0) + _bce(f, 0.0),
    "least-squares": lambda r, f: 0.5 * TF.mse_loss(r, torch.ones_like(r))
    + 0.5 * TF.mse_loss(f, torch.zeros_like(f)),
}
TORCH_G_LOSS = {
    "minimax": lambda f: -_bce(f, 0.0),
    "non-saturating": lambda f: _bce(f, 1.0),
    "least-squares": lambda f: 0.5 * TF.mse_loss(f, torch.ones_like(f)),
}


def _torch_mlp(sizes, state_dict) -> torch.nn.Sequential:
    net = torch.nn.Sequential(torch.nn.Linear(sizes[0], sizes[1]), torch.nn.LeakyReLU(0.2),
                              torch.nn.Linear(sizes[1], sizes[2]))
    net.load_state_dict({k: torch.tensor(np.array(v)) for k, v in state_dict.items()})
    return net


def torch_algorithm1(trainer: Trainer, iterations: int, opt: str, g_loss: str, d_loss: str,
                     k_d: int = 1):
    """Run Algorithm 1 in PyTorch from the trainer's current weights, drawing data and noise
    from a fresh Generator(seed) in the trainer's documented order. Returns the nets and
    the per-iteration (d_loss, g_loss, g_logit_grad)."""
    tG = _torch_mlp([Z_DIM, HIDDEN, X_DIM], trainer.G.state_dict())
    tD = _torch_mlp([X_DIM, HIDDEN, 1], trainer.D.state_dict())
    make = OPTIMIZERS[opt][1]
    opt_g, opt_d = make(tG.parameters()), make(tD.parameters())
    rng = np.random.default_rng(trainer.seed)
    as_t = lambda a: torch.tensor(a, dtype=torch.float32)
    trace, d_norms = [], {}
    for _ in range(iterations):
        for _ in range(k_d):
            real = as_t(Ring().sample(M, rng))
            z = as_t(gaussian_noise(M, rng))
            with torch.no_grad():
                fake = tG(z)
            ld = TORCH_D_LOSS[d_loss](tD(real), tD(fake))
            opt_d.zero_grad()
            ld.backward()
            d_norms = {n: p.grad.norm().item() for n, p in tD.named_parameters()}
            opt_d.step()
        z = as_t(gaussian_noise(M, rng))
        logits = tD(tG(z))
        logits.retain_grad()
        lg = TORCH_G_LOSS[g_loss](logits)
        opt_g.zero_grad()
        lg.backward()
        opt_g.step()
        trace.append((ld.item(), lg.item(), M * logits.grad.abs().mean().item()))
    return tG, tD, trace, d_norms


CASES = [(g, "bce", o) for g in ("minimax", "non-saturating") for o in OPTIMIZERS]
CASES += [("least-squares", "least-squares", o) for o in OPTIMIZERS]


@pytest.mark.parametrize("g_loss,d_loss,opt", CASES)
def test_20_iterations_reach_the_parameters_pytorch_reaches(g_loss, d_loss, opt):
    trainer = make_trainer(opt, g_loss=g_loss, d_loss=d_loss)
    tG, tD, trace, d_norms = torch_algorithm1(trainer, 20, opt, g_loss, d_loss)
    hist = trainer.train(20)
    worst = 0.0
    for who, net, tnet in (("G", trainer.G, tG), ("D", trainer.D, tD)):
        tsd = tnet.state_dict()
        for name, p in net.named_parameters():
            assert p.dtype == np.float32
            dev = float(np.abs(p.numpy() - tsd[name].numpy()).max())
            worst = max(worst, dev)
            assert dev <= 1e-5, f"{g_loss}/{opt}: {who} '{name}' is {dev:.2e} from PyTorch's"
    np.testing.assert_allclose(hist["d_loss"], [t[0] for t in trace], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(hist["g_loss"], [t[1] for t in trace], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(hist["g_logit_grad"], [t[2] for t in trace], rtol=1e-4, atol=1e-6)
    for name, want in d_norms.items():
        got = hist[f"grad_norm/D/{name}"][-1]
        assert got == pytest.approx(want, rel=1e-4, abs=1e-6), f"grad norm of D '{name}'"
    for name, p in tG.named_parameters():
        got = hist[f"grad_norm/G/{name}"][-1]
        assert got == pytest.approx(p.grad.norm().item(), rel=1e-4, abs=1e-6)
    print(f"max |minigan - torch| {g_loss}/{opt}: {worst:.2e}")


def test_k_d_discriminator_steps_per_iteration_match_pytorch():
    trainer = make_trainer("sgd-momentum", k_d=3)
    tG, tD, _, _ = torch_algorithm1(trainer, 5, "sgd-momentum", "non-saturating", "bce", k_d=3)
    trainer.train(5)
    for net, tnet in ((trainer.G, tG), (trainer.D, tD)):
        for name, p in net.named_parameters():
            np.testing.assert_allclose(p.numpy(), tnet.state_dict()[name].numpy(), atol=1e-5)


def test_record_has_every_documented_key_as_floats():
    trainer = make_trainer()
    rec = trainer.step()
    keys = {"iteration", "d_loss", "g_loss", "d_real", "d_fake", "value", "g_logit_grad"}
    keys |= {f"grad_norm/G/{n}" for n, _ in trainer.G.named_parameters()}
    keys |= {f"grad_norm/D/{n}" for n, _ in trainer.D.named_parameters()}
    assert set(rec) == keys
    assert all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in rec.values())
    assert rec["iteration"] == 1 and 0 < rec["d_real"] < 1 and 0 < rec["d_fake"] < 1
    # with bce, value is -L_D exactly (the minimax V(D, G) that D ascends)
    assert rec["value"] == pytest.approx(-rec["d_loss"], rel=1e-5)
    # non-saturating: |d loss_i / d logit_i| = 1 - D(G(z_i)) lies in (0, 1)
    assert 0 < rec["g_logit_grad"] < 1


def test_generator_step_leaves_the_discriminator_alone():
    trainer = make_trainer()
    trainer.step()
    before = {n: p.numpy().copy() for n, p in trainer.D.named_parameters()}
    g_before = {n: p.numpy().copy() for n, p in trainer.G.named_parameters()}
    trainer._it = 2
    trainer._generator_step()
    for n, p in trainer.D.named_parameters():
        assert np.array_equal(p.numpy(), before[n]), f"G step moved D '{n}'"
    assert any(not np.array_equal(p.numpy(), g_before[n]) for n, p in trainer.G.named_parameters())


def test_discriminator_step_leaves_the_generator_alone():
    trainer = make_trainer()
    before = {n: p.numpy().copy() for n, p in trainer.G.named_parameters()}
    trainer._it = 1
    trainer._discriminator_step()
    for n, p in trainer.G.named_parameters():
        assert np.array_equal(p.numpy(), before[n]), f"D step moved G '{n}'"
        assert p.grad is None, f"D step left a gradient on G '{n}'"


def test_seeded_runs_are_reproducible_exactly():
    a, b = make_trainer(seed=5), make_trainer(seed=5)
    ha, hb = a.train(15), b.train(15)
    assert ha == hb and len(ha) == 15
    for (n, p), (_, q) in zip(a.G.named_parameters(), b.G.named_parameters()):
        assert np.array_equal(p.numpy(), q.numpy()), f"G '{n}' differs between equal seeds"
    c = make_trainer(seed=6)
    assert c.train(15) != ha


def test_default_prior_and_data_array_are_reproducible():
    data = Ring().sample(500, np.random.default_rng(0))
    runs = []
    for _ in range(2):
        G, D = make_nets()
        t = Trainer(G, D, optim.Adam(G.parameters()), optim.Adam(D.parameters()), data,
                    z_dim=Z_DIM, batch_size=16, prior="uniform", seed=3)
        runs.append(t.train(5))
    assert runs[0] == runs[1]


@pytest.mark.parametrize("opt", ["adam", "sgd-momentum"])
def test_resume_after_interruption_is_bit_identical(tmp_path, opt):
    path = tmp_path / "ckpt.npz"
    a = make_trainer(opt)
    a.train(10)
    a.save_checkpoint(path)
    a.train(10)
    b = Trainer.resume(path, *_fresh_args(opt), z_dim=Z_DIM, batch_size=M, seed=0,
                       noise_sampler=gaussian_noise)
    assert b.iteration == 10 and len(b.history) == 10
    b.train(10)
    for who in ("G", "D"):
        for (n, p), (_, q) in zip(getattr(a, who).named_parameters(),
                                  getattr(b, who).named_parameters()):
            assert np.array_equal(p.numpy(), q.numpy()), f"{who} '{n}' differs after resume"
    assert a.history == b.history


def _fresh_args(opt: str):
    G, D = make_nets(seed=123)  # other weights: the checkpoint must overwrite them
    make = OPTIMIZERS[opt][0]
    return G, D, make(G.parameters()), make(D.parameters()), Ring()


def test_nan_loss_stops_training_naming_step_and_quantity_and_keeps_checkpoint(tmp_path,
                                                                               monkeypatch):
    path = tmp_path / "ckpt.npz"
    trainer = make_trainer(checkpoint_path=path, checkpoint_every=2)
    trainer.train(4)
    good = {n: p.numpy().copy() for n, p in trainer.G.named_parameters()}
    from minigan.gan import trainer as trainer_module

    def nan_loss(fake_logits, kind):
        return fake_logits.mean() * float("nan")

    monkeypatch.setattr(trainer_module.losses, "generator_loss", nan_loss)
    with pytest.raises(TrainingDiverged, match=r"iteration 5\b.*g_loss"):
        trainer.train(10)
    assert trainer.iteration == 4
    state = mg.load(path)
    assert state["iteration"] == 4
    for n, v in state["G"].items():
        assert np.array_equal(np.asarray(v), good[n])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_huge_learning_rate_diverges_naming_the_quantity_and_keeps_last_checkpoint(tmp_path):
    path = tmp_path / "ckpt.npz"
    trainer = make_trainer("sgd-momentum", checkpoint_path=path, checkpoint_every=1)
    trainer.train(3)
    good = {n: p.numpy().copy() for n, p in trainer.D.named_parameters()}
    for group in trainer.d_optimizer.param_groups:
        group["lr"] = 1e38
    with pytest.raises(TrainingDiverged) as e:
        trainer.train(10)
    msg = str(e.value)
    assert "iteration 4" in msg, msg
    assert any(q in msg for q in ("g_loss", "grad of G", "grad of D", "parameter of D")), msg
    resumed = Trainer.resume(path, *_fresh_args("sgd-momentum"), z_dim=Z_DIM, batch_size=M,
                             noise_sampler=gaussian_noise)
    assert resumed.iteration == 3
    for n, p in resumed.D.named_parameters():
        assert np.array_equal(p.numpy(), good[n]), f"checkpoint of D '{n}' was overwritten"


def test_wgan_gp_r1_and_clipping_run_and_stay_finite():
    for kw in ({"d_loss": "wasserstein", "gp_lambda": 10.0}, {"r1_gamma": 1.0},
               {"d_loss": "wasserstein", "clip": 0.01}):
        trainer = make_trainer(**kw)
        hist = trainer.train(3)
        assert np.isfinite(hist["d_loss"]).all(), kw
        if "clip" in kw:
            assert all(np.abs(p.numpy()).max() <= 0.01 for p in trainer.D.parameters())


def test_invalid_configurations_are_rejected_with_the_valid_choices():
    with pytest.raises(ValueError, match="bce"):
        make_trainer(d_loss="hinge")
    with pytest.raises(ValueError, match="non-saturating"):
        make_trainer(g_loss="hinge")
    with pytest.raises(ValueError, match="wasserstein"):
        make_trainer(d_loss="wasserstein", g_loss="non-saturating")
    with pytest.raises(ValueError, match="normal"):
        make_trainer(prior="cauchy")
    assert make_trainer(d_loss="wasserstein").g_loss == "wasserstein"


def test_history_arrays_keys_and_json_round_trip(tmp_path):
    trainer = make_trainer()
    calls = []
    hist = trainer.train(3, callback=lambda t, r: calls.append(r["iteration"]), progress=True)
    assert calls == [1, 2, 3] and hist is trainer.history and len(hist) == 3
    assert hist["iteration"].tolist() == [1.0, 2.0, 3.0]
    assert hist["d_loss"].shape == (3,) and "grad_norm/G/0.weight" in hist
    with pytest.raises(KeyError):
        hist["nope"]
    path = tmp_path / "h.json"
    hist.to_json(path)
    assert History.from_json(path) == hist
    assert json.loads(path.read_text())["records"][0]["iteration"] == 1


def test_sample_returns_generator_output_without_touching_the_training_stream():
    a, b = make_trainer(), make_trainer()
    x = a.sample(7)
    assert isinstance(x, np.ndarray) and x.shape == (7, X_DIM)
    assert np.array_equal(x, a.sample(7))
    assert a.train(3) == b.train(3)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the iteration ends on inf parameters
def test_a_non_finite_parameter_after_the_update_is_named():
    trainer = make_trainer("sgd-momentum")
    for group in trainer.d_optimizer.param_groups:
        group["lr"] = float("inf")
    with pytest.raises(TrainingDiverged, match=r"iteration 1: parameter of D '0\.weight'"):
        trainer.step()


# ---- checkpoints and the history log ---------------------------------------------------------
def _resume(path, opt="adam", **kw):
    return Trainer.resume(path, *_fresh_args(opt), z_dim=Z_DIM, batch_size=M, seed=0,
                          noise_sampler=gaussian_noise, **kw)


def test_history_log_after_a_crash_and_resume_equals_the_uninterrupted_runs(tmp_path):
    a = make_trainer(checkpoint_path=tmp_path / "a" / "ckpt.npz", checkpoint_every=4)
    (tmp_path / "a").mkdir()
    a.train(12)
    b_dir = tmp_path / "b"
    b_dir.mkdir()
    b = make_trainer(checkpoint_path=b_dir / "ckpt.npz", checkpoint_every=4)
    b.train(10)  # checkpoint at 8, then two more iterations logged, then a "crash":
    with open(b_dir / "metrics.jsonl", "a") as f:
        f.write('{"iteration": 11, "d_lo')  # a line cut short by the kill
    del b
    assert len(History.from_jsonl(b_dir / "metrics.jsonl")) == 10  # the torn line is not a record
    c = _resume(b_dir / "ckpt.npz", checkpoint_path=b_dir / "ckpt.npz", checkpoint_every=4)
    assert c.iteration == 8 and len(c.history) == 8
    assert len((b_dir / "metrics.jsonl").read_text().splitlines()) == 8  # truncated to the checkpoint
    c.train(4)
    assert (b_dir / "metrics.jsonl").read_bytes() == (tmp_path / "a" / "metrics.jsonl").read_bytes()
    assert c.history == a.history == History.from_jsonl(b_dir / "metrics.jsonl")
    for (n, p), (_, q) in zip(a.G.named_parameters(), c.G.named_parameters()):
        assert np.array_equal(p.numpy(), q.numpy()), n


def test_checkpoint_refers_to_the_log_instead_of_embedding_the_history(tmp_path):
    t = make_trainer(checkpoint_path=tmp_path / "ckpt.npz", checkpoint_every=5)
    t.train(5)
    size_5 = (tmp_path / "ckpt.npz").stat().st_size
    t.train(45)
    state = mg.load(tmp_path / "ckpt.npz")
    assert state["iteration"] == 50
    assert state["history"] == {"log": "metrics.jsonl", "length": 50}
    # only the iteration's digits and the rng state's numbers may differ: no record is inside
    assert abs((tmp_path / "ckpt.npz").stat().st_size - size_5) < 64
    lines = (tmp_path / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["iteration"] for line in lines] == list(range(1, 51))


def test_save_checkpoint_without_a_log_starts_metrics_jsonl_beside_it(tmp_path):
    t = make_trainer()
    t.train(3)
    t.save_checkpoint(tmp_path / "ckpt.npz")
    assert History.from_jsonl(tmp_path / "metrics.jsonl") == t.history
    t.train(2)  # and goes on appending to it
    assert History.from_jsonl(tmp_path / "metrics.jsonl") == t.history
    r = _resume(tmp_path / "ckpt.npz")
    assert r.iteration == 3 and r.history == History(t.history.records[:3])
    assert len(History.from_jsonl(tmp_path / "metrics.jsonl")) == 3  # resume took the log back


def test_a_fresh_trainer_starts_its_log_empty(tmp_path):
    log = tmp_path / "metrics.jsonl"
    log.write_text('{"iteration": 1}\n{"iteration": 2}\n')
    t = make_trainer(log_path=log)
    t.train(1)
    assert [r["iteration"] for r in History.from_jsonl(log)] == [1]
    assert History.from_jsonl(log) == t.history


def test_resume_with_a_log_cut_short_or_missing_names_both_files(tmp_path):
    t = make_trainer(checkpoint_path=tmp_path / "ckpt.npz", checkpoint_every=3)
    t.train(3)
    log = tmp_path / "metrics.jsonl"
    log.write_text("".join(log.read_text().splitlines(keepends=True)[:2]))
    with pytest.raises(mg.serialization.CheckpointError, match=r"ckpt.npz.*metrics.jsonl' holds 2 records.*after 3"):
        _resume(tmp_path / "ckpt.npz")
    log.unlink()
    with pytest.raises(mg.serialization.CheckpointError, match=r"ckpt.npz.*metrics.jsonl"):
        _resume(tmp_path / "ckpt.npz")


def test_history_jsonl_reader_names_a_bad_line(tmp_path):
    path = tmp_path / "m.jsonl"
    path.write_text('{"a": 1}\nnot json\n{"a": 2}\n')
    with pytest.raises(ValueError, match=r"m.jsonl', line 2"):
        History.from_jsonl(path)
    h = History([{"a": 1.5}, {"a": float("nan"), "b": 2.0}])
    h.to_jsonl(path)
    assert History.from_jsonl(path) == h and len(History.from_jsonl(path, limit=1)) == 1


def test_resuming_from_a_plain_state_dict_says_what_the_file_is(tmp_path):
    G, _ = make_nets()
    mg.save(G.state_dict(), tmp_path / "g.npz")
    with pytest.raises(mg.serialization.CheckpointError,
                       match=r"g.npz' is not a Trainer checkpoint.*lacks 'G'.*model.load_state_dict"):
        _resume(tmp_path / "g.npz")
    with pytest.raises(ValueError, match="not a Trainer checkpoint"):
        make_trainer().load_state_dict(G.state_dict())


def test_checkpoints_with_the_history_inside_still_load(tmp_path):
    t = make_trainer()
    t.train(3)
    state = t.state_dict()
    assert state["history"] == {"records": t.history.records}  # no log: the records inline
    state["history"] = t.history.records  # how minigan 0.1 wrote it
    mg.save(state, tmp_path / "old.npz")
    r = _resume(tmp_path / "old.npz")
    assert r.iteration == 3 and r.history == t.history


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_nan_guard_catches_adams_state_overflowing_while_the_parameters_stay_finite(tmp_path):
    # gradients ~1e22 square to inf in float32: exp_avg_sq = inf, the update m / sqrt(v) = 0,
    # the parameters stay finite and the layer silently stops learning
    class Huge(Ring):
        def sample(self, n, rng):
            return 1e22 * super().sample(n, rng)

    G, D = make_nets()
    t = Trainer(G, D, optim.Adam(G.parameters()), optim.Adam(D.parameters()), Huge(), z_dim=Z_DIM,
                batch_size=M, noise_sampler=gaussian_noise, checkpoint_path=tmp_path / "c.npz",
                checkpoint_every=1)
    with pytest.raises(TrainingDiverged, match=r"iteration 1: Adam state 'exp_avg_sq' of D '2\.weight' is not finite"):
        t.step()
    assert all(np.isfinite(p.numpy()).all() for p in D.parameters())  # what the guard missed
    assert not (tmp_path / "c.npz").exists()


def test_save_checkpoint_refuses_optimizer_state_with_inf(tmp_path):
    t = make_trainer()
    t.train(1)
    next(iter(t.d_optimizer.state.values()))["exp_avg_sq"][...] = np.inf
    with pytest.raises(TrainingDiverged, match="Adam state 'exp_avg_sq' of D"):
        t.save_checkpoint(tmp_path / "c.npz")
    assert not (tmp_path / "c.npz").exists()


def test_after_a_caught_divergence_the_half_iteration_is_neither_saved_nor_continued(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    t = make_trainer(checkpoint_path=path, checkpoint_every=2)
    t.train(4)
    from minigan.gan import trainer as trainer_module

    real = trainer_module.losses.generator_loss
    monkeypatch.setattr(trainer_module.losses, "generator_loss", lambda f, kind: f.mean() * float("nan"))
    with pytest.raises(TrainingDiverged, match="iteration 5"):
        t.step()  # D has stepped, the rng has moved, the iteration is not counted
    with pytest.raises(RuntimeError, match=r"save_checkpoint: .*part-way through iteration 5.*load_checkpoint"):
        t.save_checkpoint(tmp_path / "other.npz")
    with pytest.raises(RuntimeError, match=r"Trainer.step: .*part-way through iteration 5"):
        t.step()
    assert not (tmp_path / "other.npz").exists()
    monkeypatch.setattr(trainer_module.losses, "generator_loss", real)
    t.load_checkpoint(path)
    assert t.iteration == 4
    t.train(2)
    ref = make_trainer()
    ref.train(6)
    assert t.history == ref.history


def test_readme_checkpoints_example_runs(tmp_path, monkeypatch):
    import pathlib
    import re

    text = (pathlib.Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    code = re.search(r"```python\n(.*?)```", text.split("## Checkpoints", 1)[1], re.S).group(1)
    code = code.replace("trainer.train(10_000)", "trainer.train(12)").replace("10_000", "20")
    code = code.replace("checkpoint_every=500", "checkpoint_every=5")
    G, D = make_nets()
    scope = {"G": G, "D": D, "opt_g": optim.Adam(G.parameters()), "opt_d": optim.Adam(D.parameters()),
             "data": Ring().sample(200, np.random.default_rng(0)), "Trainer": Trainer, "History": History}
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README:checkpoints", "exec"), scope)
    assert scope["trainer"].iteration == 20
    assert len(History.from_jsonl(tmp_path / "run" / "metrics.jsonl")) == 20


def test_resuming_an_sgd_checkpoint_into_adam_is_refused_naming_the_file(tmp_path):
    t = make_trainer("sgd-momentum")
    t.train(2)
    t.save_checkpoint(tmp_path / "sgd.npz")
    with pytest.raises(ValueError, match=r"load_checkpoint: '.*sgd.npz': Adam.load_state_dict: .*not one of Adam"):
        _resume(tmp_path / "sgd.npz", "adam")
    G, D = make_nets()
    other = Trainer(G, D, optim.Adam(G.parameters()), optim.Adam(D.parameters()), Ring(), z_dim=Z_DIM)
    with pytest.raises(ValueError, match="not one of Adam"):
        other.load_checkpoint(tmp_path / "sgd.npz")
    with pytest.raises(RuntimeError, match="part-way through a load_state_dict"):
        other.step()  # G and D were loaded, the optimizers not: nothing to go on from


def test_a_trainer_with_batchnorm_resumes_from_its_own_checkpoint(tmp_path):
    # num_batches_tracked is 0-d: it used to come back with shape (1,) and refuse to load
    def nets():
        mg.manual_seed(0)
        return nn.mlp([Z_DIM, HIDDEN, X_DIM], batch_norm=True), nn.mlp([X_DIM, HIDDEN, 1])

    def trainer(**kw):
        G, D = nets()
        return Trainer(G, D, optim.Adam(G.parameters()), optim.Adam(D.parameters()), Ring(), z_dim=Z_DIM,
                       batch_size=M, noise_sampler=gaussian_noise, **kw)

    a = trainer()
    a.train(3)
    a.save_checkpoint(tmp_path / "bn.npz")
    a.train(2)
    b = trainer()
    b.load_checkpoint(tmp_path / "bn.npz")
    b.train(2)
    assert b.G.state_dict()["1.num_batches_tracked"].shape == ()
    for k, v in a.G.state_dict().items():
        assert np.array_equal(v.numpy(), b.G.state_dict()[k].numpy()), k


def test_a_failed_log_write_loses_no_iteration_and_the_log_catches_up(tmp_path, monkeypatch):
    import errno

    from minigan.gan import trainer as trainer_module

    t = make_trainer(log_path=tmp_path / "metrics.jsonl")
    t.train(2)
    real = trainer_module._jsonl_line

    def full_disk(record):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(trainer_module, "_jsonl_line", full_disk)
    with pytest.raises(OSError, match="No space left"):
        t.step()
    assert t.iteration == 3 and len(t.history) == 3  # the iteration itself is whole
    monkeypatch.setattr(trainer_module, "_jsonl_line", real)
    t.save_checkpoint(tmp_path / "ckpt.npz")  # not refused: nothing is half done
    t.train(1)
    assert History.from_jsonl(tmp_path / "metrics.jsonl") == t.history
    ref = make_trainer()
    ref.train(4)
    assert t.history == ref.history
