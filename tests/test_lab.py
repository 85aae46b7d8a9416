"""The study lab: datasets, the theory of Goodfellow et al. 2014 on grids, metrics, figures."""
from __future__ import annotations

import math

import numpy as np
import pytest

from minigan.lab import datasets, metrics, theory

LOG4 = math.log(4.0)


def _gaussians_on_grid(mu_g: float, sigma_g: float = 1.0):
    x, dx = theory.grid_1d(-12.0, 12.0, 4801)
    return x, dx, datasets.Gaussian1D(0.0, 1.0).density(x), datasets.Gaussian1D(mu_g, sigma_g).density(x)


# ---- datasets -------------------------------------------------------------------------------
@pytest.mark.parametrize("make, dim, modes", [
    (datasets.GaussianMixture.ring, 2, 8), (datasets.GaussianMixture.grid, 2, 25),
    (lambda: datasets.Gaussian1D(0.5, 2.0), 1, 1),
])
def test_mixture_samples_have_shape_dtype_and_are_reproducible_with_a_seeded_rng(make, dim, modes):
    ds = make()
    a = ds.sample(100, np.random.default_rng(3))
    b = ds.sample(100, np.random.default_rng(3))
    assert a.shape == (100, dim) and a.dtype == np.float32, f"got {a.shape} {a.dtype}"
    assert np.array_equal(a, b), "the same seed must give the same samples"
    assert not np.array_equal(a, ds.sample(100, np.random.default_rng(4)))
    assert ds.n_modes == modes


def test_ring_and_grid_put_their_modes_where_documented():
    ring = datasets.GaussianMixture.ring(k=8, radius=2.0)
    np.testing.assert_allclose(np.linalg.norm(ring.means, axis=1), 2.0)
    grid = datasets.GaussianMixture.grid(k=5, spacing=2.0)
    assert sorted(set(grid.means[:, 0].round(6))) == [-4.0, -2.0, 0.0, 2.0, 4.0]


def test_mixture_density_integrates_to_one_and_matches_the_gaussian_formula():
    g = datasets.Gaussian1D(1.0, 0.5)
    x, dx = theory.grid_1d(-5, 7, 6001)
    p = g.density(x)
    assert abs(p.sum() * dx - 1.0) < 1e-6
    np.testing.assert_allclose(p, np.exp(-((x - 1.0) ** 2) / (2 * 0.25)) / math.sqrt(2 * math.pi * 0.25), rtol=1e-10)
    ring = datasets.GaussianMixture.ring(std=0.3)
    pts, area, _ = theory.grid_2d(4.0, 300)
    assert abs(ring.density(pts).sum() * area - 1.0) < 1e-3


def test_digits_are_64_dim_float32_in_minus_one_to_one():
    pytest.importorskip("sklearn")
    ds = datasets.Digits()
    x = ds.sample(50, np.random.default_rng(0))
    assert x.shape == (50, 64) and x.dtype == np.float32
    assert x.min() >= -1.0 and x.max() <= 1.0 and x.min() == -1.0
    assert np.array_equal(x, ds.sample(50, np.random.default_rng(0)))


# ---- Prop. 1: the optimal discriminator --------------------------------------------------------
def test_optimal_discriminator_is_p_data_over_p_data_plus_p_g_and_safe_where_both_vanish():
    p = np.array([0.2, 0.0, 0.5, 0.0, 1e-300])
    q = np.array([0.6, 0.3, 0.0, 0.0, 1e-300])
    d = theory.optimal_discriminator(p, q)
    np.testing.assert_allclose(d, [0.25, 0.0, 1.0, 0.5, 0.5])
    assert np.isfinite(d).all()


def test_optimal_discriminator_maximizes_v_pointwise_over_a_grid_of_other_d():
    # pointwise the integrand a log D + b log(1 - D) is maximized at D = a / (a + b)
    rng = np.random.default_rng(0)
    a, b = rng.uniform(0.01, 2, 50), rng.uniform(0.01, 2, 50)
    d_star = theory.optimal_discriminator(a, b)
    best = a * np.log(d_star) + b * np.log1p(-d_star)
    others = np.linspace(1e-4, 1 - 1e-4, 2001)[:, None]
    values = a * np.log(others) + b * np.log1p(-others)
    assert (values <= best + 1e-12).all(), "some D beats D* = p_data/(p_data+p_g) pointwise"
    # and as a whole: V(D*, G) >= V(D, G) for perturbed discriminators
    _, dx, p_data, p_g = _gaussians_on_grid(1.0)
    ds = theory.optimal_discriminator(p_data, p_g)
    v_star = theory.value(ds, p_data, p_g, dx)
    for eps in (-0.05, 0.02, 0.05):
        assert theory.value(np.clip(ds + eps, 1e-9, 1 - 1e-9), p_data, p_g, dx) < v_star


