"""Runs of the lab: train a recipe into a folder, measure it, write its files and figures.

    summary = runs.train_run(recipes.default_recipe("ring8", seed=3), "out/ring8")

A run folder holds ``recipe.json`` (the settings), ``checkpoint.npz`` (models, optimizers,
rng states, iteration), ``metrics.jsonl`` (one JSON record per iteration), ``summary.json``
(the final measurements), ``samples.npy`` (2,500 final samples) and the figures. A folder
holding an earlier run is refused unless it is resumed or overwritten; the folder must be
writable before training starts. SIGINT (Ctrl-C) and SIGTERM stop training after the
current iteration, write the checkpoint and the history, and say how to resume. The
``minigan`` command and the examples share this code; the command only parses arguments.
"""
from __future__ import annotations

import contextlib
import json
import os
import signal
import tempfile
import time
from collections.abc import Callable, Sequence

import numpy as np

from .._io import atomic_write, atomic_write_text
from ..gan.trainer import History
from . import datasets, metrics, theory
from .recipes import Recipe, blas_threads, make_trainer, sync_schedulers, train

__all__ = ["RUN_FILES", "RunError", "check_run_folder", "evaluate", "redraw", "train_run"]

# the files that make a folder a run folder (figures are redrawn, not guarded)
RUN_FILES = ("recipe.json", "checkpoint.npz", "metrics.jsonl", "summary.json", "samples.npy")
N_SAMPLES = 2500  # the papers' protocol (VEEGAN, PacGAN)


class RunError(ValueError):
    """A problem with a run folder that the user can fix (it holds a run, it is not writable,
    there is nothing to resume, the resumed recipe differs)."""


class Interrupted(Exception):
    """Raised between two iterations after SIGINT or SIGTERM; carries the signal's name."""


# ---- the run folder ------------------------------------------------------------------------
def check_run_folder(out: str, *, resume: bool = False, force: bool = False) -> None:
    """Refuse a folder holding an earlier run (unless ``resume`` or ``force``), refuse to
    resume where there is no checkpoint, create the folder, and check it is writable (a
    file is created and removed), all before any training. ``force`` deletes the earlier
    run's files. Raises RunError naming the folder and what to do."""
    if resume and force:
        raise RunError("--resume and --force contradict each other: resume continues the run in "
                       f"{out}, force deletes it")
    if os.path.exists(out) and not os.path.isdir(out):
        raise RunError(f"{out} exists and is not a folder")
    present = [f for f in RUN_FILES if os.path.exists(os.path.join(out, f))]
    if resume:
        if "checkpoint.npz" not in present:
            raise RunError(f"nothing to resume in {out}: it has no checkpoint.npz")
    elif present and not force:
        raise RunError(f"{out} holds an earlier run ({', '.join(present)}); pass --resume to continue "
                       "it or --force to overwrite it")
    try:
        os.makedirs(out, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out, prefix=".minigan-write-test-"):
            pass
    except OSError as exc:
        raise RunError(f"cannot write to {out}: {exc.strerror or exc}") from exc
    if force and not resume:
        for f in present:
            os.remove(os.path.join(out, f))


def _write_json(path: str, obj) -> None:
    atomic_write_text(path, json.dumps(obj, indent=2) + "\n")


def read_history(path: str) -> History:
    """A History from a metrics.jsonl (or a history.json of older runs)."""
    if path.endswith(".json"):
        return History.from_json(path)
    return History.from_jsonl(path)  # a last line cut short by a crash is not a record


def _save_snapshots(path: str, taken: list[tuple[int, np.ndarray]]) -> None:
    arrays = {f"it_{it}": x for it, x in taken}
    atomic_write(path, lambda f: np.savez(f, **arrays))


def _load_snapshots(path: str) -> list[tuple[int, np.ndarray]]:
    if not os.path.exists(path):
        return []
    with np.load(path) as z:
        return sorted((int(k[3:]), z[k]) for k in z.files)


# ---- signals -------------------------------------------------------------------------------
@contextlib.contextmanager
def stop_on_signals(signals: Sequence[int] = (signal.SIGINT, signal.SIGTERM)):
    """While inside, SIGINT and SIGTERM set a flag (the yielded list gets the signal's name)
    instead of killing the process; a second signal stops at once (KeyboardInterrupt)."""
    caught: list[str] = []

    def handler(signum, frame):
        if caught:
            raise KeyboardInterrupt
        caught.append(signal.Signals(signum).name)

    try:
        old = {s: signal.signal(s, handler) for s in signals}
    except ValueError:  # not the main thread: signals cannot be caught here
        old = {}
    try:
        yield caught
    finally:
        for s, h in old.items():
            signal.signal(s, h)


