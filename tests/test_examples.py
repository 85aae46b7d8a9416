"""Every example and the CLI run end to end with a tiny --iterations and write their figures."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted(p.name for p in (ROOT / "examples").glob("*.py"))
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _pngs(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.png"))


def test_every_claim_has_an_example():
    expected = {"demo.py", "optimal_discriminator.py", "jsd_criterion.py", "vanishing_gradients.py",
                "mode_collapse.py", "non_convergence.py", "wasserstein.py", "digits.py", "k_sweep.py",
                "kl_direction.py"}
    missing = expected - set(EXAMPLES)
    assert not missing, f"examples missing: {sorted(missing)}"


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_runs_with_tiny_iterations_and_writes_pngs(name, tmp_path):
    out = tmp_path / "out"
    cmd = [sys.executable, str(ROOT / "examples" / name), "--out", str(out), "--iterations", "30", "--seed", "1"]
    if name == "demo.py":
        cmd.append("--no-progress")
    env = dict(os.environ, MPLBACKEND="Agg", OPENBLAS_NUM_THREADS="1")
    proc = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env)
    assert proc.returncode == 0, f"{name} exited with {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    assert proc.stdout.strip(), f"{name} printed nothing; an example must print the number it shows"
    pngs = _pngs(out)
    assert pngs, f"{name} wrote no PNG into {out}: {list(out.rglob('*'))}"
    for png in pngs:
        assert png.read_bytes()[:8] == PNG_MAGIC, f"{png} is not a PNG"
    assert not list(out.rglob(".tmp-*")), "a temporary figure file was left behind"


def test_cli_train_then_figures_redraws_the_dashboard(tmp_path):
    from minigan.cli import main

    out = tmp_path / "grid"
    assert main(["train", "grid", "--iterations", "20", "--out", str(out),
                 "--no-progress", "--snapshots", "2", "--hidden", "32", "--layers", "2"]) == 0
    for name in ("metrics.jsonl", "summary.json", "dashboard.png", "samples.png", "surfaces.png", "frames.npz",
                 "animation.gif", "graph.png"):
        assert (out / name).stat().st_size > 0, f"train did not write {name}"
    (out / "dashboard.png").unlink()
    redrawn = tmp_path / "redrawn"
    assert main(["figures", str(out / "metrics.jsonl"), "--out", str(redrawn)]) == 0
    assert (redrawn / "dashboard.png").read_bytes()[:8] == PNG_MAGIC
    assert main(["figures", str(out)]) == 0, "a run folder is accepted as well as its metrics.jsonl"
    assert (out / "dashboard.png").read_bytes()[:8] == PNG_MAGIC


def test_cli_reports_a_user_error_in_one_line_not_a_traceback(capsys, tmp_path):
    from minigan.cli import main

    missing = tmp_path / "no_history.json"
    with pytest.raises(SystemExit) as exit_info:
        main(["figures", str(missing)])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "minigan figures: error:" in err and str(missing) in err, f"unexpected stderr: {err!r}"
    assert "Traceback" not in err


def test_readme_lab_numbers_are_the_generated_ones():
    """The README's lab block is exactly what benchmarks/readme_numbers.py renders from the
    saved results: a number typed by hand, or left stale after a re-run, fails here."""
    import importlib.util
    import json

    spec = importlib.util.spec_from_file_location("readme_numbers", ROOT / "benchmarks" / "readme_numbers.py")
    rn = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(rn)
    numbers = json.loads((ROOT / "benchmarks" / "results" / "readme_numbers.json").read_text(encoding="utf-8"))
    block = rn.readme_block((ROOT / "README.md").read_text(encoding="utf-8"))
    assert block, "README.md lost its generated lab block"
    assert block == rn.render(numbers), "README.md's lab numbers differ from benchmarks/results/readme_numbers.json; " \
        "run python benchmarks/readme_numbers.py --render (or re-run it)"
    if "mode_coverage" not in numbers:
        return
    spec = importlib.util.spec_from_file_location("mode_coverage", ROOT / "benchmarks" / "mode_coverage.py")
    mc = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mc)
    cov = json.loads((ROOT / "benchmarks" / "results" / "mode_coverage.json").read_text(encoding="utf-8"))
    assert cov["runs"], "mode_coverage.json holds no runs"
    assert numbers["mode_coverage"]["table"] == mc.markdown(mc.summarize(cov["runs"]), cov["meta"]), \
        "the README's mode-coverage table is not the one benchmarks/results/mode_coverage.json gives"