# ---- Thm. 1: C(G) = -log 4 + 2 JSD -------------------------------------------------------------
def test_criterion_is_exactly_minus_log4_when_p_g_equals_p_data():
    _, dx, p, _ = _gaussians_on_grid(0.0)
    assert abs(theory.virtual_training_criterion(p, p, dx) + LOG4) < 1e-6
    assert abs(theory.value_at_optimum(p, p, dx)["value"] + LOG4) < 1e-6


@pytest.mark.parametrize("mu, sigma", [(0.1, 1.0), (1.0, 1.0), (3.0, 0.5), (0.0, 2.0), (20.0, 1.0)])
def test_criterion_exceeds_minus_log4_otherwise_and_equals_v_at_d_star(mu, sigma):
    _, dx, p, q = _gaussians_on_grid(mu, sigma)
    c = theory.virtual_training_criterion(p, q, dx)
    assert c > -LOG4 + 1e-6, f"C(G) = {c} should exceed -log 4 for p_g != p_data"
    opt = theory.value_at_optimum(p, q, dx)
    assert opt["gap"] < 1e-9, f"V(D*, G) = {opt['value']} but C(G) = {opt['criterion']}"


def test_jsd_is_symmetric_nonnegative_and_at_most_log2():
    rng = np.random.default_rng(1)
    for _ in range(20):
        p, q = rng.random(200) ** 3, rng.random(200) ** 3
        j = theory.jsd(p, q, 0.1)
        assert 0.0 <= j <= math.log(2)
        assert abs(j - theory.jsd(q, p, 0.1)) < 1e-12
    disjoint = theory.jsd(np.r_[np.ones(5), np.zeros(5)], np.r_[np.zeros(5), np.ones(5)], 1.0)
    assert abs(disjoint - math.log(2)) < 1e-12
    assert theory.jsd(np.ones(7), np.ones(7), 1.0) == 0.0


def test_kde_recovers_a_gaussian_density():
    x, _ = theory.grid_1d(-3, 3, 61)
    est = theory.kde(np.random.default_rng(0).normal(size=20000), x)
    np.testing.assert_allclose(est, datasets.Gaussian1D().density(x), atol=0.02)
    assert theory.scott_bandwidth(10000, 2) == pytest.approx(10000 ** (-1 / 6))


# ---- vanishing gradients, measured with minigan autograd ----------------------------------------
def test_saturating_gradient_vanishes_as_d_of_g_goes_to_zero_while_non_saturating_tends_to_one():
    d = np.array([1e-8, 1e-6, 1e-4, 1e-2, 0.5, 0.9])
    sat = theory.generator_logit_gradient(d, "minimax")
    ns = theory.generator_logit_gradient(d, "non-saturating")
    np.testing.assert_allclose(sat, d, rtol=1e-6)          # |dL/dl| = D
    np.testing.assert_allclose(ns, 1 - d, rtol=1e-6)       # |dL/dl| = 1 - D
    assert sat[0] < 1e-7 and ns[0] > 0.999999
    assert np.all(np.diff(sat[:4]) > 0), "the saturating gradient must shrink as D(G(z)) -> 0"


# ---- metrics ---------------------------------------------------------------------------------------
def test_mode_coverage_counts_all_modes_and_one_mode():
    ring = datasets.GaussianMixture.ring()
    rng = np.random.default_rng(0)
    full = metrics.mode_coverage(ring.sample(2000, rng), ring.means, ring.std)
    assert full.modes == 8 and full.n_modes == 8 and full.high_quality > 0.95
    one = ring.means[3] + ring.std * rng.standard_normal((2000, 2))
    single = metrics.mode_coverage(one, ring.means, ring.std)
    assert single.modes == 1 and single.counts[3] > 1900
    far = metrics.mode_coverage(np.zeros((500, 2)), ring.means, ring.std)
    assert far.modes == 0 and far.high_quality == 0.0
    grid = datasets.GaussianMixture.grid()
    assert metrics.mode_coverage(grid.sample(2500, rng), grid.means, grid.std).modes == 25


def test_jsd_estimate_is_near_zero_for_data_samples_and_large_for_a_collapsed_generator():
    ring = datasets.GaussianMixture.ring()
    rng = np.random.default_rng(0)
    good = metrics.jsd_estimate(ring.sample(1500, rng), ring, n=96)
    one = metrics.jsd_estimate(ring.means[0] + 0.02 * rng.standard_normal((1500, 2)), ring, n=96)
    assert good < 0.01, good
    assert one > 0.3, one


