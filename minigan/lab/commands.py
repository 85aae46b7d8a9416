"""The work behind ``minigan theory``, ``minigan dirac``, ``minigan info`` and ``minigan figures``.

Each command prints numbers that could come out wrong, next to what the theory says.
"""
from __future__ import annotations

import os
import platform
import sys
from collections.abc import Callable

from . import dirac, experiments

__all__ = ["dirac_report", "info", "run", "theory_report"]


def theory_report(iterations: int = 1500, seed: int = 0, log: Callable[[str], None] = print) -> dict:
    """Prop. 1 (D -> D*) with a fixed G, and Thm. 1 (D -> 1/2, V -> -log 4) with a trained one."""
    opt = experiments.optimal_discriminator(iterations, seed)
    log(f"Prop. 1: D trained {iterations} steps on p_data = N(0, 1) against a fixed p_g = N(1.5, 0.8^2)")
    log(f"  max |D - D*| on the support: {opt['max_gap']:.4f} (weighted mean {opt['mean_gap']:.4f}); "
        "D* = p_data / (p_data + p_g)")
    log(f"  V(D, G) = {opt['value']:.5f}, C(G) = max_D V = -log 4 + 2 JSD = {opt['criterion']:.5f}: "
        f"D reaches {opt['value'] - opt['criterion']:+.5f} of it")
    conv = experiments.converged_1d(2 * iterations, seed)
    log(f"Thm. 1: a 1-D GAN (affine G, MLP D) trained {conv['iterations']} iterations on p_data = N(2, 0.5^2)")
    log(f"  learned p_g = N({conv['mu_g']:.4f}, {conv['sigma_g']:.4f}^2); exact JSD {conv['jsd']:.2e} nats")
    log(f"  max |D(x) - 1/2| within 2 std of the data: {conv['d_max_dev']:.4f} (optimum: 0)")
    log(f"  V(D, G) = {conv['value']:.5f} (Monte Carlo) vs -log 4 = {conv['minus_log4']:.5f}; "
        f"C(G) = {conv['criterion']:.5f}")
    return {"optimal_discriminator": {k: v for k, v in opt.items() if isinstance(v, float)},
            "converged_1d": {k: v for k, v in conv.items() if k != "curve"}}


def dirac_report(steps: int = 200, lr: float = 0.1, gamma: float = 0.3,
                 log: Callable[[str], None] = print) -> dict:
    """The Dirac-GAN measured (autograd) against Mescheder et al.'s linear theory."""
    out = {}
    want = {"simultaneous": ("factor", dirac.simultaneous_factor(lr)),
            "alternating": ("period", dirac.alternating_period(lr)),
            "r1": ("factor", dirac.r1_factor(lr, gamma))}
    log(f"Dirac-GAN (Mescheder et al. 2018), step h = {lr}, {steps} steps from theta = psi = 0.1")
    for method in dirac.METHODS:
        m = dirac.measure(dirac.simulate(method, steps, lr, gamma))
        key, theory = want[method]
        m["theory_" + key] = theory
        out[method] = m
        what = {"simultaneous": "distance to (0, 0) grows per step", "alternating": "steps per turn",
                "r1": f"distance shrinks per step (gamma = {gamma})"}[method]
        log(f"  {method:12s} {what}: measured {m[key]:.6f}, theory {theory:.6f}; "
            f"radius {m['radius_start']:.4f} -> {m['radius_end']:.4f}")
    return out


def info(log: Callable[[str], None] = print) -> dict:
    """Versions, devices, BLAS libraries and thread counts."""
    import numpy as np

    import minigan as mg

    from .. import cuda

    rows: dict = {"minigan": mg.__version__, "python": platform.python_version(), "numpy": np.__version__,
                  "platform": platform.platform()}
    for name in ("cupy", "matplotlib", "tqdm", "sklearn", "threadpoolctl"):
        try:
            mod = __import__(name)
            rows[name] = getattr(mod, "__version__", "?")
        except Exception as exc:  # an optional package, absent or broken
            rows[name] = f"not available ({type(exc).__name__})"
    rows["cuda"] = "available" if cuda.is_available() else f"not available: {cuda.unavailable_reason()}"
    rows["default device"] = os.environ.get("MINIGAN_DEVICE", "cpu") or "cpu"
    rows["cpu cores"] = os.cpu_count()
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        rows[var] = os.environ.get(var, "unset")
    from threadpoolctl import threadpool_info  # a dependency of minigan

    for i, pool in enumerate(threadpool_info()):
        rows[f"blas {i}"] = (f"{pool.get('internal_api')} {pool.get('version')}, "
                             f"{pool.get('num_threads')} threads ({pool.get('user_api')})")
    width = max(len(k) for k in rows)
    for k, v in rows.items():
        log(f"{k:{width}s}  {v}")
    return rows


def run(command: str, args: dict) -> int:
    """Run a lab command with the parsed arguments; returns the exit status."""
    if command == "theory":
        theory_report(args["iterations"], args["seed"])
    elif command == "dirac":
        dirac_report(args["steps"], args["lr"], args["gamma"])
    elif command == "info":
        info()
    elif command == "figures":
        from .runs import redraw

        for f in redraw(args["history"], args["out"]):
            print(f"wrote {f}")
    else:  # pragma: no cover - the parser knows the commands
        print(f"unknown command {command}", file=sys.stderr)
        return 2
    return 0
