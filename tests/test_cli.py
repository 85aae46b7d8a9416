"""The ``minigan`` command, driven as a user drives it: through a subprocess, with tiny runs."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from minigan.serialization import load

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--hidden", "16", "--layers", "1", "--batch-size", "32", "--no-progress", "--checkpoint-every", "0"]


def _env():
    env = dict(os.environ, MPLBACKEND="Agg", OPENBLAS_NUM_THREADS="1")
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def minigan(*args, cwd, timeout=300, check=None):
    proc = subprocess.run([sys.executable, "-m", "minigan", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=_env(), timeout=timeout, check=False)
    if check is not None:
        assert proc.returncode == check, f"exit {proc.returncode}, expected {check}:\n{proc.stdout}\n{proc.stderr}"
    return proc


def _params(folder: Path) -> dict:
    state = load(folder / "checkpoint.npz")
    out = {"iteration": state["iteration"]}
    for player in ("G", "D"):
        for k, v in state[player].items():
            out[f"{player}.{k}"] = np.asarray(v.numpy() if hasattr(v, "numpy") else v)
    return out


# ---- argument errors name the flag ---------------------------------------------------------------
@pytest.mark.parametrize("flag, value, words", [
    ("--iterations", "-5", "positive integer"), ("--iterations", "0", "positive integer"),
    ("--hidden", "0", "positive integer"), ("--batch-size", "ten", "positive integer"),
    ("--lr-d", "-0.001", "> 0"), ("--lr-g", "nan", "finite"), ("--r1", "-1", ">= 0"),
    ("--lr-end", "2", "[0, 1]"), ("--loss", "hinge", "invalid choice"), ("--threads", "0", "positive integer"),
])
def test_bad_values_are_argparse_errors_naming_the_flag(flag, value, words, capsys, tmp_path):
    from minigan.cli import main

    with pytest.raises(SystemExit) as info:
        main(["train", "ring8", flag, value, "--out", str(tmp_path / "run")])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {flag}" in err and words in err, err
    assert not (tmp_path / "run").exists(), "nothing may be written for a rejected command line"


def test_unknown_dataset_is_refused_with_the_valid_names(capsys):
    from minigan.cli import main

    with pytest.raises(SystemExit) as info:
        main(["train", "mnist"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "ring8" in err and "grid25" in err and "mnist" in err


def test_every_train_option_has_help_and_shows_its_default(capsys):
    from minigan.cli import main

    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = capsys.readouterr().out
    for flag in ("--loss", "--k-d", "--k-g", "--iterations", "--batch-size", "--lr-d", "--lr-g", "--lr-schedule",
                 "--optimizer", "--r1", "--gp-lambda", "--clip", "--hidden", "--layers", "--z-dim", "--seed",
                 "--device", "--threads", "--out", "--resume", "--force", "--checkpoint-every"):
        assert flag in text, f"{flag} missing from `minigan train --help`"
    from minigan.lab.recipes import default_recipe

    ring = default_recipe("ring8")
    chunk = " ".join(text.split())
    for shown in (f"default {ring.iterations}", f"default {ring.lr_d}", f"default {ring.batch_size}",
                  "default 1000"):
        assert shown in chunk, f"{shown!r} not in help"


# ---- a run's files, refusal, writability -------------------------------------------------------------
def test_train_writes_the_run_files_and_refuses_to_overwrite_them(tmp_path):
    out = tmp_path / "run"
    proc = minigan("train", "ring", "--iterations", "40", "--out", out, *TINY, cwd=tmp_path, check=0)
    assert "modes:" in proc.stdout and "high quality" in proc.stdout
    for name in ("recipe.json", "checkpoint.npz", "metrics.jsonl", "summary.json", "samples.npy",
                 "dashboard.png", "samples.png", "surfaces.png", "animation.gif", "graph.png"):
        assert (out / name).stat().st_size > 0, f"train did not write {name}"
    assert np.load(out / "samples.npy").shape == (2500, 2)
    records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["iteration"] for r in records] == list(range(1, 41))
    summary = json.loads((out / "summary.json").read_text())
    assert summary["iterations"] == 40 and summary["n_modes"] == 8 and 0 <= summary["high_quality"] <= 1
    assert json.loads((out / "recipe.json").read_text())["dataset"] == "ring8"

    before = (out / "checkpoint.npz").read_bytes()
    proc = minigan("train", "ring", "--iterations", "40", "--out", out, *TINY, cwd=tmp_path, check=2)
    assert "holds an earlier run" in proc.stderr and "--resume" in proc.stderr and "--force" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert (out / "checkpoint.npz").read_bytes() == before, "a refused run must not touch the earlier one"
    minigan("train", "ring", "--iterations", "20", "--out", out, *TINY, "--force", cwd=tmp_path, check=0)
    assert _params(out)["iteration"] == 20


def test_an_unwritable_folder_is_refused_before_training(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    proc = minigan("train", "ring", "--iterations", "100000", "--out", blocker / "run", *TINY,
                   cwd=tmp_path, timeout=60, check=2)
    assert "cannot write to" in proc.stderr and "Traceback" not in proc.stderr
    assert "modes" not in proc.stdout, "training must not start before the folder is known to be writable"


def test_resume_without_a_checkpoint_and_resume_with_other_settings_are_refused(tmp_path):
    proc = minigan("train", "ring", "--out", tmp_path / "empty", "--resume", *TINY, cwd=tmp_path, check=2)
    assert "nothing to resume" in proc.stderr
    out = tmp_path / "run"
    minigan("train", "ring", "--iterations", "10", "--out", out, *TINY, "--no-figures", cwd=tmp_path, check=0)
    proc = minigan("train", "ring", "--iterations", "20", "--out", out, *TINY, "--lr-d", "0.5", "--resume",
                   cwd=tmp_path, check=2)
    assert "lr_d" in proc.stderr


def test_wasserstein_without_clip_or_penalty_warns(tmp_path):
    proc = minigan("train", "ring", "--loss", "wasserstein", "--iterations", "5", "--out", tmp_path / "w",
                   *TINY, "--no-figures", cwd=tmp_path, check=0)
    assert "warning" in proc.stderr and "--clip" in proc.stderr


# ---- interruption and resume ------------------------------------------------------------------------
def _interrupt(args, sig, cwd) -> subprocess.CompletedProcess:
    """Start a run, send ``sig`` once it trains, and return the finished process."""
    proc = subprocess.Popen([sys.executable, "-m", "minigan", *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=cwd, env=_env())
    out_dir = Path(args[args.index("--out") + 1])
    deadline = time.monotonic() + 120
    # recipe.json is written just before the first iteration
    while not (out_dir / "recipe.json").exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.3)
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_saves_the_run_and_resume_ends_where_an_uninterrupted_run_ends(sig, tmp_path):
    total = 2000
    args = ["train", "ring", "--iterations", total, *TINY, "--no-figures", "--seed", "3"]
    whole = tmp_path / "whole"
    minigan(*args, "--out", whole, cwd=tmp_path, check=0)

    cut = tmp_path / "cut"
    proc = _interrupt(args + ["--out", cut], sig, tmp_path)
    assert proc.returncode == 130, f"exit {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    assert "Traceback" not in proc.stderr, proc.stderr
    stopped = _params(cut)["iteration"]
    assert 0 < stopped < total, f"the signal should stop the run part-way, it stopped at {stopped}"
    lines = (cut / "metrics.jsonl").read_text().splitlines()
    assert len(lines) == stopped, "the history must hold every iteration up to the checkpoint"
    resume = [line for line in proc.stdout.splitlines() if line.startswith("resume with: ")]
    assert resume and "--resume" in resume[0] and str(cut) in resume[0], proc.stdout

    minigan(*args, "--out", cut, "--resume", cwd=tmp_path, check=0)
    a, b = _params(whole), _params(cut)
    assert a["iteration"] == b["iteration"] == total
    for k in a:
        assert np.array_equal(a[k], b[k]), f"{k} differs between the resumed and the uninterrupted run"
    assert (cut / "metrics.jsonl").read_text() == (whole / "metrics.jsonl").read_text()


def test_iterations_is_a_total_so_resume_continues_to_it(tmp_path):
    out = tmp_path / "run"
    base = ["train", "ring", *TINY, "--no-figures", "--lr-schedule", "constant", "--out", out]
    minigan(*base, "--iterations", "30", cwd=tmp_path, check=0)
    proc = minigan(*base, "--iterations", "50", "--resume", cwd=tmp_path, check=0)
    assert "at iteration 30 of 50" in proc.stdout
    assert _params(out)["iteration"] == 50
    assert len((out / "metrics.jsonl").read_text().splitlines()) == 50


# ---- the other commands ----------------------------------------------------------------------------
def test_dirac_prints_measurements_next_to_the_formulas(tmp_path):
    proc = minigan("dirac", "--steps", "300", cwd=tmp_path, check=0)
    rows = {line.split()[0]: line for line in proc.stdout.splitlines()[1:]}
    assert set(rows) == {"simultaneous", "alternating", "r1"}, proc.stdout
    for line in rows.values():
        measured = float(line.split("measured ")[1].split(",")[0])
        theory = float(line.split("theory ")[1].split(";")[0])
        assert measured == pytest.approx(theory, rel=2e-3), line


def test_theory_and_info_run(tmp_path):
    proc = minigan("theory", "--iterations", "300", cwd=tmp_path, check=0)
    assert "max |D - D*|" in proc.stdout and "-log 4" in proc.stdout
    proc = minigan("info", cwd=tmp_path, check=0)
    for word in ("minigan", "numpy", "cuda", "OPENBLAS_NUM_THREADS", "cpu cores"):
        assert word in proc.stdout, proc.stdout