# ---- measuring -----------------------------------------------------------------------------
def evaluate(trainer, data, seed: int, samples: np.ndarray | None = None) -> dict:
    """The final measurements of a run on N_SAMPLES fresh samples (rng seeded by ``seed``):
    D(x), D(G(z)) and V(D, G) for the BCE game (or the critic's gap); for the Gaussian
    mixtures the papers' mode statistics, the grid-histogram KL/JS and a JSD estimate;
    for digits the Frechet distance on minigan's own classifier's features."""
    rng = np.random.default_rng(seed + 12345)
    real = data.sample(N_SAMPLES, rng)
    fake = trainer.sample(N_SAMPLES, rng) if samples is None else samples
    out: dict = {}
    if trainer.d_loss == "bce":
        d_real, d_fake = metrics.probabilities_on(trainer.D, real), metrics.probabilities_on(trainer.D, fake)
        out.update({"d_real": float(d_real.mean()), "d_fake": float(d_fake.mean()),
                    "value": theory.value_monte_carlo(d_real, d_fake), "minus_log4": -theory.LOG4})
    else:
        out["critic_gap"] = float(metrics.logits_on(trainer.D, real).mean() - metrics.logits_on(trainer.D, fake).mean())
    if isinstance(data, datasets.GaussianMixture):
        s = metrics.mode_statistics(fake, data.means, data.std)
        out.update({"modes": s.modes, "modes_any": s.modes_any, "n_modes": s.n_modes,
                    "high_quality": s.high_quality, "reverse_kl": s.reverse_kl,
                    "hq_per_mode": s.counts.tolist()})
        if data.dim <= 2:
            out["jsd_estimate"] = metrics.jsd_estimate(fake, data)
    if data.dim == 2:
        h = metrics.histogram_divergences(real, fake)
        out.update({"histogram_kl": h["kl"], "histogram_js": h["js"]})
    if isinstance(data, datasets.Digits):
        out["frechet_distance"] = metrics.frechet_digits_distance(fake, real)
    return out


# ---- a run ---------------------------------------------------------------------------------
def train_run(recipe: Recipe, out: str, *, resume: bool = False, force: bool = False,
              checkpoint_every: int = 1000, device=None, threads: int = 1, progress: bool = True,
              snapshots: int = 5,
              figures: bool = True, resume_command: str | None = None,
              log: Callable[[str], None] = print) -> dict:
    """Train ``recipe`` into the folder ``out`` and return the summary.

    resume: continue the run in ``out`` from its checkpoint up to ``recipe.iterations``
    (a total); the recipe must equal the saved one except for the iteration count.
    force: overwrite an earlier run. checkpoint_every: iterations between checkpoints
    (0: only at the end and on interruption). threads: BLAS threads while training.
    On SIGINT/SIGTERM the run stops after the
    current iteration, saves its checkpoint and history, logs ``resume_command`` and returns
    a summary with "interrupted" set to the signal's name.
    """
    if figures:
        try:
            import matplotlib  # noqa: F401
        except ImportError as exc:
            raise ImportError("the run's figures need matplotlib: pip install 'minigan[plot]', or draw no "
                              "figures (--no-figures)") from exc
    check_run_folder(out, resume=resume, force=force)
    recipe_path = os.path.join(out, "recipe.json")
    if resume and os.path.exists(recipe_path):
        with open(recipe_path, encoding="utf-8") as f:
            saved = Recipe.from_dict(json.load(f))
        if saved.replace(iterations=recipe.iterations) != recipe:
            diff = [k for k, v in recipe.to_dict().items() if k != "iterations" and saved.to_dict()[k] != v]
            raise RunError(f"the run in {out} was trained with other settings ({', '.join(diff)}); "
                           "resume it without changing them (only --iterations may change)")
    ckpt = os.path.join(out, "checkpoint.npz")
    snap_path = os.path.join(out, "snapshots.npz")
    trainer, schedulers = make_trainer(recipe, device=device, checkpoint_path=ckpt,
                                       checkpoint_every=checkpoint_every)
    data = trainer.data
    taken: list[tuple[int, np.ndarray]] = []
    if resume:
        trainer.load_checkpoint(ckpt)
        sync_schedulers(trainer, schedulers)
        taken = [(it, x) for it, x in _load_snapshots(snap_path) if it <= trainer.iteration]
        log(f"resuming {out} at iteration {trainer.iteration} of {recipe.iterations}")
    _write_json(recipe_path, recipe.to_dict())
    marks = set(np.linspace(0, recipe.iterations, snapshots + 1).astype(int).tolist()) if snapshots else set()
    if 0 in marks and trainer.iteration == 0:
        taken.append((0, trainer.sample(1000)))
    recorder = None  # 2-D data: D's surface, G's samples and their forces over training (viz.run)
    if figures:
        from ..viz.run import frames_path, start_recording

        recorder = start_recording(out, trainer, recipe.iterations, resume=resume)

    def save_all() -> None:
        trainer.save_checkpoint(ckpt)  # the trainer appends metrics.jsonl itself, line by line
        if taken:
            _save_snapshots(snap_path, taken)
        if recorder is not None:
            recorder.save(frames_path(out))

    start_it = trainer.iteration
    wall0, cpu0 = time.perf_counter(), time.process_time()
    with stop_on_signals() as caught, blas_threads(threads):

        def callback(tr, record):
            it = record["iteration"]
            if it in marks:
                taken.append((it, tr.sample(1000)))
            if recorder is not None:
                recorder(tr, record)
            if caught:
                raise Interrupted(caught[0])

        try:
            train(trainer, schedulers, recipe.iterations, callback=callback, progress=progress)
        except Interrupted as stop:
            save_all()
            log(f"\n{stop.args[0]}: stopped at iteration {trainer.iteration} of {recipe.iterations}; "
                f"checkpoint and history saved in {out}")
            if resume_command:
                log(f"resume with: {resume_command}")
            return {"interrupted": stop.args[0], "iteration": trainer.iteration, "out": out}
    seconds, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    save_all()
    fake = trainer.sample(N_SAMPLES, np.random.default_rng(recipe.seed + 12346))
    atomic_write(os.path.join(out, "samples.npy"), lambda f: np.save(f, fake.astype(np.float32)))
    summary = {"dataset": recipe.dataset, "seed": recipe.seed, "iterations": trainer.iteration,
               "trained_now": trainer.iteration - start_it, "seconds": round(seconds, 2),
               "cpu_seconds": round(cpu, 2), "loss": recipe.loss}
    summary.update(evaluate(trainer, data, recipe.seed, samples=fake))
    summary["recipe"] = recipe.to_dict()
    if figures:
        summary["figures"] = _draw(trainer, data, recipe, out, taken, fake)
    _write_json(os.path.join(out, "summary.json"), summary)
    print_summary(summary, log)
    return summary


