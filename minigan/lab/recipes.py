"""Run recipes: every setting of a GAN run in one record, and the objects it builds.

    recipe = recipes.default_recipe("ring8", seed=3)
    trainer, schedulers = recipes.make_trainer(recipe)
    recipes.train(trainer, schedulers, recipe.iterations)

A ``Recipe`` names the data set, the loss pair, the networks (MLPs), the optimizer and
its learning-rate schedule, the regularizer (R1, WGAN-GP or clipping), the batch size,
the iteration count and the seed. ``make_trainer`` turns it into a ``gan.Trainer`` and
one ``LambdaLR`` per optimizer; the schedule is a function of the iteration alone, so a
resumed run gets the learning rate an uninterrupted one would have.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field

from .. import nn, optim
from ..gan.trainer import Trainer
from ..optim.lr_scheduler import LambdaLR
from ..random import manual_seed
from . import datasets

__all__ = [
    "DATASETS", "LOSSES", "OPTIMIZERS", "SCHEDULES", "Recipe", "build_models", "default_recipe",
    "blas_threads", "lr_factor", "make_trainer", "single_threaded_blas", "sync_schedulers", "train",
]

# loss name -> (generator loss, discriminator loss) of gan.Trainer
LOSSES = {
    "minimax": ("minimax", "bce"),
    "non-saturating": ("non-saturating", "bce"),
    "least-squares": ("least-squares", "least-squares"),
    "wasserstein": ("wasserstein", "wasserstein"),
    "wgan-gp": ("wasserstein", "wasserstein"),
}
OPTIMIZERS = ("adam", "rmsprop", "sgd")
SCHEDULES = ("constant", "linear")
DATASETS = datasets.NAMES


@dataclass(frozen=True)
class Recipe:
    """All settings of one run. lr_schedule "linear": the learning rate stays at lr_d, lr_g
    until ``decay_start`` (a fraction of the iterations), then falls linearly to
    ``lr_end`` times its value at the last iteration."""

    dataset: str = "ring8"
    loss: str = "non-saturating"
    iterations: int = 10_000
    batch_size: int = 256
    k_d: int = 1
    k_g: int = 1
    optimizer: str = "adam"
    lr_d: float = 1e-3
    lr_g: float = 1e-3
    betas: tuple[float, float] = (0.5, 0.999)
    lr_schedule: str = "linear"
    decay_start: float = 0.5
    lr_end: float = 0.02
    r1: float | None = 0.1
    gp_lambda: float | None = None
    clip: float | None = None
    hidden: int = 128
    layers: int = 3
    z_dim: int = 2
    seed: int = 0
    extra: dict = field(default_factory=dict, compare=False)

    def replace(self, **changes) -> Recipe:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d.pop("extra")
        d["betas"] = list(self.betas)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Recipe:
        known = {f.name for f in dataclasses.fields(cls)} - {"extra"}
        d = {k: v for k, v in d.items() if k in known}
        if "betas" in d:
            d["betas"] = tuple(d["betas"])
        return cls(**d)


# The defaults of `minigan train DATASET`, chosen by benchmarks/recipe_search.py on seed 0
# (benchmarks/results/recipe_search.jsonl holds every trial): the schedule's details moved the
# share of high-quality samples by < 2 points; a fourth hidden layer moved it from 87% to 91%
# on the ring (the samples that miss sit on the ring between modes: a continuous G needs
# steep transitions there).
_DEFAULTS: dict[str, dict] = {
    "ring8": {"layers": 4},
    "grid25": {"layers": 4},
    "swiss": {},
    "gauss1d": {"iterations": 3000, "r1": None, "hidden": 32, "layers": 2, "z_dim": 1},
    "digits": {"iterations": 1500, "batch_size": 128, "lr_d": 5e-4, "lr_g": 5e-4, "r1": None,
               "hidden": 256, "layers": 2, "z_dim": 32, "lr_schedule": "constant"},
}


def default_recipe(dataset: str, **changes) -> Recipe:
    """The default recipe of ``dataset`` (a name or alias), with ``changes`` applied."""
    name = datasets.canonical_name(dataset)
    return Recipe(dataset=name, **_DEFAULTS[name]).replace(**changes)


def build_models(x_dim: int, z_dim: int, hidden: int = 128, layers: int = 3,
                 out_activation=None) -> tuple[nn.Module, nn.Module]:
    """G: z (m, z_dim) -> x (m, x_dim) and D: x (m, x_dim) -> logit (m, 1), MLPs with
    ``layers`` hidden layers of ``hidden`` units and LeakyReLU(0.2)."""
    g = nn.mlp([z_dim] + [hidden] * layers + [x_dim], activation=nn.LeakyReLU(0.2),
               out_activation=out_activation)
    d = nn.mlp([x_dim] + [hidden] * layers + [1], activation=nn.LeakyReLU(0.2))
    return g, d


def lr_factor(recipe: Recipe, iteration: int) -> float:
    """The schedule's multiplier of the learning rate for the step after ``iteration``."""
    if recipe.lr_schedule == "constant":
        return 1.0
    start = recipe.decay_start * recipe.iterations
    if iteration <= start:
        return 1.0
    t = min(1.0, (iteration - start) / max(1.0, recipe.iterations - start))
    return 1.0 - (1.0 - recipe.lr_end) * t


