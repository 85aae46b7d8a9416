"""Per-op cost, minigan vs PyTorch: overhead on tiny arrays, throughput on large ones.

For each main op, at two sizes (4 elements: the fixed cost of an op; 1e6 elements: the
arithmetic), time the forward (inputs require grad, so the graph is recorded as in
training) and forward + backward (``out.backward(g)``, then the inputs' grads cleared).
Also the tiny graph x -> (x * y).sum() -> backward, the fixed cost of one training
iteration's bookkeeping. minigan and PyTorch are interleaved in one process; medians.

    python benchmarks/ops.py            # writes results/ops.json
    python benchmarks/ops.py --quick --ops add,mul
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # common.py beside this file
from common import (
        RESULTS,
        add_repo_to_path,
        calibrate,
        fmt_time,
        interleaved,
        machine_info,
        numpy_blas_threads,
        set_numpy_threads,
        set_torch_threads,
        summarize,
        table,
        write_json,
    )

add_repo_to_path()

SIZES = {"tiny": 4, "large": 1_000_000}
OPS = ["add", "mul", "matmul", "exp", "sigmoid", "tanh", "leaky_relu", "sum", "mean",
       "bce_with_logits", "linear"]


def _inputs(op: str, n: int, rng) -> list:
    """NumPy float32 inputs of ``op`` with n elements each (matrices: sqrt(n) x sqrt(n))."""
    if op in ("matmul", "linear"):
        k = round(n**0.5)
        arrs = [rng.standard_normal((k, k)), rng.standard_normal((k, k))]
        if op == "linear":
            arrs.append(rng.standard_normal(k))
    elif op in ("add", "mul"):
        arrs = [rng.standard_normal(n), rng.standard_normal(n)]
    elif op == "bce_with_logits":
        arrs = [rng.standard_normal(n) * 3, (rng.random(n) < 0.5).astype(np.float64)]
    else:
        arrs = [rng.standard_normal(n)]
    return [a.astype(np.float32) for a in arrs]


def _fn(op: str, lib: str):
    """op(*tensors) in ``lib`` ("minigan" or "torch")."""
    if lib == "minigan":
        import minigan as L
        from minigan import functional as F
    else:
        import torch as L
        from torch.nn import functional as F
    return {
        "add": lambda a, b: a + b, "mul": lambda a, b: a * b, "matmul": lambda a, b: a @ b,
        "exp": L.exp, "sigmoid": L.sigmoid, "tanh": L.tanh,
        "leaky_relu": lambda a: F.leaky_relu(a, 0.2), "sum": lambda a: a.sum(),
        "mean": lambda a: a.mean(), "bce_with_logits": F.binary_cross_entropy_with_logits,
        "linear": F.linear,
    }[op]


def make_cases(op: str, n: int, seed: int = 0) -> dict:
    """{"minigan": (fwd, fwd_bwd), "torch": (fwd, fwd_bwd)} closures on the same data."""
    import torch

    import minigan as mg

    arrs = _inputs(op, n, np.random.default_rng(seed))
    no_grad_input = {"bce_with_logits": {1}}.get(op, set())  # targets need no gradient
    cases = {}
    for lib in ("minigan", "torch"):
        fn = _fn(op, lib)
        if lib == "minigan":
            ts = [mg.tensor(a, requires_grad=i not in no_grad_input) for i, a in enumerate(arrs)]
        else:
            ts = [torch.tensor(a, requires_grad=i not in no_grad_input) for i, a in enumerate(arrs)]
        out = fn(*ts)
        g = None
        if out.ndim:
            g = mg.ones(out.shape) if lib == "minigan" else torch.ones(out.shape)
        leaves = [t for t in ts if t.requires_grad]

        def fwd(fn=fn, ts=ts):
            fn(*ts)

        def fwd_bwd(fn=fn, ts=ts, g=g, leaves=leaves):
            out = fn(*ts)
            out.backward(g)
            for t in leaves:
                t.grad = None

        cases[lib] = (fwd, fwd_bwd)
    return cases


def tiny_graph_cases() -> dict:
    """x (4,) requiring grad -> (x * y).sum() -> backward -> clear x.grad."""
    import torch

    import minigan as mg

    a, b = np.arange(1, 5, dtype=np.float32), np.full(4, 0.5, np.float32)
    xm, ym = mg.tensor(a, requires_grad=True), mg.tensor(b)
    xt, yt = torch.tensor(a, requires_grad=True), torch.tensor(b)

    def m():
        (xm * ym).sum().backward()
        xm.grad = None

    def t():
        (xt * yt).sum().backward()
        xt.grad = None

    return {"minigan": m, "torch": t}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ops", default=",".join(OPS), help=f"comma list of {OPS}")
    ap.add_argument("--sizes", default=",".join(SIZES), help=f"comma list of {list(SIZES)}")
    ap.add_argument("--configs", default=None, help="alias of --sizes (as the other benchmarks)")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--block-seconds", type=float, default=0.04)
    ap.add_argument("--threads", type=int, default=None,
                    help="BLAS threads for NumPy and PyTorch alike (default: what NumPy's BLAS uses)")
    ap.add_argument("--quick", action="store_true", help="smoke run: few rounds, short blocks")
    ap.add_argument("--out", default=str(RESULTS / "ops.json"))
    args = ap.parse_args(argv)
    if args.quick:
        args.rounds, args.block_seconds = min(args.rounds, 3), 0.004
    ops = [o.strip() for o in args.ops.split(",") if o.strip()]
    sizes = [s.strip() for s in (args.configs or args.sizes).split(",") if s.strip()]
    for o in ops:
        if o not in OPS:
            ap.error(f"unknown op {o!r}; choose from {OPS}")
    for s in sizes:
        if s not in SIZES:
            ap.error(f"unknown size {s!r}; choose from {list(SIZES)}")

    threads = set_numpy_threads(args.threads) if args.threads else numpy_blas_threads()
    torch_threads = set_torch_threads(threads)
    info = machine_info(torch_threads)
    info["numpy_blas_threads"] = threads
    results = {"machine": info, "rounds": args.rounds, "quick": args.quick, "sizes": SIZES,
               "ops": {}, "tiny_graph": {}}

    # the tiny graph first: the headline number
    fns = tiny_graph_cases()
    block = {k: calibrate(f, args.block_seconds) for k, f in fns.items()}
    times = interleaved(fns, max(args.rounds, 5), block)
    tg = {k: summarize(v) for k, v in times.items()}
    results["tiny_graph"] = {
        "what": "x (4,) requires grad; (x * y).sum().backward(); x.grad = None",
        "minigan_us": tg["minigan"]["median_s"] * 1e6, "torch_us": tg["torch"]["median_s"] * 1e6,
        "ratio_vs_torch": tg["minigan"]["median_s"] / tg["torch"]["median_s"], "stats": tg,
    }
    print(f"tiny graph: minigan {tg['minigan']['median_s'] * 1e6:.1f} µs, "
          f"torch {tg['torch']['median_s'] * 1e6:.1f} µs", flush=True)

    rows = []
    for op in ops:
        results["ops"][op] = {}
        for size in sizes:
            cases = make_cases(op, SIZES[size])
            entry = {}
            for mode, idx in (("forward", 0), ("forward_backward", 1)):
                fns = {lib: cases[lib][idx] for lib in ("minigan", "torch")}
                for f in fns.values():
                    f()
                block = {k: calibrate(f, args.block_seconds, max_n=20_000) for k, f in fns.items()}
                times = interleaved(fns, args.rounds, block)
                st = {k: summarize(v) for k, v in times.items()}
                entry[mode] = {
                    "minigan_s": st["minigan"]["median_s"], "torch_s": st["torch"]["median_s"],
                    "ratio_vs_torch": st["minigan"]["median_s"] / st["torch"]["median_s"],
                    "stats": st,
                }
            results["ops"][op][size] = entry
            f, fb = entry["forward"], entry["forward_backward"]
            rows.append([op, size, fmt_time(f["minigan_s"]), fmt_time(f["torch_s"]),
                         f"{f['ratio_vs_torch']:.2f}", fmt_time(fb["minigan_s"]),
                         fmt_time(fb["torch_s"]), f"{fb['ratio_vs_torch']:.2f}"])
            print(f"{op:16s} {size:5s} fwd {fmt_time(f['minigan_s'])} / {fmt_time(f['torch_s'])}"
                  f"   fwd+bwd {fmt_time(fb['minigan_s'])} / {fmt_time(fb['torch_s'])}", flush=True)
    print()
    print(table(["op", "size", "fwd minigan", "fwd torch", "ratio", "fwd+bwd minigan",
                 "fwd+bwd torch", "ratio"], rows))
    out = write_json(results, args.out)
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
