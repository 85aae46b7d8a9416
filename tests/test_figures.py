"""Every figure-producing function and command, in a quick mode: the files exist, are PNGs
(or a GIF with several frames) of a sensible size, and the drawings read their inputs."""
from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

import minigan as mg
from minigan import nn, optim
from minigan.gan import Trainer
from minigan.lab import datasets

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def png_size(path) -> tuple[int, int]:
    """(width, height) of a PNG, read from its IHDR chunk."""
    head = Path(path).read_bytes()[:24]
    assert head[:8] == PNG_MAGIC, f"{path} is not a PNG"
    return struct.unpack(">II", head[16:24])


def assert_png(path, min_w=300, min_h=200, min_bytes=10_000):
    w, h = png_size(path)
    size = Path(path).stat().st_size
    assert w >= min_w and h >= min_h, f"{path}: {w}x{h} px, expected at least {min_w}x{min_h}"
    assert size >= min_bytes, f"{path}: {size} bytes, expected a drawing of at least {min_bytes}"


@pytest.fixture(scope="module")
def ring_run():
    """A tiny ring run with a Recorder: 12 iterations, 4 frames, a coarse grid."""
    from minigan.viz import game2d

    mg.manual_seed(0)
    data = datasets.GaussianMixture.ring(8)
    G, D = nn.mlp([2, 16, 2]), nn.mlp([2, 16, 1])
    tr = Trainer(G, D, optim.Adam(G.parameters(), 1e-3), optim.Adam(D.parameters(), 1e-3), data,
                 z_dim=2, batch_size=64)
    rec = game2d.Recorder(data, 12, frames=4, n_samples=200, n_arrows=30, grid=40)
    rec.capture(tr)
    history = tr.train(12, callback=rec)
    return tr, rec, history, data


def test_recorder_keeps_frames_and_forces_match_autograd_of_the_generator_loss(ring_run):
    from minigan.gan import losses
    from minigan.viz import game2d

    tr, rec, _, _ = ring_run
    assert rec.iterations == [0, 4, 8, 12], rec.iterations
    assert rec.surfaces[0].shape == (40, 40) and rec.samples[0].shape == (200, 2) and rec.forces[0].shape == (30, 2)
    # the force of one sample alone equals its row in the batch: the per-sample gradient
    x = rec.samples[-1][:30]
    one = game2d.generator_force(tr.D, x[3:4], tr.g_loss)
    np.testing.assert_allclose(rec.forces[-1][3], one[0], rtol=1e-4, atol=1e-7)
    # and it is -(1 - D(x)) d logit/dx for the non-saturating loss: check by finite differences
    eps = 1e-3
    xt = x[3:4].astype(np.float64)
    def loss_at(p):
        return float(losses.generator_loss(tr.D(mg.tensor(p.astype(np.float32))), tr.g_loss).item())
    fd = np.array([(loss_at(xt + eps * e) - loss_at(xt - eps * e)) / (2 * eps) for e in np.eye(2)])
    np.testing.assert_allclose(one[0], -fd, rtol=2e-2, atol=1e-4)


def test_two_d_figures_and_animation_are_written(ring_run, tmp_path):
    from minigan.viz import game2d

    _, rec, history, data = ring_run
    assert_png(game2d.samples_figure(rec, tmp_path / "samples.png"), min_w=900)
    assert_png(game2d.surfaces_figure(rec, tmp_path / "surfaces.png", data=data), min_w=900, min_h=600)
    gif = game2d.animation(rec, tmp_path / "animation.gif", history=history)
    assert game2d.frames_of(gif) == len(rec) == 4
    assert 20_000 < Path(gif).stat().st_size < 3_000_000
    assert not list(tmp_path.glob(".tmp-*")), "a temporary file was left behind"


def test_frames_round_trip_through_npz(ring_run, tmp_path):
    from minigan.viz import game2d

    _, rec, _, _ = ring_run
    back = game2d.Recorder.load(rec.save(tmp_path / "frames.npz"))
    assert back.iterations == rec.iterations and back.lim == rec.lim and back.g_loss == rec.g_loss
    np.testing.assert_array_equal(back.surfaces[2], rec.surfaces[2])
    np.testing.assert_array_equal(back.means, rec.means)


def test_view_limits_hold_the_data_and_ignore_far_outliers():
    from minigan.viz.game2d import view_limits

    real = np.random.default_rng(0).normal(size=(500, 2))
    fake = np.concatenate([real * 0.5, [[1e3, 1e3]]])
    (x0, x1), (_, y1) = view_limits(real, fake)
    assert x0 <= real[:, 0].min() and x1 >= real[:, 0].max() and y1 >= real[:, 1].max()
    assert x1 < 10, f"one outlier at 1000 stretched the view to {x1}"