def _optimizers(recipe: Recipe, g: nn.Module, d: nn.Module):
    if recipe.optimizer == "rmsprop":
        return optim.RMSprop(g.parameters(), lr=recipe.lr_g), optim.RMSprop(d.parameters(), lr=recipe.lr_d)
    if recipe.optimizer == "sgd":
        return optim.SGD(g.parameters(), lr=recipe.lr_g), optim.SGD(d.parameters(), lr=recipe.lr_d)
    return (optim.Adam(g.parameters(), lr=recipe.lr_g, betas=recipe.betas),
            optim.Adam(d.parameters(), lr=recipe.lr_d, betas=recipe.betas))


def make_trainer(recipe: Recipe, *, device=None, checkpoint_path=None,
                 checkpoint_every: int = 0) -> tuple[Trainer, list[LambdaLR]]:
    """Seed minigan, build the data set, G, D, the optimizers and the Trainer of ``recipe``,
    and one LambdaLR per optimizer following ``lr_factor``. Returns (trainer, schedulers)."""
    manual_seed(recipe.seed)
    data = datasets.by_name(recipe.dataset)
    is_image = isinstance(data, datasets.Digits)
    g, d = build_models(data.dim, recipe.z_dim, recipe.hidden, recipe.layers,
                        out_activation=nn.Tanh() if is_image else None)
    if device is not None:
        g, d = g.to(device), d.to(device)
    opt_g, opt_d = _optimizers(recipe, g, d)
    g_loss, d_loss = LOSSES[recipe.loss]
    gp = recipe.gp_lambda if recipe.loss == "wgan-gp" else None
    if recipe.loss == "wgan-gp" and gp is None:
        gp = 10.0
    trainer = Trainer(g, d, opt_g, opt_d, data, z_dim=recipe.z_dim, batch_size=recipe.batch_size,
                      k_d=recipe.k_d, k_g=recipe.k_g, g_loss=g_loss, d_loss=d_loss, gp_lambda=gp,
                      r1_gamma=recipe.r1, clip=recipe.clip, seed=recipe.seed, device=device,
                      checkpoint_path=checkpoint_path, checkpoint_every=checkpoint_every)
    schedulers = [LambdaLR(opt, lambda it: lr_factor(recipe, it)) for opt in (opt_g, opt_d)]
    return trainer, schedulers


def sync_schedulers(trainer: Trainer, schedulers: list[LambdaLR]) -> None:
    """Set the schedulers (and so the learning rates) to the trainer's iteration, after a resume."""
    for s in schedulers:
        s.last_epoch = trainer.iteration - 1
        s.step()


def train(trainer: Trainer, schedulers: list[LambdaLR], until: int,
          callback: Callable | None = None, progress: bool = False):
    """Train up to iteration ``until`` (a total), stepping the schedulers after each
    iteration; ``callback(trainer, record)`` after each. Returns the trainer's history."""

    def step(tr, record):
        for s in schedulers:
            s.step()
        if callback is not None:
            callback(tr, record)

    remaining = max(0, until - trainer.iteration)
    return trainer.train(remaining, callback=step, progress=progress)


def blas_threads(n: int = 1):
    """A context limiting NumPy's BLAS to ``n`` threads (threadpoolctl), and
    restoring the earlier limit after.

    The matrices of these MLPs (256 x 128) are too small for threads to pay: on 2 cores
    a 4000-iteration run took 80 s with OpenBLAS's 2 threads and 41 s with one.
    """
    from threadpoolctl import threadpool_limits  # a dependency of minigan

    return threadpool_limits(limits=n, user_api="blas")


def single_threaded_blas():
    """``blas_threads(1)``."""
    return blas_threads(1)

