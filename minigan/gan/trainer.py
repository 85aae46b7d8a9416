"""Algorithm 1 of Goodfellow et al. 2014: alternating minibatch steps of D and G.

    for each iteration:
        for k_d steps:  sample x_1..x_m ~ p_data, z_1..z_m ~ p_z
                        update D on L_D(D(x), D(G(z)))      (G(z) detached: only D moves)
        for k_g steps:  sample z_1..z_m ~ p_z
                        update G on L_G(D(G(z)))            (only G's optimizer steps)

Every random number comes from the trainer's own numpy Generator (seeded by ``seed``),
in this fixed order, so that a run is reproducible bit for bit and a resumed run goes
on exactly where the interrupted one would have been:

    D step: data minibatch, then noise, then (WGAN-GP only) the interpolation eps;
    G step: noise.

Each iteration returns and records a dict of floats (losses, D's outputs, V(D, G), the
generator's logit gradient, per-parameter gradient norms), collected in a ``History``.
"""
from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from .._io import atomic_write_text
from ..autograd import grad, no_grad
from ..creation import float32, tensor
from ..ops.activation import sigmoid
from ..ops.reduce import mean
from ..random import get_rng_state, set_rng_state
from ..serialization import load, save
from ..tensor import Tensor
from . import losses
from .regularizers import gradient_penalty, r1_penalty

__all__ = ["History", "Trainer", "TrainingDiverged"]

D_LOSSES = ("bce", "least-squares", "wasserstein")
PRIORS = ("normal", "uniform")
# the generator loss each discriminator loss pairs with when g_loss is not given
_PARTNER = {"bce": "non-saturating", "least-squares": "least-squares", "wasserstein": "wasserstein"}
_D_LOSS_FNS = {
    "bce": losses.discriminator_loss,
    "least-squares": losses.least_squares_discriminator_loss,
    "wasserstein": losses.wasserstein_critic_loss,
}


class TrainingDiverged(RuntimeError):
    """A loss, a gradient or a parameter became NaN or infinite; the message names the
    iteration and the quantity. A NaN loss or gradient is caught before the update that
    would use it; the checkpoint on disk is never overwritten with non-finite values."""


# ---- History -----------------------------------------------------------------------------
class History:
    """The per-iteration records of a run: a list of dicts of floats.

    ``history["d_loss"]`` is an (n,) float64 array over the n records (NaN where a record
    lacks the key); ``history[i]`` the i-th record; ``len(history)``; ``history.keys()``.
    """

    def __init__(self, records: list[dict[str, float]] | None = None) -> None:
        self.records: list[dict[str, float]] = list(records or [])

    def append(self, record: dict[str, float]) -> None:
        self.records.append(dict(record))

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self) -> Iterator[dict[str, float]]:
        return iter(self.records)

    def __getitem__(self, key: str | int) -> np.ndarray | dict[str, float]:
        if isinstance(key, (int, np.integer)):
            return self.records[key]
        if key not in self.keys():
            raise KeyError(f"History has no key {key!r}; its keys are {self.keys()}")
        return np.array([r.get(key, math.nan) for r in self.records], dtype=np.float64)

    def __contains__(self, key: str) -> bool:
        return key in self.keys()

    def keys(self) -> list[str]:
        """Every key that occurs in a record, in order of first appearance."""
        seen: dict[str, None] = {}
        for r in self.records:
            seen.update(dict.fromkeys(r))
        return list(seen)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, History) and _records_equal(self.records, other.records)

    def __repr__(self) -> str:
        return f"History({len(self)} records, keys={self.keys()})"

    def to_json(self, path: str | os.PathLike) -> None:
        """Write the records to ``path`` as JSON, atomically (temp file + rename)."""
        atomic_write_text(path, json.dumps({"records": self.records}))

    @classmethod
    def from_json(cls, path: str | os.PathLike) -> History:
        """Read a History written by ``to_json``."""
        with open(path, encoding="utf-8") as f:
            return cls(json.load(f)["records"])