def test_discriminator_optimality_gap_is_small_for_d_star_itself():
    data, fake = datasets.Gaussian1D(0, 1), datasets.Gaussian1D(1.5, 0.8)
    x, _ = theory.grid_1d(-4, 5, 451)
    d_star = theory.optimal_discriminator(data.density(x), fake.density(x))
    gap = metrics.discriminator_optimality_gap(d_star, data, fake.sample(20000, np.random.default_rng(0)), x)
    assert gap["max"] < 0.06 and gap["mean"] < 0.02, gap
    wrong = metrics.discriminator_optimality_gap(np.full_like(x, 0.5), data, fake.sample(5000), x)
    assert wrong["max"] > 0.4


def test_wasserstein_distance_of_a_shift_is_the_shift():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(400, 2))
    assert metrics.wasserstein_distance(a, a + np.array([3.0, 0.0])) == pytest.approx(3.0, abs=1e-9)
    assert metrics.wasserstein_distance(a[:, 0], a[:, 0] + 1.5) == pytest.approx(1.5)


# ---- figures ----------------------------------------------------------------------------------------
@pytest.fixture
def history():
    rng = np.random.default_rng(0)
    recs = []
    for i in range(1, 121):
        recs.append({"iteration": i, "d_loss": 1.3 + 0.1 * rng.random(), "g_loss": 0.7 + 0.1 * rng.random(),
                     "d_real": 0.55, "d_fake": 0.45, "value": -1.35, "g_logit_grad": 0.5,
                     "grad_norm/G/0.weight": 0.1 * i, "grad_norm/D/0.weight": 1.0 / i})
    return recs


def _is_png(path) -> bool:
    with open(path, "rb") as f:
        return f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_figures_are_written_as_non_empty_pngs(tmp_path, history):
    pytest.importorskip("matplotlib")
    import minigan as mg
    from minigan import nn, viz
    from minigan.gan import History

    rng = np.random.default_rng(0)
    ring = datasets.GaussianMixture.ring()
    real = ring.sample(300, rng)
    mg.manual_seed(0)
    d = nn.mlp([2, 8, 1])
    x, _ = theory.grid_1d(-4, 4, 201)
    p, q = datasets.Gaussian1D().density(x), datasets.Gaussian1D(1.0).density(x)
    dv = np.logspace(-6, -0.1, 10)
    paths = [
        viz.dashboard(history, tmp_path / "dash.png"),
        viz.dashboard(History(history), tmp_path / "dash_history.png"),
        viz.samples_over_time([(0, real * 0.1), (10, real)], real, tmp_path / "samples.png", means=ring.means),
        viz.decision_surface(d, real, real * 0.5, tmp_path / "surface.png", n=40),
        viz.theory_1d(x, p, q, tmp_path / "theory.png", d_trained=theory.optimal_discriminator(p, q)),
        viz.vanishing_gradients_figure(dv, {"minimax": dv, "non-saturating": 1 - dv}, tmp_path / "vg.png"),
        viz.criterion_figure(np.linspace(-1, 1, 5), np.full(5, -1.0), np.full(5, 0.2), tmp_path / "c.png"),
        viz.non_convergence_figure({"sim": np.random.default_rng(0).normal(size=(20, 2))}, tmp_path / "nc.png",
                                   curves={"D": (np.arange(5), np.full(5, 0.5))}),
        viz.wasserstein_figure(np.arange(10), np.linspace(2, 0, 10), np.array([0, 9]), np.array([2.0, 0.1]),
                               tmp_path / "w.png"),
        viz.digits_grid(rng.uniform(-1, 1, (16, 64)), tmp_path / "digits.png", real=rng.uniform(-1, 1, (16, 64))),
    ]
    for path in paths:
        assert _is_png(path) and (tmp_path / path).stat().st_size > 1000, f"{path} is not a real PNG"
    assert not list(tmp_path.glob(".tmp-*")), "a temporary file was left behind"