def _draw(trainer, data, recipe: Recipe, out: str, taken, fake) -> list[str]:
    from .. import viz

    # the dashboard, the saturation figure, for 2-D data the samples, D's surfaces with the
    # force on G's samples, the modes over time and animation.gif, and the graph of a step
    files = viz.draw_run(out)
    if isinstance(data, datasets.Digits):
        real = data.sample(N_SAMPLES, np.random.default_rng(recipe.seed + 12345))
        files.append(viz.digits_grid(fake, os.path.join(out, "digits.png"), real=real, nearest_in=data.data))
    return files


def print_summary(s: dict, log: Callable[[str], None] = print) -> None:
    """The summary's numbers, one line each."""
    log(f"trained {s['iterations']} iterations ({s['dataset']}, seed {s['seed']}); the last "
        f"{s['trained_now']} took {s['seconds']:.1f} s wall, {s['cpu_seconds']:.1f} s CPU")
    if "modes" in s:
        log(f"modes: {s['modes']}/{s['n_modes']} with >= 20 high-quality samples (PacGAN), "
            f"{s['modes_any']}/{s['n_modes']} with >= 1 (VEEGAN); high quality (within 3 std): "
            f"{100 * s['high_quality']:.1f}%; reverse KL of the mode histogram {s['reverse_kl']:.4f}")
    if "histogram_js" in s:
        log(f"grid-histogram KL(real || G) = {s['histogram_kl']:.3f}, JS = {s['histogram_js']:.4f} nats")
    if "frechet_distance" in s:
        log(f"Frechet distance on minigan's digit classifier's features: {s['frechet_distance']:.3f}")
    if "d_real" in s:
        log(f"mean D(x) = {s['d_real']:.3f}, mean D(G(z)) = {s['d_fake']:.3f} (equilibrium: 0.5 and 0.5)")
        log(f"V(D, G) = {s['value']:.4f} vs -log 4 = {-theory.LOG4:.4f} (value at the global optimum)")
    if "critic_gap" in s:
        log(f"critic E f(x) - E f(G(z)) = {s['critic_gap']:.4f}")
    for f in s.get("figures", []):
        log(f"wrote {f}")


def redraw(path: str, out: str | None = None) -> list[str]:
    """Draw every figure of the run in folder ``path`` (or the folder of the metrics.jsonl or
    history.json ``path`` names) into ``out`` (default: the run's folder); see ``viz.draw_run``."""
    from .. import viz

    if not os.path.exists(path):
        raise FileNotFoundError(f"no such run folder or history file: {path}")
    folder = path if os.path.isdir(path) else os.path.dirname(os.path.abspath(path))
    return viz.draw_run(folder, out=out)
