"""Smoke test of the benchmarks: they run, exit 0 and write the ratio fields (no timing asserted)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")
ROOT = Path(__file__).resolve().parent.parent


def _run(script: str, *args: str, tmp_path: Path) -> dict:
    out = tmp_path / f"{script}.json"
    r = subprocess.run([sys.executable, str(ROOT / "benchmarks" / f"{script}.py"), "--quick",
                        "--threads", "1", "--out", str(out), *args],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, f"{script}.py exited {r.returncode}:\n{r.stdout[-2000:]}\n{r.stderr[-3000:]}"
    return json.loads(out.read_text())


def test_step_benchmark_quick_run_writes_ratios_and_agrees_with_torch(tmp_path):
    res = _run("step", "--configs", "tiny", "--rounds", "2", tmp_path=tmp_path)
    entry = res["configs"]["tiny"]
    assert "ratio_vs_torch" in entry and "ratio_vs_numpy" in entry, f"missing ratios in {sorted(entry)}"
    assert entry["ratio_vs_torch"] > 0 and entry["ratio_vs_numpy"] > 0
    for name, chk in entry["check"].items():
        assert chk["ok"], f"{name} differs from PyTorch after 3 steps: {chk}"
    assert res["machine"]["blas"].get("openblas_coretype", "absent") != "absent"


def test_ops_benchmark_quick_run_writes_ratios(tmp_path):
    res = _run("ops", "--ops", "add,linear", "--sizes", "tiny", "--rounds", "2", tmp_path=tmp_path)
    assert res["tiny_graph"]["minigan_us"] > 0 and "ratio_vs_torch" in res["tiny_graph"]
    for op in ("add", "linear"):
        for mode in ("forward", "forward_backward"):
            assert "ratio_vs_torch" in res["ops"][op]["tiny"][mode], f"no ratio for {op} {mode}"


def test_step_benchmark_on_cuda_fails_clearly_without_a_gpu(tmp_path):
    from minigan.backend import cuda

    if cuda.is_available():
        pytest.skip("a CUDA device is present")
    r = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "step.py"), "--device", "cuda",
                        "--quick", "--out", str(tmp_path / "x.json")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode != 0 and "CUDA device" in r.stderr, f"rc {r.returncode}, stderr: {r.stderr[-1000:]}"