# ---- learning-rate schedules (PyTorch's LambdaLR and LinearLR are the spec) --------------------
def _lr_sequences(make_mg, make_torch, steps=12):
    torch = pytest.importorskip("torch")
    from minigan import optim, tensor

    p = tensor(np.zeros(3, np.float32), requires_grad=True)
    mg_opt = optim.SGD([{"params": [p], "lr": 0.5}, {"params": [tensor(np.zeros(2, np.float32),
                                                                              requires_grad=True)], "lr": 0.1}])
    t_opt = torch.optim.SGD([{"params": [torch.zeros(3, requires_grad=True)], "lr": 0.5},
                             {"params": [torch.zeros(2, requires_grad=True)], "lr": 0.1}])
    mg_s, t_s = make_mg(mg_opt), make_torch(t_opt, torch)
    got, want = [mg_s.get_last_lr()], [t_s.get_last_lr()]
    for _ in range(steps):
        t_opt.step()
        mg_s.step()
        t_s.step()
        got.append(mg_s.get_last_lr())
        want.append(t_s.get_last_lr())
    assert [g["lr"] for g in mg_opt.param_groups] == got[-1]
    return np.array(got), np.array(want), mg_s, mg_opt


def test_linear_lr_follows_pytorch_step_by_step_and_stays_after_total_iters():
    got, want, _, _ = _lr_sequences(
        lambda o: optim_lr().LinearLR(o, start_factor=0.25, end_factor=0.9, total_iters=7),
        lambda o, torch: torch.optim.lr_scheduler.LinearLR(o, start_factor=0.25, end_factor=0.9, total_iters=7))
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert got[-1][0] == pytest.approx(0.5 * 0.9) and got[0][0] == pytest.approx(0.5 * 0.25)


def test_lambda_lr_follows_pytorch_and_restores_from_its_state_dict():
    fn = lambda t: 1.0 if t < 4 else 1.0 - 0.1 * (t - 4)
    got, want, sched, opt = _lr_sequences(lambda o: optim_lr().LambdaLR(o, fn),
                                          lambda o, torch: torch.optim.lr_scheduler.LambdaLR(o, fn))
    np.testing.assert_allclose(got, want, rtol=1e-12)
    state = sched.state_dict()
    assert state["last_epoch"] == 12 and "lr_lambdas" not in state
    for g in opt.param_groups:
        g["lr"] = 123.0
    fresh = optim_lr().LambdaLR(opt, fn, last_epoch=0)
    fresh.load_state_dict(state)
    assert [g["lr"] for g in opt.param_groups] == pytest.approx(list(want[-1]))


def test_schedulers_reject_bad_arguments_in_pytorchs_words():
    from minigan import optim, tensor

    opt = optim.SGD([tensor(np.zeros(2, np.float32), requires_grad=True)], lr=0.1)
    with pytest.raises(ValueError, match="Starting multiplicative factor"):
        optim.lr_scheduler.LinearLR(opt, start_factor=0.0)
    with pytest.raises(ValueError, match="Ending multiplicative factor"):
        optim.lr_scheduler.LinearLR(opt, end_factor=1.5)
    with pytest.raises(ValueError, match="Expected 1 lr_lambdas, but got 2"):
        optim.lr_scheduler.LambdaLR(opt, [lambda t: 1.0, lambda t: 1.0])
    fresh = optim.SGD([tensor(np.zeros(2, np.float32), requires_grad=True)], lr=0.1)
    with pytest.raises(KeyError, match="initial_lr"):
        optim.lr_scheduler.LambdaLR(fresh, lambda t: 1.0, last_epoch=3)


def optim_lr():
    from minigan.optim import lr_scheduler

    return lr_scheduler


# ---- the papers' metrics -----------------------------------------------------------------------
def test_mode_statistics_count_as_veegan_and_pacgan_do():
    ring = datasets.GaussianMixture.ring()
    rng = np.random.default_rng(0)
    # 30 good samples on modes 0-5, 10 on mode 6, 1 on mode 7, and 59 far off the ring
    idx = np.repeat(np.arange(8), [30, 30, 30, 30, 30, 30, 10, 1])
    good = ring.means[idx] + 0.5 * ring.std * rng.standard_normal((len(idx), 2))
    bad = rng.uniform(-0.5, 0.5, (59, 2))
    s = metrics.mode_statistics(np.concatenate([good, bad]), ring.means, ring.std)
    assert s.modes == 6, "PacGAN counts a mode with >= 20 high-quality samples"
    assert s.modes_any == 8, "VEEGAN counts a mode with >= 1"
    assert s.high_quality == pytest.approx(len(idx) / (len(idx) + 59))
    q = np.bincount(idx, minlength=8) / len(idx)
    assert s.reverse_kl == pytest.approx(float((q * np.log(q * 8)).sum()))


def test_reverse_kl_of_modes_is_zero_when_even_and_log_k_when_collapsed():
    grid = datasets.GaussianMixture.grid()
    even = np.repeat(grid.means, 100, axis=0)
    assert metrics.mode_statistics(even, grid.means, grid.std).reverse_kl == pytest.approx(0.0, abs=1e-12)
    one = np.repeat(grid.means[:1], 2500, axis=0)
    s = metrics.mode_statistics(one, grid.means, grid.std)
    assert s.reverse_kl == pytest.approx(math.log(25)) and s.modes == 1 and s.high_quality == 1.0


