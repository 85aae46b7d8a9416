"""Turn the benchmark JSON into Markdown tables and the step-ratio plot.

    python benchmarks/report.py     # reads results/{step,ops,memory}.json if present,
                                    # writes results/{step,ops,memory}.md and results/step.png
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

try:
    from common import RESULTS, fmt_time, table
except ImportError:  # imported as benchmarks.report
    from benchmarks.common import RESULTS, fmt_time, table


def machine_line(m: dict) -> str:
    b = m.get("blas", {})
    return (f"{m.get('cpu')}, {m.get('cores')} cores; Python {m.get('python')}, NumPy {m.get('numpy')} "
            f"({b.get('name')} {b.get('version')}, {m.get('numpy_blas_threads', b.get('threads'))} "
            f"BLAS thread(s), OPENBLAS_CORETYPE={b.get('openblas_coretype')}), PyTorch {m.get('torch')} "
            f"({m.get('torch_threads')} thread(s)); {m.get('date')}")


def step_md(res: dict) -> str:
    names = list(next(iter(res["configs"].values()))["impls"])
    rows = []
    for c, e in res["configs"].items():
        cfg = e["config"]
        sh = e.get("time_shares_of_minigan_step", {})
        rows.append([
            c, f"{cfg['z']}/{cfg['h']}/{cfg['out']}/{cfg['batch']}",
            *(fmt_time(e["impls"][n]["median_s"]) for n in names),
            f"**{e['ratio_vs_torch']:.2f}**" if "ratio_vs_torch" in e else "-",
            f"**{e['ratio_vs_numpy']:.2f}**" if "ratio_vs_numpy" in e else "-",
            f"{sh.get('blas', 0):.0%} / {sh.get('elementwise_memory', 0):.0%} / {sh.get('python_overhead', 0):.0%}"
            if sh else "-",
            e.get("bound", "-"),
            f"{e['ops_per_step']:.0f}" if "ops_per_step" in e else "-",
        ])
    head = ["config", "z/h/out/batch", *(f"{n} (median)" for n in names), "minigan/PyTorch",
            "minigan/hand-NumPy", "BLAS / elementwise / overhead", "bound", "ops/step"]
    checks = []
    for c, e in res["configs"].items():
        for n, chk in e.get("check", {}).items():
            checks.append(f"{c}: {n} {chk['max_abs_diff']:.1e}")
    out = [f"# Training step: minigan vs PyTorch vs hand-NumPy ({res['device']})", "",
           machine_line(res["machine"]), "",
           f"{res['step']}. Interleaved, {res['rounds']} rounds, median seconds per step.", "",
           table(head, rows), "",
           "Shares split minigan's step into the hand-NumPy step's matmuls (BLAS), the rest of "
           "the hand-NumPy step (elementwise work, memory traffic) and what minigan adds on top "
           "(Python / per-op overhead).", "",
           "Same computation check (max |param - PyTorch param| after 3 steps, float32): "
           + "; ".join(checks) + "."]
    return "\n".join(out) + "\n"


def ops_md(res: dict) -> str:
    tg = res["tiny_graph"]
    rows = []
    for op, sizes in res["ops"].items():
        for size, e in sizes.items():
            f, fb = e["forward"], e["forward_backward"]
            rows.append([op, size, fmt_time(f["minigan_s"]), fmt_time(f["torch_s"]),
                         f"{f['ratio_vs_torch']:.2f}", fmt_time(fb["minigan_s"]),
                         fmt_time(fb["torch_s"]), f"{fb['ratio_vs_torch']:.2f}"])
    sizes = ", ".join(f"{k} = {v:,} elements" for k, v in res["sizes"].items())
    out = [
        "# Per-op cost: minigan vs PyTorch", "", machine_line(res["machine"]), "",
        f"Tiny graph ({tg['what']}): **minigan {tg['minigan_us']:.1f} µs**, PyTorch "
        f"{tg['torch_us']:.1f} µs (ratio {tg['ratio_vs_torch']:.2f}).", "",
        f"Sizes: {sizes} (matmul/linear: square matrices of that many elements). Forward with "
        "inputs that require grad; forward+backward includes clearing the grads. Medians of "
        f"{res['rounds']} interleaved rounds.", "",
        table(["op", "size", "fwd minigan", "fwd PyTorch", "ratio", "fwd+bwd minigan",
               "fwd+bwd PyTorch", "ratio"], rows),
    ]
    return "\n".join(out) + "\n"


def memory_md(res: dict) -> str:
    def mib(b):
        return "-" if b is None else f"{b / 2**20:.2f}"

    rows = []
    for c, r in res["configs"].items():
        mg, th, npy = r["minigan"], r["torch"], r["numpy"]
        ratio = r.get("rss_peak_ratio_vs_torch")
        rows.append([c, mib(mg["traced_peak_delta"]), mib(npy["traced_peak_delta"]),
                     mib(mg["rss_peak_delta"]), mib(th["rss_peak_delta"]), mib(npy["rss_peak_delta"]),
                     "-" if ratio is None else f"{ratio:.2f}",
                     f"{mg['live_tensors_before']} → {mg['live_tensors_after']}",
                     f"{th['live_tensors_before']} → {th['live_tensors_after']}",
                     "yes" if mg["loss_freed_after_step"] else "NO",
                     str(mg["gc_unreachable_after_step"]), mib(mg["traced_after_delta"])])
    out = ["# Peak memory of a training step", "", machine_line(res["machine"]), "", res["methods"], "",
           table(["config", "traced peak minigan (MiB)", "traced peak hand-NumPy (MiB)",
                  "RSS peak minigan (MiB)", "RSS peak PyTorch (MiB)", "RSS peak hand-NumPy (MiB)",
                  "RSS minigan/PyTorch", "live Tensors minigan", "live tensors PyTorch",
                  "loss freed", "gc cycles found", "traced growth after step (MiB)"], rows)]
    return "\n".join(out) + "\n"


def step_plot(res: dict, path: Path) -> Path | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed: no plot", file=sys.stderr)
        return None
    cfgs = list(res["configs"])
    series = [("minigan / PyTorch", "ratio_vs_torch"), ("minigan / hand-NumPy", "ratio_vs_numpy")]
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    w = 0.38
    for k, (label, key) in enumerate(series):
        vals = [res["configs"][c].get(key, float("nan")) for c in cfgs]
        xs = [i + (k - 0.5) * w for i in range(len(cfgs))]
        bars = ax.bar(xs, vals, w, label=label)
        ax.bar_label(bars, fmt="%.2f", fontsize=8)
    ax.axhline(1.0, color="k", lw=1, ls="--")
    ax.set_xticks(range(len(cfgs)), [f"{c}\n(h {res['configs'][c]['config']['h']}, "
                                     f"b {res['configs'][c]['config']['batch']})" for c in cfgs])
    ax.set_ylabel("step time ratio (lower is faster)")
    ax.set_title(f"GAN training step, {res['device']}: below 1.0, minigan is faster", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--results", default=str(RESULTS), help="folder of the JSON files")
    ap.add_argument("--out", default=None, help="folder for .md/.png (default: --results)")
    args = ap.parse_args(argv)
    src = Path(args.results)
    dst = Path(args.out) if args.out else src
    dst.mkdir(parents=True, exist_ok=True)
    made = []
    for name, fn in (("step", step_md), ("ops", ops_md), ("memory", memory_md)):
        p = src / f"{name}.json"
        if not p.exists():
            continue
        res = json.loads(p.read_text())
        text = fn(res)
        (dst / f"{name}.md").write_text(text)
        made.append(dst / f"{name}.md")
        print(text)
        if name == "step":
            png = step_plot(res, dst / "step.png")
            if png:
                made.append(png)
    print("wrote " + ", ".join(str(m) for m in made) if made else "no results found in " + str(src))
    return 0


if __name__ == "__main__":
    sys.exit(main())