def _run_example(name, *args):
    import runpy
    import sys

    root = Path(__file__).resolve().parents[1]
    argv = sys.argv
    sys.argv = [name, *args]
    try:
        return runpy.run_path(str(root / "examples" / name), run_name="__not_main__")["main"](list(args))
    finally:
        sys.argv = argv


def test_goodfellow_figure1_quick_mode_writes_four_panels_and_a_gif(tmp_path):
    from minigan.viz.game2d import frames_of

    out = _run_example("goodfellow_figure1.py", "--out", str(tmp_path), "--iterations", "30",
                       "--d-steps", "20", "--frames", "4", "--samples", "2000")
    png, gif = out["figures"]
    assert_png(png, min_w=1200, min_h=400)
    assert frames_of(gif) >= 3, "the GIF holds panels (a), (b) and the recorded moments"
    labels = [m[0] for m in out["moments"]]
    assert [lab[:3] for lab in labels] == ["(a)", "(b)", "(c)", "(d)"], labels
    (jsd_a, gap_a), (jsd_b, gap_b) = out["moments"][0][1:], out["moments"][1][1:]
    assert jsd_a == jsd_b, "training D alone must not move p_g"
    assert gap_b < gap_a, f"20 D steps should bring D closer to D*: {gap_a:.3f} -> {gap_b:.3f}"


def test_figures_are_readable_like_any_new_file(tmp_path):
    import os

    from minigan.viz import figures

    fig = figures._figure(2, 2)
    fig.subplots().plot([0, 1], [0, 1])
    umask = os.umask(0o022)
    try:
        png = figures.save_figure(fig, tmp_path / "a.png")
        gif = figures.save_gif(fig, tmp_path / "a.gif", lambda i: None, 2)
    finally:
        os.umask(umask)
    for path in (png, gif):
        assert os.stat(path).st_mode & 0o777 == 0o644, f"{path}: mode {oct(os.stat(path).st_mode & 0o777)}"


def test_graph_of_a_gan_step_shows_the_detach_cut_and_which_nodes_get_gradient(tmp_path):
    from minigan.gan import losses
    from minigan.viz import graph

    mg.manual_seed(0)
    G, D = nn.mlp([2, 3, 2]), nn.mlp([2, 3, 1])
    names = {**graph._param_names(G, "G"), **graph._param_names(D, "D")}
    assert sorted(names.values())[:2] == ["D layer 1 bias", "D layer 1 weight"]
    z, x = mg.randn(5, 2), mg.randn(5, 2)
    fake = G(z)
    fake_d = fake.detach()
    loss = losses.discriminator_loss(D(x), D(fake_d))
    g = graph.trace(loss, names, detached={id(fake_d): fake}, stepped={id(p) for p in D.parameters()})
    by_name = {lab.split("\n")[0]: i for i, lab in enumerate(g.labels)}
    where = {id(t): i for i, t in enumerate(g.nodes)}
    for p in G.parameters():
        assert g.grad_norms[where[id(p)]] is None, "a G parameter got a gradient through detach()"
    assert len(g.cuts) == 1 and g.nodes[g.cuts[0][1]] is fake_d
    assert g.stepped == {where[id(p)] for p in D.parameters()}
    # the norms are those backward() leaves in .grad
    loss.backward()
    for p in D.parameters():
        want = float(np.sqrt((p.grad.numpy().astype(np.float64) ** 2).sum()))
        assert g.grad_norms[by_name[names[id(p)]]] == pytest.approx(want, rel=1e-6)
    assert_png(graph.gan_step_graph(tmp_path / "graph.png", batch=4, hidden=3), min_w=1200, min_h=800)


def test_dashboard_names_layers_readably_and_states_its_references(ring_run, tmp_path):
    from minigan.viz import figures

    _, _, history, _ = ring_run
    keys = [k for k in history.keys() if k.startswith("grad_norm/")]
    labels = figures.layer_labels(keys)
    assert labels["grad_norm/G/0.weight"] == "G layer 1 weight" and labels["grad_norm/G/2.bias"] == "G layer 2 bias"
    assert labels["grad_norm/D/2.weight"] == "D layer 2 weight"
    assert labels == figures.layer_labels(["grad_norm/G/0.weight", "grad_norm/G/0.bias", "grad_norm/G/2.weight",
                                           "grad_norm/G/2.bias", "grad_norm/D/0.weight", "grad_norm/D/0.bias",
                                           "grad_norm/D/2.weight", "grad_norm/D/2.bias"])
    fig_path = figures.dashboard(history, tmp_path / "dashboard.png", title="ring")
    assert_png(fig_path, min_w=1400, min_h=800)