def test_histogram_divergences_vanish_for_one_distribution_and_grow_with_a_shift():
    ring = datasets.GaussianMixture.ring(std=0.1)
    rng = np.random.default_rng(1)
    a, b = ring.sample(20000, rng), ring.sample(20000, rng)
    same = metrics.histogram_divergences(a, b)
    moved = metrics.histogram_divergences(a, b + np.float32(0.5))
    assert same["js"] < 0.02 and same["kl"] < 0.1
    assert moved["js"] > 10 * same["js"] and moved["kl"] > 10 * same["kl"]
    assert 0 <= moved["js"] <= math.log(2)


def test_frechet_distance_matches_the_closed_form_for_gaussians():
    rng = np.random.default_rng(2)
    a = rng.standard_normal((200_000, 2)) * [1.0, 2.0]
    b = rng.standard_normal((200_000, 2)) * [3.0, 0.5] + [1.0, -1.0]
    # diagonal covariances: ||mu||^2 + sum (s_a - s_b)^2
    want = 2.0 + (1 - 3) ** 2 + (2 - 0.5) ** 2
    assert metrics.frechet_distance(a, b) == pytest.approx(want, rel=2e-2)
    assert metrics.frechet_distance(a, a) == pytest.approx(0.0, abs=1e-8)
    with pytest.raises(ValueError, match="features"):
        metrics.frechet_distance(a, b[:, :1])


# ---- datasets by name, recipes ----------------------------------------------------------------
def test_dataset_names_and_aliases_and_a_clear_error():
    assert datasets.canonical_name("ring") == "ring8" and datasets.canonical_name("grid") == "grid25"
    assert datasets.by_name("grid25").n_modes == 25
    swiss = datasets.by_name("swiss").sample(500, np.random.default_rng(0))
    assert swiss.shape == (500, 2) and swiss.dtype == np.float32 and np.abs(swiss).max() < 3
    with pytest.raises(ValueError, match="ring8"):
        datasets.by_name("mnist")


def test_linear_schedule_is_flat_then_falls_to_its_end_factor():
    from minigan.lab import recipes

    r = recipes.Recipe(iterations=100, decay_start=0.5, lr_end=0.02)
    f = [recipes.lr_factor(r, it) for it in range(101)]
    assert f[:51] == [1.0] * 51 and f[100] == pytest.approx(0.02) and f[75] == pytest.approx(0.51)
    assert all(x >= y for x, y in zip(f, f[1:]))
    assert recipes.lr_factor(r.replace(lr_schedule="constant"), 90) == 1.0


def test_recipe_trainer_follows_the_schedule_and_resumes_it():
    from minigan.lab import recipes

    r = recipes.default_recipe("ring8", iterations=20, hidden=8, layers=1, batch_size=8)
    trainer, schedulers = recipes.make_trainer(r)
    recipes.train(trainer, schedulers, 15)
    want = r.lr_d * recipes.lr_factor(r, 15)
    assert trainer.d_optimizer.param_groups[0]["lr"] == pytest.approx(want)
    other, other_s = recipes.make_trainer(r)
    other.iteration = 15
    recipes.sync_schedulers(other, other_s)
    assert other.g_optimizer.param_groups[0]["lr"] == trainer.g_optimizer.param_groups[0]["lr"]


# ---- the Dirac-GAN against its linear theory ---------------------------------------------------
@pytest.mark.parametrize("lr", [0.05, 0.2])
def test_dirac_gan_measured_with_autograd_matches_mescheders_formulas(lr):
    from minigan.lab import dirac

    sim = dirac.measure(dirac.simulate("simultaneous", 300, lr, theta0=0.02, psi0=0.02))
    assert sim["factor"] == pytest.approx(dirac.simultaneous_factor(lr), rel=1e-5)
    alt = dirac.measure(dirac.simulate("alternating", 600, lr, theta0=0.02, psi0=0.02))
    assert alt["period"] == pytest.approx(dirac.alternating_period(lr), rel=2e-3)
    assert alt["radius_end"] == pytest.approx(alt["radius_start"], rel=0.05), "alternating play neither grows"
    r1 = dirac.measure(dirac.simulate("r1", 300, lr, gamma=0.3, theta0=0.02, psi0=0.02))
    assert r1["factor"] == pytest.approx(dirac.r1_factor(lr, 0.3), rel=2e-3) and r1["factor"] < 1
