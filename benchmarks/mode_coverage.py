"""Mode coverage of `minigan train ring8` and `minigan train grid25` with their default
recipes, measured as VEEGAN and PacGAN measure it, beside the papers' published rows.

Protocol (Srivastava et al. 2017; Lin et al. 2018): 2,500 samples; a sample is high quality
(HQ) within 3 std of its nearest mode; a mode is captured with >= 20 HQ samples (PacGAN;
VEEGAN's >= 1 is reported too); the reverse KL of the HQ samples' histogram over the modes.
Ring: 8 modes on radius 2, std 0.02 (the papers' radius 1, std 0.01 in std units); grid:
5x5 at {-4, -2, 0, 2, 4}, std 0.05. Each run is exactly what `python -m minigan train
DATASET --seed S` runs (minigan.lab.runs.train_run with the default recipe), one BLAS thread.

The seeds default to 100-109, which the recipe search (benchmarks/recipe_search.py, seed
0) never saw. Writes benchmarks/results/mode_coverage.json (every run) and .md (the table).

    nice -n 10 python benchmarks/mode_coverage.py            # 2 x 10 runs, ~1 CPU-minute each
    python benchmarks/mode_coverage.py --table               # redraw the table from the JSON
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from minigan.lab import recipes, runs

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "results")
DATASETS = ("ring8", "grid25")
GOALS = {"ring8": (8, 0.95), "grid25": (25, 0.90)}

# (name, ring modes, ring HQ %, grid modes, grid HQ %) as the papers print them
PAPERS = [
    ("VEEGAN (Srivastava et al. 2017)", 8, 52.9, 24.6, 40.0),
    ("GAN, PacGAN's table (Lin et al. 2018)", 6.3, 98.2, 17.3, 94.8),
    ("PacGAN4 (Lin et al. 2018)", 7.8, 95.9, 24.8, 93.6),
    ("GDPP (Elfeki et al. 2019)", 8.0, 71.7, 24.8, 68.5),
]


def run_all(seeds: list[int], datasets: tuple[str, ...], save=None, rows=None) -> list[dict]:
    """Run every (seed, dataset) not yet in ``rows``, seed by seed (so that a stopped run
    leaves both data sets with as many seeds); ``save(rows)`` after each."""
    rows = list(rows or [])
    done = {(r["dataset"], r["seed"]) for r in rows}
    for seed in seeds:
        for ds in datasets:
            if (ds, seed) in done:
                continue
            recipe = recipes.default_recipe(ds, seed=seed)
            with tempfile.TemporaryDirectory() as tmp:
                s = runs.train_run(recipe, os.path.join(tmp, "run"), checkpoint_every=0, progress=False,
                                   figures=False, log=lambda *_: None)
            row = {k: s[k] for k in ("dataset", "seed", "iterations", "seconds", "cpu_seconds", "modes",
                                     "modes_any", "n_modes", "high_quality", "reverse_kl", "histogram_kl",
                                     "histogram_js")}
            row["min_hq_per_mode"] = int(min(s["hq_per_mode"]))
            goal_modes, goal_hq = GOALS[ds]
            row["goal"] = bool(s["modes"] >= goal_modes and s["high_quality"] >= goal_hq)
            rows.append(row)
            if save is not None:
                save(rows)
            print(f"{ds} seed {seed}: {s['modes']}/{s['n_modes']} modes, {100 * s['high_quality']:.1f}% HQ, "
                  f"reverse KL {s['reverse_kl']:.4f}, {s['cpu_seconds']:.0f} CPU-s, {s['seconds']:.0f} s wall",
                  flush=True)
    return rows


def _stats(values) -> dict:
    a = np.asarray(values, np.float64)
    return {"mean": float(a.mean()), "std": float(a.std(ddof=1)) if len(a) > 1 else 0.0,
            "min": float(a.min()), "max": float(a.max())}


def summarize(rows: list[dict]) -> dict:
    out = {}
    for ds in DATASETS:
        mine = [r for r in rows if r["dataset"] == ds]
        if not mine:
            continue
        out[ds] = {"runs": len(mine), "seeds": [r["seed"] for r in mine],
                   "modes": _stats([r["modes"] for r in mine]),
                   "modes_any": _stats([r["modes_any"] for r in mine]),
                   "high_quality_pct": _stats([100 * r["high_quality"] for r in mine]),
                   "reverse_kl": _stats([r["reverse_kl"] for r in mine]),
                   "cpu_seconds": _stats([r["cpu_seconds"] for r in mine]),
                   "seconds": _stats([r["seconds"] for r in mine]),
                   "goal_reached": sum(r["goal"] for r in mine)}
    return out


def markdown(summary: dict, meta: dict) -> str:
    ring, grid = summary.get("ring8"), summary.get("grid25")

    def cell(s, key, unit=""):
        if s is None:
            return "–"
        v = s[key]
        return f"{v['mean']:.1f}{unit} ({v['min']:g}–{v['max']:g})" if not unit else \
            f"{v['mean']:.1f}{unit} ({v['min']:.1f}–{v['max']:.1f})"

    lines = ["| | ring modes | ring HQ | grid modes | grid HQ |", "|---|---|---|---|---|"]
    for name, rm, rh, gm, gh in PAPERS:
        lines.append(f"| {name} | {rm} | {rh}% | {gm} | {gh}% |")
    counts = ", ".join(f"{ds} {s['runs']}" for ds, s in summary.items())
    lines.append(f"| **minigan defaults, seeds {meta['seeds_text']} ({counts} runs): mean (min–max)** | "
                 f"{cell(ring, 'modes')} | {cell(ring, 'high_quality_pct', '%')} | "
                 f"{cell(grid, 'modes')} | {cell(grid, 'high_quality_pct', '%')} |")
    lines.append("")
    for ds, s in summary.items():
        gm, gh = GOALS[ds]
        lines.append(f"- {ds}: goal ({gm}/{gm} modes, >= {100 * gh:.0f}% HQ) reached on {s['goal_reached']} of "
                     f"{s['runs']} seeds; HQ {s['high_quality_pct']['mean']:.1f}% ± {s['high_quality_pct']['std']:.1f} "
                     f"(std over seeds); reverse KL {s['reverse_kl']['mean']:.4f}; "
                     f"{s['cpu_seconds']['mean']:.0f} CPU-s per run (max {s['cpu_seconds']['max']:.0f}), "
                     f"{s['seconds']['mean']:.0f} s wall (max {s['seconds']['max']:.0f}) on {meta['machine']}")
    return "\n".join(lines) + "\n"


def _save(path: str, meta: dict, rows: list[dict]) -> dict:
    summary = summarize(rows)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump({"meta": meta, "summary": summary, "runs": rows}, f, indent=1)
    os.replace(tmp, path)
    return summary


def _seed_list(text: str) -> list[int]:
    if "-" in text:
        a, b = (int(x) for x in text.split("-"))
        return list(range(a, b + 1))
    return [int(x) for x in text.split(",")]


def _seeds_text(seeds: list[int]) -> str:
    seeds = sorted(set(seeds))
    if seeds == list(range(seeds[0], seeds[-1] + 1)):
        return f"{seeds[0]}-{seeds[-1]}"
    return ",".join(map(str, seeds))


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seeds", default="100-109", help="a range a-b or a comma-separated list")
    p.add_argument("--datasets", default=",".join(DATASETS))
    p.add_argument("--table", action="store_true",
                   help="only redraw the table from the saved runs (mode_coverage.json and any parts)")
    p.add_argument("--part", default=None,
                   help="save into mode_coverage.PART.json (run data sets in parallel processes; --table merges)")
    p.add_argument("--out", default=RESULTS)
    p.add_argument("--keep", action="store_true", help="keep the saved runs of the same recipes, run the rest")
    args = p.parse_args(argv)
    json_path, md_path = os.path.join(args.out, "mode_coverage.json"), os.path.join(args.out, "mode_coverage.md")
    meta = {"machine": f"{platform.machine()} with {os.cpu_count()} cores, shared", "blas_threads": 1,
            "recipes": {ds: recipes.default_recipe(ds).to_dict() for ds in DATASETS}}
    if args.table:
        rows = []
        for name in sorted(os.listdir(args.out)):
            if name.startswith("mode_coverage") and name.endswith(".json"):
                with open(os.path.join(args.out, name), encoding="utf-8") as f:
                    saved = json.load(f)
                if saved["meta"].get("recipes") == meta["recipes"]:
                    rows += [r for r in saved["runs"] if (r["dataset"], r["seed"]) not in
                             {(q["dataset"], q["seed"]) for q in rows}]
        if not rows:
            raise SystemExit(f"no saved runs of the current default recipes in {args.out}")
    else:
        seeds = _seed_list(args.seeds)
        path = json_path if args.part is None else os.path.join(args.out, f"mode_coverage.{args.part}.json")
        earlier = []
        if args.keep and os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                saved = json.load(f)
            if saved["meta"].get("recipes") == meta["recipes"]:
                earlier = saved["runs"]
        os.makedirs(args.out, exist_ok=True)
        rows = run_all(seeds, tuple(args.datasets.split(",")), lambda rs: _save(path, meta, rs), earlier)
        if args.part is not None:
            return
    rows.sort(key=lambda r: (r["dataset"], r["seed"]))
    meta["seeds_text"] = _seeds_text([r["seed"] for r in rows])
    summary = _save(json_path, meta, rows)
    text = markdown(summary, meta)
    with open(md_path, "w", encoding="utf-8") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