def test_dirac_field_is_the_gradient_play_of_its_value():
    from minigan.viz.studies import dirac_field

    theta, psi = np.array([0.3, -0.7]), np.array([0.5, 0.2])
    u, v = dirac_field(theta, psi)
    # V = log sigmoid(-psi theta) - log 2: dV/dtheta = -psi sigmoid(psi theta), dV/dpsi = -theta sigmoid(psi theta)
    s = 1 / (1 + np.exp(-psi * theta))
    np.testing.assert_allclose(u, psi * s, rtol=1e-12)
    np.testing.assert_allclose(v, -theta * s, rtol=1e-12)


def test_study_figures_are_written(ring_run, tmp_path):
    from minigan.lab import theory
    from minigan.viz import figures, studies

    _, rec, history, data = ring_run
    assert_png(studies.mode_coverage_figure(rec.iterations, rec.samples, data.means, data.std, tmp_path / "m.png"))
    circle = np.stack([np.cos(np.linspace(0, 6, 50)), np.sin(np.linspace(0, 6, 50))], 1)
    assert_png(studies.dirac_figure({"simultaneous": circle, "alternating": 0.5 * circle}, tmp_path / "d.png"),
               min_w=900)
    x = np.linspace(-5, 5, 200)
    p = np.exp(-((x - 2) ** 2) / 0.5) + np.exp(-((x + 2) ** 2) / 0.5)
    assert_png(studies.kl_figure(x, p / p.sum() / (x[1] - x[0]), {"forward KL": (0.0, 2.0), "reverse KL": (2.0, 0.5)},
                                 tmp_path / "kl.png", kls={"forward KL": (0.5, 3.0)}))
    cov = (np.array([4, 8, 12]), np.array([1, 3, 5]), np.array([0.1, 0.3, 0.5]))
    assert_png(studies.k_sweep_figure({1: {"history": history, "coverage": cov},
                                       5: {"history": history, "coverage": cov}}, tmp_path / "k.png", n_modes=8),
               min_w=1200)
    d = np.logspace(-4, -0.01, 8)
    assert_png(figures.vanishing_gradients_figure(
        d, {"minimax": theory.generator_logit_gradient(d, "minimax")}, tmp_path / "vg.png",
        training={"run": (history["d_fake"], history["g_logit_grad"])}))


def test_recorder_plan_goes_on_after_the_frames_it_has(ring_run, tmp_path):
    from minigan.viz import game2d

    _, rec, _, _ = ring_run
    back = game2d.Recorder.load(rec.save(tmp_path / "frames.npz"))
    back.plan(24, frames=7)  # a resumed run to 24 iterations: marks 4, 8, ..., 24 beyond the last frame (12)
    assert back.marks == {16, 20, 24}, back.marks


def test_digits_grid_finds_each_samples_nearest_training_image(tmp_path):
    from minigan.viz import figures

    train = np.random.default_rng(0).uniform(-1, 1, (50, 64))
    samples = train[[3, 7, 7]] + 0.01
    idx, dist = figures._nearest(samples, train)
    assert idx.tolist() == [3, 7, 7] and np.allclose(dist, 0.08)
    assert_png(figures.digits_grid(samples, tmp_path / "d.png", real=train[:8], nearest_in=train), min_w=1000)


def test_a_resumed_run_records_on_from_its_checkpoint(tmp_path):
    from minigan.lab.recipes import default_recipe, make_trainer, train
    from minigan.viz import run

    trainer, schedulers = make_trainer(default_recipe("ring8", iterations=100, hidden=8, layers=1, batch_size=16))
    rec = run.start_recording(str(tmp_path), trainer, 100, frames=5)
    train(trainer, schedulers, 50, callback=rec)
    assert rec.iterations == [0, 25, 50]
    rec.save(run.frames_path(str(tmp_path)))
    trainer.iteration = 40  # as if the checkpoint were older than the last frame
    back = run.start_recording(str(tmp_path), trainer, 100, frames=5, resume=True)
    assert back.iterations == [0, 25] and back.marks == {50, 75, 100}, (back.iterations, back.marks)
    none = run.start_recording(str(tmp_path), make_trainer(default_recipe("gauss1d", iterations=5))[0], 5)
    assert none is None, "1-D data get no 2-D frames"


def test_gallery_copies_are_small_pngs(ring_run, tmp_path):
    import importlib.util

    from minigan.viz import figures

    root = Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location("gallery_update", root / "docs" / "gallery" / "update.py")
    update = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(update)
    _, _, history, _ = ring_run
    big = figures.dashboard(history, tmp_path / "dashboard.png")
    size = update.shrink(Path(big), tmp_path / "small.png")
    w, _ = png_size(tmp_path / "small.png")
    assert w <= update.MAX_WIDTH and size < Path(big).stat().st_size, (w, size)
    for name in update.SOURCES:  # the README shows each of them
        assert f"docs/gallery/{name}" in (root / "README.md").read_text(encoding="utf-8"), name
