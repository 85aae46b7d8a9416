"""Fused vs unfused binary cross-entropy with logits: forward + backward, time and memory.

Variants, each computing the mean loss and d loss / d logits:

* ``minigan F (fused op)``   -- ``minigan.functional.binary_cross_entropy_with_logits`` and
  ``loss.backward()`` (one op for the loss, one for its gradient; the CUDA kernels on GPU)
* ``minigan ops (unfused)``  -- the textbook composition in minigan ops, through autograd:
  ``s = sigmoid(x); -(y log s + (1 - y) log(1 - s)).mean()``
* ``raw fused``              -- the arrays alone: the CUDA kernels on GPU
  (``minigan.backend.kernels``), minigan's NumPy formulas on CPU
* ``raw unfused``            -- the arrays alone, one array op per step: exp, reciprocal,
  log, arithmetic, then ``(s - y) / n`` for the gradient

Time: median of ``--repeat`` runs after one warm-up (CUDA: synchronized before and after).
Peak memory: on CPU tracemalloc's peak during one separate run (NumPy reports its buffers to
tracemalloc); on CUDA the growth of CuPy's default memory pool over one run after
``free_all_blocks()``, i.e. the bytes the pool had to hold at once (inputs excluded).

    python benchmarks/bce_fused.py --device cpu --sizes 1e3,1e4,1e5,1e6,1e7 --repeat 5

Writes a Markdown table to stdout and JSON to benchmarks/results/bce_fused.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results" / "bce_fused.json"


def _parse_sizes(text: str) -> list[int]:
    return [int(float(s)) for s in text.split(",") if s.strip()]


def _variants(xp: Any, device: str, x_arr: Any, y_arr: Any) -> dict[str, Callable[[], Any]]:
    """name -> a zero-argument function computing (mean loss, gradient)."""
    import minigan as mg
    from minigan import functional as F

    n = x_arr.size
    x = mg.tensor(x_arr, device=device, requires_grad=True)
    y = mg.tensor(y_arr, device=device)

    def minigan_fused():
        x.grad = None
        loss = F.binary_cross_entropy_with_logits(x, y, reduction="mean")
        loss.backward()
        return loss, x.grad

    def minigan_unfused():
        x.grad = None
        s = mg.sigmoid(x)
        loss = -mg.mean(y * mg.log(s) + (1 - y) * mg.log(1 - s))
        loss.backward()
        return loss, x.grad

    if device == "cuda":
        from minigan.backend import kernels

        def raw_fused():
            loss = kernels.bce_with_logits_forward(x_arr, y_arr).mean()
            grad = kernels.bce_with_logits_backward(x_arr, y_arr, scale=1.0 / n)
            return loss, grad
    else:
        from minigan.ops.loss import bce_with_logits_array, bce_with_logits_grad_array

        def raw_fused():
            loss = bce_with_logits_array(x_arr, y_arr).mean()
            grad = bce_with_logits_grad_array(x_arr, y_arr) * x_arr.dtype.type(1.0 / n)
            return loss, grad

    def raw_unfused():
        s = 1 / (1 + xp.exp(-x_arr))
        loss = -(y_arr * xp.log(s) + (1 - y_arr) * xp.log(1 - s)).mean()
        grad = (s - y_arr) / n
        return loss, grad

    return {
        "minigan F (fused op)": minigan_fused,
        "minigan ops (unfused)": minigan_unfused,
        "raw fused": raw_fused,
        "raw unfused": raw_unfused,
    }


def _measure_cpu(fn: Callable[[], Any], repeat: int) -> tuple[list[float], int]:
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    tracemalloc.start()
    tracemalloc.reset_peak()
    base, _ = tracemalloc.get_traced_memory()
    result = fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del result
    return times, peak - base


def _measure_cuda(fn: Callable[[], Any], repeat: int) -> tuple[list[float], int]:
    import cupy

    sync = cupy.cuda.Device().synchronize
    fn()  # warm-up (compiles the kernels on first use)
    sync()
    times = []
    for _ in range(repeat):
        sync()
        t0 = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - t0)
    pool = cupy.get_default_memory_pool()
    pool.free_all_blocks()
    base = pool.total_bytes()
    result = fn()
    sync()
    peak = pool.total_bytes() - base
    del result
    return times, peak


def run(device: str, sizes: list[int], repeat: int, dtype: str, seed: int = 0) -> dict:
    if device == "cuda":
        from minigan.backend import cuda

        xp = cuda.require()
        measure = _measure_cuda
    else:
        xp = np
        measure = _measure_cpu
    rng = np.random.default_rng(seed)
    rows = []
    for n in sizes:
        x_np = (rng.standard_normal(n) * 3).astype(dtype)
        y_np = (rng.random(n) < 0.5).astype(dtype)
        x_arr, y_arr = (xp.asarray(x_np), xp.asarray(y_np))
        for name, fn in _variants(xp, device, x_arr, y_arr).items():
            times, peak = measure(fn, repeat)
            rows.append({
                "variant": name, "n": n, "median_s": statistics.median(times),
                "min_s": min(times), "peak_bytes": int(peak),
            })
            print(f"  n={n:>9,} {name:<24} {statistics.median(times) * 1e3:9.3f} ms "
                  f"{peak / 2**20:9.2f} MiB", file=sys.stderr)
    meta = {
        "device": device, "dtype": dtype, "repeat": repeat, "python": platform.python_version(),
        "numpy": np.__version__, "machine": platform.machine(), "processor": platform.processor(),
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "memory": "tracemalloc peak" if device == "cpu" else "CuPy memory pool growth",
    }
    if device == "cuda":
        import cupy

        props = cupy.cuda.runtime.getDeviceProperties(cupy.cuda.Device().id)
        meta["cupy"] = cupy.__version__
        meta["gpu"] = props["name"].decode() if isinstance(props["name"], bytes) else props["name"]
    return {"meta": meta, "rows": rows}


def markdown(result: dict) -> str:
    meta = result["meta"]
    title = (f"BCE with logits, forward + backward, {meta['dtype']} on {meta['device']} "
             f"(median of {meta['repeat']}; memory: {meta['memory']})")
    lines = [
        title,
        "",
        "| n | variant | median time (ms) | peak memory (MiB) |",
        "|---:|---|---:|---:|",
    ]
    for r in result["rows"]:
        lines.append(f"| {r['n']:,} | {r['variant']} | {r['median_s'] * 1e3:.3f} | "
                     f"{r['peak_bytes'] / 2**20:.2f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--sizes", type=_parse_sizes, default=_parse_sizes("1e3,1e4,1e5,1e6,1e7"),
                        help="comma-separated element counts (default 1e3,1e4,1e5,1e6,1e7)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per point (median)")
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"JSON output ({RESULTS})")
    args = parser.parse_args(argv)
    result = run(args.device, args.sizes, args.repeat, args.dtype)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(markdown(result))


if __name__ == "__main__":
    main()
