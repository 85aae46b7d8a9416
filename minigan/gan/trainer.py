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
generator's logit gradient, per-parameter gradient norms), collected in a ``History``
and, with a ``log_path`` (or a checkpoint), appended to an append-only JSON-lines log.

Checkpoints and the history log (what ``save_checkpoint``/``resume`` guarantee):

    run/checkpoint.npz   models, optimizers, both rng states, the iteration, and a reference
                         to the log: its path (relative to the checkpoint) and its length n
    run/metrics.jsonl    one JSON object per iteration, written and flushed as the iteration
                         ends: a crash loses at most the line being written

``Trainer.resume("run/checkpoint.npz", ...)`` reads the first n records of the log back
into ``history`` and truncates the log to them (records written after the checkpoint, by a
run that then crashed, are dropped), so the resumed run's log equals an uninterrupted run's.
"""
from __future__ import annotations

import json
import math
import os
import weakref
from collections.abc import Callable, Iterator
from typing import IO, Any

import numpy as np

from .._io import atomic_write_text
from ..autograd import grad, no_grad
from ..backend import get_array_module
from ..backend.device import on_device_of
from ..creation import float32, tensor
from ..ops.activation import sigmoid
from ..ops.reduce import mean
from ..random import get_rng_state, set_rng_state
from ..serialization import CheckpointError, load, save
from ..tensor import Tensor
from . import losses
from .regularizers import clip_weights_, gradient_penalty, r1_penalty

__all__ = ["History", "Trainer", "TrainingDiverged"]

LOG_NAME = "metrics.jsonl"  # the history log's name beside a checkpoint

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
    """A loss, a gradient, a parameter, a buffer or an optimizer's state became NaN or
    infinite; the message names the iteration and the first such quantity. The trainer is
    then part-way through that iteration (``step`` and ``save_checkpoint`` refuse until a
    checkpoint is loaded); the checkpoint on disk is never overwritten with non-finite values."""


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

    def to_jsonl(self, path: str | os.PathLike) -> None:
        """Write the records to ``path`` as JSON lines (one object per line), atomically."""
        atomic_write_text(path, "".join(_jsonl_line(r) for r in self.records))

    @classmethod
    def from_jsonl(cls, path: str | os.PathLike, limit: int | None = None) -> History:
        """Read a JSON-lines log (``metrics.jsonl``, written by a Trainer or ``to_jsonl``):
        every complete line, or the first ``limit``. A last line cut short by a crash is
        ignored; any other line that is not a JSON object is a ValueError naming it."""
        return cls(_read_jsonl(path, limit)[0])


def _jsonl_line(record: dict) -> str:
    return json.dumps(record) + "\n"


def _read_jsonl(path: str | os.PathLike, limit: int | None = None) -> tuple[list[dict], int]:
    """The records of a JSON-lines file (at most ``limit``) and the byte offset where the
    last of them ends. A final line without its newline (a write cut short) is not a record."""
    records: list[dict] = []
    end = 0
    with open(path, "rb") as f:
        for number, line in enumerate(f, 1):
            if (limit is not None and len(records) >= limit) or not line.endswith(b"\n"):
                break
            try:
                record = json.loads(line)
            except ValueError as e:
                raise ValueError(f"history log '{os.fspath(path)}', line {number}: not JSON ({e})") from None
            if not isinstance(record, dict):
                raise ValueError(f"history log '{os.fspath(path)}', line {number}: not a JSON object")
            records.append(record)
            end += len(line)
    return records, end


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
        log_path: the history log, a JSON-lines file to which every iteration's record is
            appended (and flushed) as the iteration ends. Default: ``metrics.jsonl`` beside
            ``checkpoint_path`` when one is given, else none until the first
            ``save_checkpoint(path)``, which starts ``metrics.jsonl`` beside ``path``.
            A fresh trainer starts the log empty; a resumed one continues it.

    A run that can crash and go on (what a command line tool needs)::

        trainer = Trainer(G, D, opt_g, opt_d, data, z_dim=2,
                          checkpoint_path="run/checkpoint.npz", checkpoint_every=500)
        trainer.train(10_000)          # run/metrics.jsonl grows by one line per iteration
        # ... after a crash, with freshly built G, D, opt_g, opt_d:
        trainer = Trainer.resume("run/checkpoint.npz", G, D, opt_g, opt_d, data, z_dim=2,
                                 checkpoint_path="run/checkpoint.npz", checkpoint_every=500)
        trainer.train(10_000 - trainer.iteration)   # bit for bit the uninterrupted run
        History.from_jsonl("run/metrics.jsonl")     # every iteration's record, for figures
    """

    def __init__(self, generator, discriminator, g_optimizer, d_optimizer, data, *,
                 z_dim: int, batch_size: int = 64, k_d: int = 1, k_g: int = 1,
                 g_loss: str | None = None, d_loss: str = "bce", prior: str = "normal",
                 gp_lambda: float | None = None, r1_gamma: float | None = None,
                 clip: float | None = None, seed: int = 0, device=None, dtype=float32,
                 noise_sampler: Callable[[int, np.random.Generator], np.ndarray] | None = None,
                 checkpoint_path: str | os.PathLike | None = None,
                 checkpoint_every: int = 0, log_path: str | os.PathLike | None = None) -> None:
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
        if log_path is None and checkpoint_path is not None:
            log_path = _beside(checkpoint_path, LOG_NAME)
        self.log_path = None if log_path is None else os.fspath(log_path)
        self._log: IO[str] | None = None  # the log, open for appending after the first record
        self._logged: int | None = None  # how many records of ``history`` the log file holds
        self._partial: str | None = None  # what stopped part-way ("iteration 5"), if anything
        self.iteration = 0
        self._checks: list = []  # the iteration's NaN/inf checks, read by _settle
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
        d_loss = self._watch_loss(loss, "d_loss")
        self.d_optimizer.zero_grad()
        loss.backward()
        self._d_norms = self._grad_norms(self.D, "D")
        self.d_optimizer.step()
        self._watch_finite(self.D, self.d_optimizer, "D")
        if self.clip is not None:
            clip_weights_(self.D, self.clip)
        return d_loss, real_out.detach(), fake_out.detach()

    def _generator_step(self) -> tuple[float, float]:
        z = self._tensor(self.sample_noise(self.batch_size, self.rng))
        fake_out = self.D(self.G(z))
        loss = losses.generator_loss(fake_out, self.g_loss)
        g_loss = self._watch_loss(loss, "g_loss")
        self.g_optimizer.zero_grad()
        # one backward pass gives G's gradients and dL_G/d logit; D's .grad is not touched
        params = tuple(self.G.parameters())
        grads = grad(loss, (fake_out, *params), allow_unused=True)
        for p, g in zip(params, grads[1:]):
            p.grad = g
        self._g_norms = self._grad_norms(self.G, "G")
        self.g_optimizer.step()
        self._watch_finite(self.G, self.g_optimizer, "G")
        # per-sample |d loss_i / d logit_i| (= m |dL_G / d logit_i| for the mean loss), so
        # that it reads the same at any batch size: D(G(z)) for minimax, 1 - D(G(z)) for NS
        g0 = grads[0].array
        with on_device_of(g0):
            logit_grad = get_array_module(g0).abs(g0).mean() * fake_out.array.size
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
        Raises TrainingDiverged on a NaN or inf in a loss, a gradient, a parameter, a buffer
        or the optimizer's state (the first to arise is named); no checkpoint is written
        then. A step that raises (or is interrupted) leaves the trainer
        part-way through an iteration: ``step`` and ``save_checkpoint`` then refuse until a
        checkpoint is loaded.
        """
        self._refuse_if_partial("step")
        self._it = self.iteration + 1
        self._partial = f"iteration {self._it}"  # until the iteration is whole
        self._checks = []
        for _ in range(self.k_d):
            d_loss, real_out, fake_out = self._discriminator_step()
        for _ in range(self.k_g):
            g_loss, logit_grad = self._generator_step()
        with no_grad():
            if self.d_loss == "bce":
                d_real, d_fake = mean(sigmoid(real_out)), mean(sigmoid(fake_out))
                value = losses.value_function(real_out, fake_out)
            else:
                d_real, d_fake = mean(real_out), mean(fake_out)
                value = -_D_LOSS_FNS[self.d_loss](real_out, fake_out)
        stats = {
            "iteration": self._it, "d_loss": d_loss, "g_loss": g_loss,
            "d_real": d_real.array, "d_fake": d_fake.array, "value": value.array,
            "g_logit_grad": logit_grad,
        }
        stats.update(self._g_norms)
        stats.update(self._d_norms)
        record = self._settle(stats)
        self.iteration = self._it
        self.history.append(record)
        self._partial = None  # the iteration is whole; the log follows it
        self._write_log()
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
    # An iteration's statistics and checks stay on the device (0-d arrays) and are read back
    # together at its end (_settle): one device synchronisation per iteration on a GPU
    # instead of one per number. The checks are then done in the order their values arose,
    # so the error names the first NaN or inf (a loss before the gradients it made, before
    # the parameters they updated); the updates of that iteration have been applied, and
    # the trainer is part-way through it until a checkpoint is loaded.
    def _watch_loss(self, loss: Tensor, what: str):
        self._checks.append((f"{what} is", loss.array))
        return loss.array

    def _grad_norms(self, module, player: str) -> dict:
        """{"grad_norm/<player>/<name>": ||grad||_2 as a 0-d array}, each checked by _settle."""
        norms = {}
        for name, p in module.named_parameters():
            if p.grad is None:
                continue
            g = p.grad.array
            xp = p._xp()
            with on_device_of(g):
                norm = xp.sqrt(xp.sum(xp.square(g.astype(xp.float64))))
            self._checks.append((f"grad of {player} '{name}' contains", norm))
            norms[f"grad_norm/{player}/{name}"] = norm
        return norms

    def _watch_finite(self, module, optimizer, player: str) -> None:
        """_check_finite's test of the parameters, buffers and optimizer state, left on the
        device for _settle: one reduction over all of them (a sum of float64 partial sums
        of |x| is finite exactly when every element is, as no float32 or float64 value
        sums past 1.8e308 here), so its cost does not grow with the number of arrays.
        The array to blame is looked up only when the check fails."""
        arrays = _finite_arrays(module, optimizer)
        if not arrays:
            return
        xp = get_array_module(arrays[0])
        with on_device_of(arrays[0]):
            flat = xp.concatenate([a.reshape(-1) for a in arrays]) if len(arrays) > 1 else arrays[0]
            total = xp.abs(flat).sum(dtype=xp.float64)
        self._checks.append((("arrays of", module, optimizer, player), total))

    def _settle(self, stats: dict) -> dict:
        """Read every queued check and statistic back in one transfer; raise TrainingDiverged
        for the first failed check; return ``stats`` with Python floats."""
        keys = [k for k, v in stats.items() if hasattr(v, "dtype")]
        values = [v for _, v in self._checks] + [stats[k] for k in keys]
        host = _to_host_float64(values)
        for (what, _), v in zip(self._checks, host):
            if isinstance(what, tuple):  # _watch_finite's sum over a player's arrays
                # an infinite sum of finite float64 values near 1e308 is no divergence:
                # the element-wise look decides
                bad = None if math.isfinite(v) else _first_non_finite(_finite_targets(*what[1:]))
                if bad is not None:
                    raise TrainingDiverged(
                        f"training diverged at iteration {self._it}: {bad} is not finite after "
                        "the optimizer step (learning rate or inputs too large?)")
            elif not math.isfinite(v):
                bad = v if what.endswith(" is") else "NaN" if math.isnan(v) else "inf"
                raise TrainingDiverged(f"training diverged at iteration {self._it}: {what} {bad}")
        out = dict(stats)
        for k, v in zip(keys, host[len(self._checks):]):
            out[k] = float(v)
        return out

    @staticmethod
    def _check_finite(module, optimizer, player: str, iteration: int) -> None:
        """Raise TrainingDiverged if a parameter or buffer of ``module``, or the optimizer's
        state for a parameter, holds a NaN or inf. A finite gradient times a too large
        learning rate breaks a parameter; too large gradients overflow Adam's exp_avg_sq
        while the parameters stay finite (and then stop moving)."""
        bad = _first_non_finite(_finite_targets(module, optimizer, player))
        if bad is not None:
            raise TrainingDiverged(
                f"training diverged at iteration {iteration}: {bad} is not finite after the "
                "optimizer step (learning rate or inputs too large?)"
            )

    # ---- the history log ----------------------------------------------------------------
    def _write_log(self) -> None:
        """Bring the log up to ``history``: normally, append its newest record (one line,
        flushed at the newline). A log of unknown content (a fresh trainer's, whatever an
        earlier run left there) is first rewritten to hold ``history`` so far; a write that
        fails leaves the log to be rewritten whole the next time."""
        if self.log_path is None:
            return
        try:
            if self._log is None:
                if self._logged is None:
                    os.makedirs(os.path.dirname(os.path.abspath(self.log_path)), exist_ok=True)
                    self.history.to_jsonl(self.log_path)
                    self._logged = len(self.history)
                self._log = open(self.log_path, "a", encoding="utf-8", buffering=1)
                weakref.finalize(self, self._log.close)  # closed when the trainer goes, if not before
            for record in self.history.records[self._logged:]:
                self._log.write(_jsonl_line(record))
                self._logged += 1
        except BaseException:
            self._close_log()
            self._logged = None  # perhaps a torn line at its end: rewrite it next time
            raise

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def close(self) -> None:
        """Close the history log (every record is already in it); the next step reopens it."""
        self._close_log()

    def _sync_log(self) -> None:
        """Make the log hold ``history`` on disk (fsynced), before a checkpoint refers to it."""
        self._write_log()
        self._log.flush()
        os.fsync(self._log.fileno())

    # ---- checkpoints -------------------------------------------------------------------
    def _refuse_if_partial(self, what: str) -> None:
        if self._partial is not None:
            raise RuntimeError(
                f"Trainer.{what}: the trainer stopped part-way through {self._partial} (it raised "
                "or was interrupted: some models, optimizers or random streams may have moved "
                "on and others not), so its state is not one that training passes through. "
                "Load a checkpoint (trainer.load_checkpoint(path)) to go on from a consistent state."
            )

    def state_dict(self) -> dict:
        """Everything needed to continue bit for bit: both modules, both optimizers, the
        trainer's rng state, minigan's global rng state, the iteration, and the history: a
        reference ``{"log": path, "length": n}`` to the first n records of the history log,
        or ``{"records": [...]}`` for a trainer without a log."""
        if self.log_path is not None:
            history = {"log": os.path.abspath(self.log_path), "length": len(self.history)}
        else:
            history = {"records": [dict(r) for r in self.history.records]}
        return {
            "G": self.G.state_dict(), "D": self.D.state_dict(),
            "opt_g": self.g_optimizer.state_dict(), "opt_d": self.d_optimizer.state_dict(),
            "iteration": self.iteration,
            "rng": self.rng.bit_generator.state,  # PCG64 state: 128-bit ints, kept exactly
            "mg_rng": get_rng_state(),  # for modules that draw from it (dropout)
            "history": history,
        }

    def load_state_dict(self, state: dict) -> None:
        """Restore a ``state_dict`` (modules, optimizers, rng states, iteration, history).

        A history log reference reads the log's first n records back and, when this
        trainer goes on writing to that log, truncates it to them. Raises ValueError for
        a dict that is not a Trainer state (a model's state dict, say)."""
        problem = _not_trainer_state(state)
        if problem:
            raise ValueError(f"Trainer.load_state_dict: {problem}")
        history, log, end = self._read_history(state.get("history", []), int(state["iteration"]))
        self._partial = "a load_state_dict"  # until everything below is in
        self.G.load_state_dict(state["G"])
        self.D.load_state_dict(state["D"])
        self.g_optimizer.load_state_dict(state["opt_g"])
        self.d_optimizer.load_state_dict(state["opt_d"])
        self.iteration = int(state["iteration"])
        self.rng.bit_generator.state = state["rng"]
        if "mg_rng" in state:
            set_rng_state(state["mg_rng"])
        self.history = History(history)
        self._close_log()
        if log is not None and self.log_path is None:
            self.log_path = log  # go on writing the log the checkpoint refers to
        self._logged = None
        if log is not None and os.path.abspath(self.log_path) == log:
            # drop what a run that went on past this checkpoint (and crashed) wrote after it
            if os.path.getsize(log) > end:
                os.truncate(log, end)
            self._logged = len(history)
        self._partial = None

    @staticmethod
    def _read_history(ref, iteration: int) -> tuple[list[dict], str | None, int]:
        """(records, the log's absolute path or None, the byte offset where the records end
        in the log) for a state's "history" entry."""
        if isinstance(ref, list):  # checkpoints of minigan 0.1 held the records inline
            return ref, None, 0
        if "records" in ref:
            return list(ref["records"]), None, 0
        log, n = os.path.abspath(ref["log"]), int(ref["length"])
        try:
            records, end = _read_jsonl(log, n)
        except (OSError, ValueError) as e:
            raise CheckpointError(f"could not read the history log '{log}': {e}") from e
        if len(records) < n:
            raise CheckpointError(
                f"the history log '{log}' holds {len(records)} records, but the checkpoint was "
                f"written after {n}: the log was cut short or replaced"
            )
        if n and records[-1].get("iteration", iteration) != iteration:
            raise CheckpointError(
                f"the history log '{log}' does not belong to this checkpoint: its record {n} is "
                f"of iteration {records[-1].get('iteration')}, the checkpoint of iteration {iteration}"
            )
        return records, log, end

    def save_checkpoint(self, path: str | os.PathLike) -> None:
        """Write ``state_dict()`` to ``path`` with mg.save (atomic: a crash leaves the old
        file whole), after the history log is on disk; the checkpoint refers to the log by
        its path relative to ``path``'s folder. Without a log yet, ``metrics.jsonl`` beside
        ``path`` becomes the log. Refuses, with TrainingDiverged, if a parameter, a buffer
        or the optimizers' state is not finite, and with RuntimeError part-way through an
        iteration (after a step raised)."""
        self._refuse_if_partial("save_checkpoint")
        for player, module, opt in (("G", self.G, self.g_optimizer), ("D", self.D, self.d_optimizer)):
            self._check_finite(module, opt, player, self.iteration)
        if self.log_path is None:
            self.log_path = _beside(path, LOG_NAME)
        self._sync_log()
        state = self.state_dict()
        folder = os.path.dirname(os.path.abspath(path))
        log = state["history"]["log"]
        try:
            state["history"]["log"] = os.path.relpath(log, folder)
        except ValueError:  # another drive (Windows): keep the absolute path
            pass
        save(state, path)

    def load_checkpoint(self, path: str | os.PathLike) -> Trainer:
        """Load a checkpoint written by ``save_checkpoint`` into this trainer; returns it.
        Its history log is found relative to ``path``'s folder. Raises CheckpointError
        naming ``path`` for a file that is not a Trainer checkpoint or whose log is missing."""
        path = os.fspath(path)
        state = load(path)
        problem = _not_trainer_state(state)
        if problem:
            raise CheckpointError(f"Trainer.load_checkpoint: '{path}' {problem}")
        ref = state["history"]
        if isinstance(ref, dict) and isinstance(ref.get("log"), str):
            ref["log"] = os.path.join(os.path.dirname(os.path.abspath(path)), ref["log"])
        try:
            self.load_state_dict(state)
        except (CheckpointError, ValueError, RuntimeError) as e:
            if type(e) not in (CheckpointError, ValueError, RuntimeError):
                raise
            # the same error, saying which file did not fit (another model or optimizer's)
            raise type(e)(f"Trainer.load_checkpoint: '{path}': {e}") from e
        return self

    @classmethod
    def resume(cls, path: str | os.PathLike, *args, **kwargs) -> Trainer:
        """``Trainer(*args, **kwargs)`` with the checkpoint at ``path`` loaded into it."""
        return cls(*args, **kwargs).load_checkpoint(path)


def _beside(path: str | os.PathLike, name: str) -> str:
    return os.path.join(os.path.dirname(os.fspath(path)), name)


def _not_trainer_state(state) -> str | None:
    """Why ``state`` is not a Trainer state dict (None if it is one)."""
    required = ("G", "D", "opt_g", "opt_d", "iteration", "rng")
    if not isinstance(state, dict):
        return f"is not a Trainer checkpoint: it holds a {type(state).__name__}, not a dict"
    missing = [k for k in required if k not in state]
    if not missing:
        return None
    keys = list(state)
    shown = ", ".join(repr(k) for k in keys[:6]) + (", ..." if len(keys) > 6 else "")
    hint = " (a model's state dict? load it with model.load_state_dict)" if all(
        isinstance(k, str) and "." in k for k in keys) and keys else ""
    return (f"is not a Trainer checkpoint (written by Trainer.save_checkpoint): it lacks "
            f"{', '.join(repr(k) for k in missing)}; its keys are {shown or 'none'}{hint}")


def _finite_targets(module, optimizer, player: str) -> list:
    """(name, array) for every floating parameter, buffer and optimizer state of a player."""
    named = []
    for name, p in module.named_parameters():
        named.append((f"parameter of {player} '{name}'", p.array))
        for key, v in (optimizer.state.get(p) or {}).items():
            if hasattr(v, "dtype") and v.dtype.kind in "fc":
                named.append((f"{type(optimizer).__name__} state '{key}' of {player} '{name}'", v))
    for name, b in module.named_buffers():
        if b.array.dtype.kind in "fc":
            named.append((f"buffer of {player} '{name}'", b.array))
    return named


def _finite_arrays(module, optimizer) -> list:
    """The floating arrays a player's update writes or keeps: the parameters the optimizer
    steps, their optimizer state, and the module's buffers."""
    arrays = []
    state = optimizer.state
    for group in optimizer.param_groups:
        for p in group["params"]:
            arrays.append(p.array)
            for v in (state.get(p) or {}).values():
                if hasattr(v, "dtype") and v.dtype.kind in "fc":
                    arrays.append(v)
    for b in module.buffers():
        if b.array.dtype.kind in "fc":
            arrays.append(b.array)
    return arrays


def _to_host_float64(values: list) -> list:
    """0-d arrays (NumPy or CuPy, on one device) as Python floats: one transfer for CuPy."""
    if not values:
        return []
    first = values[0]
    if all(isinstance(v, (np.ndarray, np.generic)) for v in values):
        return [float(v) for v in values]
    xp = get_array_module(first)
    with on_device_of(first):
        return xp.stack([xp.asarray(v, dtype=xp.float64).reshape(()) for v in values]).get().tolist()


def _first_non_finite(named: list) -> str | None:
    """The name of the first array in ``named`` ((name, array) pairs) holding a NaN or an
    inf, or None; one device synchronization for CuPy arrays, however many there are."""
    if not named:
        return None
    xp = get_array_module(named[0][1])
    if xp is np:
        for name, a in named:
            if not np.isfinite(a).all():
                return name
        return None
    with on_device_of(named[0][1]):  # CuPy runs on its current device
        flags = xp.stack([xp.isfinite(a).all() for _, a in named])
        if bool(flags.all()):
            return None
        return named[int(xp.argmin(flags))][0]

