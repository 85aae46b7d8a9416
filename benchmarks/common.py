"""Shared helpers of the benchmarks: machine description, interleaved timing, tables, JSON.

Every benchmark times its contenders in one process, interleaved (A B C A B C ...), each
round timing a block of calls, and reports medians: on a shared, noisy machine this keeps
slow phases (another job, thermal throttling) from favouring one contender.
"""
from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"


def blas_info() -> dict:
    """The BLAS NumPy uses and its thread count (threadpoolctl when installed)."""
    info: dict = {"openblas_coretype": os.environ.get("OPENBLAS_CORETYPE")}
    try:
        import threadpoolctl

        for lib in threadpoolctl.threadpool_info():
            if lib.get("user_api") == "blas" and "numpy" in lib.get("filepath", ""):
                info.update(
                    name=lib.get("internal_api"), version=lib.get("version"),
                    threads=lib.get("num_threads"), architecture=lib.get("architecture"),
                    threading_layer=lib.get("threading_layer"),
                )
                break
    except ImportError:
        pass
    if "name" not in info:
        try:
            cfg = np.show_config(mode="dicts")
            blas = cfg["Build Dependencies"]["blas"]
            info.update(name=blas.get("name"), version=blas.get("version"))
        except Exception:
            pass
    if info.get("threads") is None:
        info["threads"] = os.cpu_count()
    return info


def numpy_blas_threads() -> int:
    return int(blas_info().get("threads") or 1)


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info(torch_threads: int | None = None) -> dict:
    """What the numbers were measured on: CPU, cores, BLAS, library versions."""
    info = {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "blas": blas_info(),
        "platform": platform.platform(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    try:
        import torch

        info["torch"] = torch.__version__
        info["torch_threads"] = torch_threads if torch_threads is not None else torch.get_num_threads()
    except ImportError:
        info["torch"] = None
    return info


def set_numpy_threads(n: int) -> int:
    """Limit NumPy's BLAS to ``n`` threads for the rest of the process (threadpoolctl)."""
    import threadpoolctl

    global _limiter
    _limiter = threadpoolctl.threadpool_limits(limits=n, user_api="blas")
    return numpy_blas_threads()


_limiter = None


def set_torch_threads(n: int) -> int:
    """Give PyTorch the thread count NumPy's BLAS uses; returns what torch reports after."""
    import torch

    torch.set_num_threads(n)
    return torch.get_num_threads()


def time_block(fn, n: int) -> float:
    """Seconds per call of ``fn`` over a block of ``n`` calls."""
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t0) / n


def calibrate(fn, target_s: float, max_n: int = 100_000) -> int:
    """How many calls of ``fn`` fill about ``target_s`` seconds (at least 1)."""
    n = 1
    while True:
        dt = time_block(fn, n) * n
        if dt >= target_s / 4 or n >= max_n:
            return max(1, min(max_n, int(n * target_s / max(dt, 1e-9))))
        n *= 4


def interleaved(fns: dict, rounds: int, block: int | dict) -> dict:
    """Time each of ``fns`` (name -> callable) in interleaved rounds; per name, the list of
    seconds per call (one entry per round). ``block`` is calls per round (or a dict)."""
    times: dict = {k: [] for k in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            n = block[name] if isinstance(block, dict) else block
            times[name].append(time_block(fn, n))
    return times


def summarize(samples: list) -> dict:
    """Median, min and spread (interquartile range / median) of a list of seconds."""
    med = statistics.median(samples)
    q = statistics.quantiles(samples, n=4) if len(samples) >= 2 else [med, med, med]
    return {"median_s": med, "min_s": min(samples), "iqr_rel": (q[2] - q[0]) / med if med else 0.0,
            "rounds": len(samples)}


def fmt_time(s: float) -> str:
    """Seconds in the unit that reads best."""
    if s < 1e-3:
        return f"{s * 1e6:.1f} µs"
    if s < 1:
        return f"{s * 1e3:.2f} ms"
    return f"{s:.2f} s"


def table(headers: list, rows: list) -> str:
    """A Markdown table (also readable as plain text)."""
    cols = [[str(h)] + [str(r[i]) for r in rows] for i, h in enumerate(headers)]
    width = [max(len(c) for c in col) for col in cols]
    line = lambda cells: "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, width)) + " |"
    out = [line(headers), "|" + "|".join("-" * (w + 2) for w in width) + "|"]
    out += [line(r) for r in rows]
    return "\n".join(out)


def write_json(obj: dict, path: str | Path) -> Path:
    """Write ``obj`` as indented JSON (via a temporary file, so a crash leaves no half file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(obj, indent=2, default=_json_default) + "\n")
    os.replace(tmp, path)
    return path


def _json_default(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)


def add_repo_to_path() -> None:
    """Let `python benchmarks/x.py` import minigan and the other benchmark modules."""
    here = Path(__file__).resolve().parent
    for p in (str(here.parent), str(here)):
        if p not in sys.path:
            sys.path.insert(0, p)
