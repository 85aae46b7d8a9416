"""PyTorch GAN scripts run unmodified on minigan and match PyTorch (issue 12).

Each script in tests/pytorch_scripts/ is written for PyTorch in the style of a well-known
public tutorial. ``run.py`` runs it once with minigan imported under PyTorch's module
names and once on real PyTorch whose random draws come from minigan's stream, so both
start from the same weights and see the same batches, noise and dropout masks; the
losses printed over the first iterations must agree.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent / "pytorch_scripts"
ROOT = Path(__file__).resolve().parent.parent
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")
LOSS_LINE = re.compile(r"loss|cost|err", re.IGNORECASE)

# script -> (arguments, lines compared, rtol, atol). Float32 rounding differs between the
# two libraries' kernels; Adam and RMSprop amplify it on near-zero gradients, most in the
# WGAN-GP toy (512-wide layers, double backward), hence its looser tolerance.
SCRIPTS = {
    "gan_digits.py": (["--n_epochs", "1"], 12, 1e-4, 2e-6),
    "gan_1d_50_lines.py": (["--num_epochs", "4", "--print_interval", "1"], 4, 1e-4, 1e-6),
    "wgan_gp_8gaussians.py": (["--iters", "3"], 3, 5e-3, 5e-5),
    "wgan_clip_digits.py": (["--n_epochs", "1"], 6, 1e-3, 2e-6),
    "cgan_digits.py": (["--n_epochs", "1"], 12, 1e-4, 2e-6),
}


def _run(framework: str, script: str, args: list[str]) -> list[str]:
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", MINIGAN_DEVICE="cpu",
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run([sys.executable, str(HERE / "run.py"), framework, str(HERE / script), *args],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=600)
    assert proc.returncode == 0, f"{script} failed on {framework}:\n{proc.stderr[-4000:]}"
    return [line for line in proc.stdout.splitlines() if LOSS_LINE.search(line)]


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_pytorch_script_runs_unmodified_and_matches_pytorch(script):
    args, n, rtol, atol = SCRIPTS[script]
    ours = _run("minigan", script, args)
    theirs = _run("torch", script, args)
    assert len(ours) == len(theirs) >= n, (
        f"{script}: minigan printed {len(ours)} loss lines, PyTorch {len(theirs)} (expected at least {n})"
    )
    for k, (a, b) in enumerate(zip(ours[:n], theirs[:n])):
        assert NUMBER.sub("#", a) == NUMBER.sub("#", b), f"{script} line {k} differs in form:\n{a}\n{b}"
        for x, y in zip(map(float, NUMBER.findall(a)), map(float, NUMBER.findall(b))):
            assert abs(x - y) <= atol + rtol * abs(y), (
                f"{script}, line {k}: minigan and PyTorch differ beyond rtol={rtol}, atol={atol}:\n"
                f"  minigan: {a}\n  PyTorch: {b}"
            )


def _run_in_process(script: str, args: list[str], monkeypatch, capsys, cuda: bool) -> list[str]:
    """The script on minigan in this process, taking its ``if cuda:`` branch or not."""
    import random
    import runpy

    import numpy as np

    import minigan as mg

    sys.path.insert(0, str(HERE))
    try:
        from run import SEED, torch_modules_of_minigan
    finally:
        sys.path.remove(str(HERE))
    with monkeypatch.context() as m:
        for name, mod in torch_modules_of_minigan().items():
            m.setitem(sys.modules, name, mod)
        m.setattr(mg.cuda, "is_available", lambda: cuda)
        m.setattr(sys, "argv", [script, *args])
        np.random.seed(SEED)
        random.seed(SEED)
        mg.manual_seed(SEED)
        capsys.readouterr()
        scope = runpy.run_path(str(HERE / script), run_name="__main__")
        devices = {p.device.type for v in scope.values() if isinstance(v, mg.nn.Module) for p in v.parameters()}
        assert devices == {"cuda" if cuda else "cpu"}, f"{script}: parameters on {devices} (cuda={cuda})"
        return [line for line in capsys.readouterr().out.splitlines() if LOSS_LINE.search(line)]


@pytest.mark.cuda
@pytest.mark.parametrize("script", sorted(s for s in SCRIPTS if "cuda" in (HERE / s).read_text()))
def test_pytorch_script_on_the_gpu_matches_its_cpu_run(script, monkeypatch, capsys):
    """The scripts' ``if cuda:`` branches (model.cuda(), torch.cuda.FloatTensor, x.cuda(),
    .cpu().data.numpy()) run on minigan's GPU path and give the CPU run's losses."""
    args, n, rtol, atol = SCRIPTS[script]
    cpu = _run_in_process(script, args, monkeypatch, capsys, cuda=False)
    gpu = _run_in_process(script, args, monkeypatch, capsys, cuda=True)
    assert len(cpu) == len(gpu) >= n
    for a, b in zip(gpu[:n], cpu[:n]):
        for x, y in zip(map(float, NUMBER.findall(a)), map(float, NUMBER.findall(b))):
            assert abs(x - y) <= atol + rtol * abs(y), f"{script}: GPU and CPU runs differ:\n  {a}\n  {b}"