def _records_equal(a: list[dict], b: list[dict]) -> bool:
    # NaN == NaN here: two identical runs that record a NaN are still identical
    if len(a) != len(b):
        return False
    for ra, rb in zip(a, b):
        if ra.keys() != rb.keys():
            return False
        for k in ra:
            x, y = ra[k], rb[k]
            if not (x == y or (isinstance(x, float) and math.isnan(x) and math.isnan(y))):
                return False
    return True


# ---- Trainer -----------------------------------------------------------------------------
class Trainer:
    """Goodfellow et al. 2014, Algorithm 1, with the losses and penalties of later papers.

    Args:
        generator: module z (m, z_dim) -> x (m, dim).
        discriminator: module x (m, dim) -> logits (m, 1) (raw scores for least-squares
            and wasserstein).
        g_optimizer, d_optimizer: optimizers over G's and D's parameters.
        data: an object with ``.sample(n, rng) -> np.ndarray (n, dim)`` (rng a numpy
            Generator), or an np.ndarray (N, dim) from which minibatches of distinct rows
            are drawn with the trainer's rng.
        z_dim: noise dimension. batch_size: m, for data and noise alike.
        k_d, k_g: discriminator and generator steps per iteration (Algorithm 1's k is k_d).
        g_loss: "minimax"/"saturating", "non-saturating", "least-squares", "wasserstein";
            None picks the partner of d_loss (non-saturating for bce).
        d_loss: "bce" (Goodfellow), "least-squares" (Mao et al.), "wasserstein" (Arjovsky
            et al.; then g_loss must be "wasserstein" or None).
        prior: p_z, "normal" (N(0, I)) or "uniform" (U[-1, 1]^z_dim).
        gp_lambda: WGAN-GP weight (Gulrajani et al.), added to the D loss.
        r1_gamma: R1 weight (Mescheder et al.), gamma/2 E ||grad D(x)||^2 added to the D loss.
        clip: c, clip D's parameters to [-c, c] after each D step (WGAN weight clipping).
        seed: seeds the trainer's numpy Generator (data, noise, eps).
        device: where data and noise go; None: the device of G's first parameter.
        dtype: dtype of data and noise (float32).
        noise_sampler: ``callable(n, rng) -> np.ndarray (n, z_dim)`` replacing ``prior``.
        checkpoint_path, checkpoint_every: save a checkpoint every so many iterations
            (0: never automatically).
    """

    def __init__(self, generator, discriminator, g_optimizer, d_optimizer, data, *,
                 z_dim: int, batch_size: int = 64, k_d: int = 1, k_g: int = 1,
                 g_loss: str | None = None, d_loss: str = "bce", prior: str = "normal",
                 gp_lambda: float | None = None, r1_gamma: float | None = None,
                 clip: float | None = None, seed: int = 0, device=None, dtype=float32,
                 noise_sampler: Callable[[int, np.random.Generator], np.ndarray] | None = None,
                 checkpoint_path: str | os.PathLike | None = None,
                 checkpoint_every: int = 0) -> None:
        if d_loss not in D_LOSSES:
            raise ValueError(f"Trainer: unknown d_loss {d_loss!r}; valid are {', '.join(D_LOSSES)}")
        if g_loss is None:
            g_loss = _PARTNER[d_loss]
        if g_loss not in losses.GENERATOR_LOSSES:
            raise ValueError(
                f"Trainer: unknown g_loss {g_loss!r}; valid are {', '.join(losses.GENERATOR_LOSSES)}"
            )
        if (d_loss == "wasserstein") != (g_loss == "wasserstein"):
            raise ValueError(
                f"Trainer: d_loss={d_loss!r} with g_loss={g_loss!r}: the wasserstein critic and "
                "generator losses only make sense together"
            )
        if prior not in PRIORS:
            raise ValueError(f"Trainer: unknown prior {prior!r}; valid are {', '.join(PRIORS)}")
        for name, v in (("z_dim", z_dim), ("batch_size", batch_size), ("k_d", k_d), ("k_g", k_g)):
            if not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"Trainer: {name} must be a positive int, got {v!r}")
        for name, v in (("gp_lambda", gp_lambda), ("r1_gamma", r1_gamma), ("clip", clip)):
            if v is not None and not v > 0:
                raise ValueError(f"Trainer: {name} must be positive (or None), got {v!r}")
        if isinstance(data, np.ndarray):
            if data.ndim != 2:
                raise ValueError(f"Trainer: a data array must have shape (N, dim), got {data.shape}")
        elif not callable(getattr(data, "sample", None)):
            raise TypeError(
                "Trainer: data must be an np.ndarray (N, dim) or have .sample(n, rng) -> "
                f"np.ndarray, got {type(data).__name__}"
            )
        if checkpoint_every and checkpoint_path is None:
            raise ValueError("Trainer: checkpoint_every needs a checkpoint_path")
        self.G, self.D = generator, discriminator
        self.g_optimizer, self.d_optimizer = g_optimizer, d_optimizer
        self.data = data
        self.z_dim, self.batch_size, self.k_d, self.k_g = int(z_dim), int(batch_size), k_d, k_g
        self.g_loss, self.d_loss, self.prior = g_loss, d_loss, prior
        self.gp_lambda, self.r1_gamma, self.clip = gp_lambda, r1_gamma, clip
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.dtype = np.dtype(dtype)
        if device is None:
            first = next(iter(generator.parameters()), None)
            device = first.device if first is not None else None
        self.device = device
        self.noise_sampler = noise_sampler
        self.checkpoint_path, self.checkpoint_every = checkpoint_path, int(checkpoint_every)
        self.iteration = 0
        self.history = History()

    # ---- sampling ----------------------------------------------------------------------
    def _tensor(self, array: np.ndarray) -> Tensor:
        return tensor(np.asarray(array), dtype=self.dtype, device=self.device)

    def sample_noise(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """z ~ p_z: (n, z_dim) drawn from ``rng`` (the noise_sampler, if one was given)."""
        if self.noise_sampler is not None:
            return self.noise_sampler(n, rng)
        if self.prior == "normal":
            return rng.standard_normal((n, self.z_dim))
        return rng.uniform(-1.0, 1.0, (n, self.z_dim))

    def sample_data(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """A minibatch x ~ p_data: (n, dim), from ``data.sample`` or rows of the data array."""
        if isinstance(self.data, np.ndarray):
            N = self.data.shape[0]
            idx = rng.choice(N, size=n, replace=False) if n <= N else rng.integers(0, N, n)
            return self.data[idx]
        return self.data.sample(n, rng)

    def sample(self, n: int, rng: np.random.Generator | None = None) -> np.ndarray:
        """n generator samples G(z) as a NumPy array (n, dim), computed under no_grad.

        With rng None the noise comes from a Generator seeded by ``seed + 1``: the same z
        on every call (figures over training compare like with like), and the training
        stream is left untouched.
        """
        rng = np.random.default_rng(self.seed + 1) if rng is None else rng
        with no_grad():
            x = self.G(self._tensor(self.sample_noise(n, rng)))
        return np.asarray(x.to("cpu").array)

    # ---- one iteration -----------------------------------------------------------------
    def _discriminator_step(self) -> tuple[float, Tensor, Tensor]:
        m = self.batch_size
        real = self._tensor(self.sample_data(m, self.rng))
        z = self._tensor(self.sample_noise(m, self.rng))
        with no_grad():
            fake = self.G(z)  # detached: the D step never reaches G's parameters
        real_out, fake_out = self.D(real), self.D(fake)
        loss = _D_LOSS_FNS[self.d_loss](real_out, fake_out)
        if self.gp_lambda is not None:
            loss = loss + gradient_penalty(self.D, real, fake, self.gp_lambda, rng=self.rng)
        if self.r1_gamma is not None:
            loss = loss + r1_penalty(self.D, real, self.r1_gamma)
        d_loss = self._finite(loss.item(), "d_loss")
        self.d_optimizer.zero_grad()
        loss.backward()
        self._d_norms = self._grad_norms(self.D, "D")
        self.d_optimizer.step()
        self._check_parameters(self.D, "D", self._it)
        if self.clip is not None:
            losses.clip_weights_(self.D, self.clip)
        return d_loss, real_out.detach(), fake_out.detach()

    def _generator_step(self) -> tuple[float, float]:
        z = self._tensor(self.sample_noise(self.batch_size, self.rng))
        fake_out = self.D(self.G(z))
        loss = losses.generator_loss(fake_out, self.g_loss)
        g_loss = self._finite(loss.item(), "g_loss")
        self.g_optimizer.zero_grad()
        # one backward pass gives G's gradients and dL_G/d logit; D's .grad is not touched
        params = tuple(self.G.parameters())
        grads = grad(loss, (fake_out, *params), allow_unused=True)
        for p, g in zip(params, grads[1:]):
            p.grad = g
        self._g_norms = self._grad_norms(self.G, "G")
        self.g_optimizer.step()
        self._check_parameters(self.G, "G", self._it)
        # per-sample |d loss_i / d logit_i| (= m |dL_G / d logit_i| for the mean loss), so
        # that it reads the same at any batch size: D(G(z)) for minimax, 1 - D(G(z)) for NS
        logit_grad = float(np.abs(_host(grads[0].array)).mean()) * fake_out.array.size
        return g_loss, logit_grad

    def step(self) -> dict[str, float]:
        """Run one iteration of Algorithm 1 (k_d D steps, then k_g G steps), record it in
        ``history`` and return the record: floats keyed "iteration", "d_loss", "g_loss",
        "d_real", "d_fake", "value", "g_logit_grad", "grad_norm/G/<name>", "grad_norm/D/<name>".

        d_real, d_fake: mean D(x) and D(G(z)) on the last D step's minibatches (sigmoid of
        the logits for bce; the raw outputs for least-squares and wasserstein). value: what D
        maximizes, without penalties: V(D, G) for bce, E f(x) - E f(G(z)) for wasserstein,
        -L_D for least-squares. g_logit_grad: mean per-sample |d loss_i / d logit_i| of the
        last G step. Gradient norms (L2, per parameter) are those of each player's last step.
        Raises TrainingDiverged on a NaN or inf in a loss or a gradient (before the update
        that would use it) or in a parameter after an update; no checkpoint is written then.
        """
        self._it = self.iteration + 1
        for _ in range(self.k_d):
            d_loss, real_out, fake_out = self._discriminator_step()
        for _ in range(self.k_g):
            g_loss, logit_grad = self._generator_step()
        with no_grad():
            if self.d_loss == "bce":
                d_real, d_fake = mean(sigmoid(real_out)), mean(sigmoid(fake_out))
                value = losses.value_function(real_out, fake_out).item()
            else:
                d_real, d_fake = mean(real_out), mean(fake_out)
                value = -_D_LOSS_FNS[self.d_loss](real_out, fake_out).item()
        record = {
            "iteration": self._it, "d_loss": d_loss, "g_loss": g_loss,
            "d_real": d_real.item(), "d_fake": d_fake.item(), "value": value,
            "g_logit_grad": logit_grad,
        }
        record.update(self._g_norms)
        record.update(self._d_norms)
        self.iteration = self._it
        self.history.append(record)
        if self.checkpoint_every and self.iteration % self.checkpoint_every == 0:
            self.save_checkpoint(self.checkpoint_path)
        return record

    def train(self, iterations: int, callback: Callable[[Trainer, dict], Any] | None = None,
              progress: bool = False) -> History:
        """Run ``iterations`` iterations; ``callback(trainer, record)`` after each.
        With progress=True a tqdm bar is shown if tqdm is installed. Returns ``history``."""
        steps: Any = range(iterations)
        bar = None
        if progress:
            try:
                from tqdm.auto import tqdm
            except ImportError:
                tqdm = None
            if tqdm is not None:
                steps = bar = tqdm(steps, desc="GAN", unit="it", mininterval=0.5)
        for _ in steps:
            record = self.step()
            if bar is not None:
                # refresh=False: the bar redraws at its own pace (mininterval), not every step
                bar.set_postfix(d_loss=f"{record['d_loss']:.3f}", g_loss=f"{record['g_loss']:.3f}", refresh=False)
            if callback is not None:
                callback(self, record)
        return self.history

    # ---- NaN / inf guard ---------------------------------------------------------------
    def _finite(self, value: float, what: str) -> float:
        if not math.isfinite(value):
            raise TrainingDiverged(f"training diverged at iteration {self._it}: {what} is {value}")
        return value

    def _grad_norms(self, module, player: str) -> dict[str, float]:
        """{"grad_norm/<player>/<name>": ||grad||_2}, raising TrainingDiverged on NaN/inf."""
        norms = {}
        for name, p in module.named_parameters():
            if p.grad is None:
                continue
            g = p.grad.array
            xp = p._xp()
            norm = float(xp.sqrt(xp.sum(xp.square(g.astype(xp.float64)))))
            if not math.isfinite(norm):
                bad = "NaN" if bool(xp.isnan(g).any()) else "inf"
                raise TrainingDiverged(
                    f"training diverged at iteration {self._it}: grad of {player} '{name}' "
                    f"contains {bad}"
                )
            norms[f"grad_norm/{player}/{name}"] = norm
        return norms

    @staticmethod
    def _check_parameters(module, player: str, iteration: int) -> None:
        """Raise TrainingDiverged if a parameter of ``module`` is NaN or inf (a finite
        gradient times a too large learning rate gets there)."""
        for name, p in module.named_parameters():
            if not bool(p._xp().isfinite(p.array).all()):
                raise TrainingDiverged(
                    f"training diverged at iteration {iteration}: parameter of {player} "
                    f"'{name}' is not finite after the optimizer step (learning rate too large?)"
                )

    # ---- checkpoints -------------------------------------------------------------------
    def state_dict(self) -> dict:
        """Everything needed to continue bit for bit: both modules, both optimizers, the
        trainer's rng state, minigan's global rng state, the iteration and the history."""
        return {
            "G": self.G.state_dict(), "D": self.D.state_dict(),
            "opt_g": self.g_optimizer.state_dict(), "opt_d": self.d_optimizer.state_dict(),
            "iteration": self.iteration,
            "rng": self.rng.bit_generator.state,  # PCG64 state: 128-bit ints, kept exactly
            "mg_rng": get_rng_state(),  # for modules that draw from it (dropout)
            "history": self.history.records,
        }

    def load_state_dict(self, state: dict) -> None:
        """Restore a ``state_dict`` (modules, optimizers, rng states, iteration, history)."""
        self.G.load_state_dict(state["G"])
        self.D.load_state_dict(state["D"])
        self.g_optimizer.load_state_dict(state["opt_g"])
        self.d_optimizer.load_state_dict(state["opt_d"])
        self.iteration = int(state["iteration"])
        self.rng.bit_generator.state = state["rng"]
        set_rng_state(state["mg_rng"])
        self.history = History(state["history"])

    def save_checkpoint(self, path: str | os.PathLike) -> None:
        """Write ``state_dict()`` to ``path`` with mg.save (atomic: a crash leaves the old
        file whole). Refuses, with TrainingDiverged, if a parameter is not finite."""
        for player, module in (("G", self.G), ("D", self.D)):
            self._check_parameters(module, player, self.iteration)
        save(self.state_dict(), path)

    def load_checkpoint(self, path: str | os.PathLike) -> Trainer:
        """Load a checkpoint written by ``save_checkpoint`` into this trainer; returns it."""
        self.load_state_dict(load(path))
        return self

    @classmethod
    def resume(cls, path: str | os.PathLike, *args, **kwargs) -> Trainer:
        """``Trainer(*args, **kwargs)`` with the checkpoint at ``path`` loaded into it."""
        return cls(*args, **kwargs).load_checkpoint(path)


def _host(a) -> np.ndarray:
    return a if isinstance(a, np.ndarray) else a.get()
