"""All the figures of one training run, from the files in its folder.

``minigan train`` records, for 2-D data, a :class:`~minigan.viz.game2d.Recorder` into
``DIR/frames.npz`` while it trains; ``minigan figures DIR`` (and the end of ``minigan
train``) draws from ``DIR``: the dashboard, the saturation figure, and for 2-D data the
samples over training, D's surface with the force on G's samples beside D*, which modes
hold the samples, ``animation.gif``, and the computational graph of one GAN step.

    rec = start_recording(out, trainer, iterations)       # None unless the data are 2-D
    trainer.train(iterations, callback=rec)
    rec.save(frames_path(out))
    draw_run(out)
"""
from __future__ import annotations

import json
import os

import numpy as np

from ..lab import theory
from ..lab.datasets import GaussianMixture
from . import figures, game2d, graph, studies

__all__ = ["FRAMES", "draw_run", "frames_path", "start_recording"]

FRAMES = "frames.npz"


def frames_path(out: str) -> str:
    """Where a run in ``out`` keeps its recorded frames."""
    return os.path.join(out, FRAMES)


def start_recording(out: str, trainer, iterations: int, frames: int = 30,
                    resume: bool = False) -> game2d.Recorder | None:
    """A Recorder for a run of ``iterations`` (a total) in ``out``, for 2-D data (else None).

    A new run keeps its first frame now (iteration 0); a resumed one goes on from the
    frames in ``out``. Pass it as (or call it from) the Trainer's callback and ``save`` it
    with the checkpoint."""
    if getattr(trainer.data, "dim", None) != 2:
        return None
    frames = min(frames, max(3, iterations // 10))  # a short run gets a short film
    path = frames_path(out)
    if resume and os.path.exists(path):
        rec = game2d.Recorder.load(path)
        while rec.iterations and rec.iterations[-1] > trainer.iteration:  # frames past the checkpoint
            for seq in (rec.iterations, rec.samples, rec.surfaces, rec.forces):
                seq.pop()
        rec.plan(iterations, frames)
        return rec
    rec = game2d.Recorder(trainer.data, iterations, frames=frames, grid=150, seed=trainer.seed)
    rec.capture(trainer)
    return rec


def _losses(run: str) -> tuple[str, str]:
    """(g_loss, d_loss) of the run in ``run``, from its summary.json or recipe.json."""
    from ..lab.recipes import LOSSES

    for name in ("summary.json", "recipe.json"):
        path = os.path.join(run, name)
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                s = json.load(f)
            loss = s.get("loss") or s.get("recipe", {}).get("loss")
            if loss in LOSSES:
                return LOSSES[loss]
    return "non-saturating", "bce"


def _history(run: str):
    from ..lab.runs import read_history

    for name in ("metrics.jsonl", "history.json"):
        path = os.path.join(run, name)
        if os.path.exists(path):
            return read_history(path)
    return None


def draw_run(run: str, out: str | None = None, *, graph_figure: bool = True, animation: bool = True,
             log=None) -> list[str]:
    """Draw every figure the files in the run folder ``run`` allow, into ``out`` (default:
    ``run``); returns the paths written.

    Needs metrics.jsonl (or history.json) for the dashboard and the saturation figure, and
    frames.npz for the 2-D figures and the animation. Raises FileNotFoundError when ``run``
    holds neither."""
    if not os.path.isdir(run):
        raise FileNotFoundError(f"no such run folder: {run}")
    history = _history(run)
    has_frames = os.path.exists(frames_path(run))
    if history is None and not has_frames:
        raise FileNotFoundError(f"{run} holds no metrics.jsonl, history.json or {FRAMES}: is it a run folder?")
    g_loss, d_loss = _losses(run)
    name = os.path.basename(os.path.abspath(run))
    out = out or run
    os.makedirs(out, exist_ok=True)
    files = []
    if history is not None and len(history):
        files.append(figures.dashboard(history, os.path.join(out, "dashboard.png"),
                                       title=f"{name}: {g_loss} G loss, {len(history)} iterations",
                                       d_loss=d_loss, g_loss=g_loss))
        if d_loss == "bce" and g_loss in ("minimax", "non-saturating"):
            d = np.logspace(-4, np.log10(0.99), 15)
            measured = {k: theory.generator_logit_gradient(d, k) for k in ("minimax", "non-saturating")}
            files.append(figures.vanishing_gradients_figure(
                d, measured, os.path.join(out, "saturation.png"),
                training={f"this run ({g_loss})": (history["d_fake"], history["g_logit_grad"])}))
    if has_frames:
        rec = game2d.Recorder.load(frames_path(run))
        data = GaussianMixture(rec.means, rec.std) if rec.means is not None else None
        files.append(game2d.samples_figure(rec, os.path.join(out, "samples.png"),
                                           title=f"{name}: G's samples over training, real data on top"))
        files.append(game2d.surfaces_figure(rec, os.path.join(out, "surfaces.png"), data=data))
        if rec.means is not None:
            files.append(studies.mode_coverage_figure(rec.iterations, rec.samples, rec.means, rec.std,
                                                      os.path.join(out, "modes.png")))
        if animation:
            files.append(game2d.animation(rec, os.path.join(out, "animation.gif"), history=history,
                                          title=f"{name}: the game in motion"))
    if graph_figure:
        files.append(graph.gan_step_graph(os.path.join(out, "graph.png"),
                                          g_loss=g_loss if d_loss == "bce" else "non-saturating"))
    if log is not None:
        for f in files:
            log(f"wrote {f}")
    return files
