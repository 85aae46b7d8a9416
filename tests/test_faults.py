"""Kill -9 at random moments: a checkpoint being saved, and a training run being checkpointed.

The test runs this file as a script: one Python process that imports minigan once and
forks the processes it kills (cheap, so a few dozen kills take seconds). It asserts that
after every kill the previous checkpoint loads whole, that the next save leaves no
temporary file behind, and that a run killed again and again and resumed each time ends
bit for bit where an uninterrupted run ends, its history log included.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import traceback

import numpy as np
import pytest

SAVE_KILLS = 30
TRAIN_ITERATIONS = 60


def _child(work) -> None:
    """Run ``work()`` in a forked child and leave with its status, never returning."""
    code = 1
    try:
        work()
        code = 0
    except BaseException:
        traceback.print_exc()
    finally:
        os._exit(code)


def _tmp_files(folder: str) -> list[str]:
    return sorted(n for n in os.listdir(folder) if n.endswith(".tmp"))


def _payload(version: int) -> dict:
    import minigan as mg

    # ~8 MB, so that a kill lands in the middle of writing it most of the time
    return {"version": version, "w": mg.full((1 << 21,), float(version)),
            "opt": {"step": version, "m": np.full((64, 64), version, dtype=np.float64)}}


def _check(path: str) -> int:
    """The version of the checkpoint at ``path``, after checking every array agrees with it."""
    import minigan as mg

    state = mg.load(path)
    v = state["version"]
    assert (state["w"].numpy() == v).all() and (state["opt"]["m"] == v).all() and state["opt"]["step"] == v
    return v


def kill_saves(folder: str, kills: int, rng: np.random.Generator) -> dict:
    """Fork writers that save new versions in a loop; SIGKILL each at a random moment."""
    import minigan as mg

    path = os.path.join(folder, "ckpt.npz")
    mg.save(_payload(0), path)
    start = time.perf_counter()
    for v in range(1, 4):
        mg.save(_payload(v), path)
    per_save = (time.perf_counter() - start) / 3
    version, torn = 3, 0
    for _ in range(kills):
        def write_forever(v=version):  # the writer: versions version+1, version+2, ...
            while True:
                v += 1
                mg.save(_payload(v), path)

        assert not _run_child(write_forever, kill_after=rng.uniform(0, 3 * per_save))
        torn += bool(_tmp_files(folder))
        version = _check(path)  # the last completed save, whole
        version += 1
        mg.save(_payload(version), path)  # the next save cleans up after the killed one
        assert _tmp_files(folder) == [], _tmp_files(folder)
        assert _check(path) == version
    return {"kills": kills, "killed_mid_write": torn, "seconds_per_save": per_save}


def _trainer(folder: str, resume: bool):
    import minigan as mg
    from minigan import nn, optim
    from minigan.gan import Trainer

    mg.manual_seed(0)
    G = nn.mlp([2, 16, 2], activation=nn.LeakyReLU(0.2), batch_norm=True)  # a 0-d buffer
    D = nn.mlp([2, 16, 1], activation=nn.LeakyReLU(0.2), dropout=0.1)  # draws from mg's rng
    data = np.random.default_rng(7).standard_normal((256, 2))
    args = (G, D, optim.Adam(G.parameters(), 1e-3), optim.Adam(D.parameters(), 1e-3), data)
    kw = {"z_dim": 2, "batch_size": 32, "seed": 3,
          "checkpoint_path": os.path.join(folder, "checkpoint.npz"), "checkpoint_every": 3}
    if resume and os.path.exists(kw["checkpoint_path"]):
        return Trainer.resume(kw["checkpoint_path"], *args, **kw)
    return Trainer(*args, **kw)


def _run_child(work, kill_after: float | None = None) -> bool:
    """Fork a child running ``work``; SIGKILL it after ``kill_after`` seconds (if given and
    it is still running). True if it ran to the end."""
    pid = os.fork()
    if pid == 0:
        _child(work)
    if kill_after is not None:
        time.sleep(kill_after)
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    if os.WIFEXITED(status):
        assert os.WEXITSTATUS(status) == 0, "the child process failed (its traceback is above)"
        return True
    return False


def kill_training(folder: str, reference: str, rng: np.random.Generator) -> dict:
    """Train to TRAIN_ITERATIONS, SIGKILLed at random moments and resumed each time; compare
    with an uninterrupted run. Training runs only in forked children: this process never
    multiplies a matrix, so no BLAS thread exists when it forks."""
    import minigan as mg

    def train_to_the_end(where: str) -> None:
        t = _trainer(where, resume=True)
        t.train(TRAIN_ITERATIONS - t.iteration)
        t.save_checkpoint(t.checkpoint_path)

    start = time.perf_counter()
    assert _run_child(lambda: train_to_the_end(reference))
    per_run = time.perf_counter() - start
    kills = 0
    while kills < 12:
        kills += 1
        if _run_child(lambda: train_to_the_end(folder), kill_after=rng.uniform(0, per_run / 3)):
            break
    else:
        assert _run_child(lambda: train_to_the_end(folder))  # the last stretch, left alone
    ref, done = mg.load(os.path.join(reference, "checkpoint.npz")), mg.load(os.path.join(folder, "checkpoint.npz"))
    assert done["iteration"] == ref["iteration"] == TRAIN_ITERATIONS
    for who in ("G", "D", "opt_g", "opt_d"):
        a, b = ref[who], done[who]
        leaves_a, leaves_b = _leaves(a), _leaves(b)
        assert len(leaves_a) == len(leaves_b)
        for (k, x), (_, y) in zip(leaves_a, leaves_b):
            assert np.array_equal(np.asarray(x), np.asarray(y)), f"{who} {k} differs from the uninterrupted run"
    assert done["rng"] == ref["rng"] and done["history"] == ref["history"]
    with open(os.path.join(reference, "metrics.jsonl"), "rb") as a, \
            open(os.path.join(folder, "metrics.jsonl"), "rb") as b:
        assert a.read() == b.read(), "the history log differs from the uninterrupted run's"
    assert _tmp_files(folder) == []
    return {"training_kills": kills}


def _leaves(tree, prefix: str = "") -> list:
    """(path, array or value) for every leaf of a nested state dict, in order."""
    if isinstance(tree, dict):
        return [leaf for k, v in tree.items() for leaf in _leaves(v, f"{prefix}/{k}")]
    if isinstance(tree, (list, tuple)):
        return [leaf for i, v in enumerate(tree) for leaf in _leaves(v, f"{prefix}/{i}")]
    return [(prefix, tree.numpy() if hasattr(tree, "numpy") else tree)]


def main(folder: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    for sub in ("save", "train", "reference"):
        os.makedirs(os.path.join(folder, sub))
    report = kill_saves(os.path.join(folder, "save"), SAVE_KILLS, rng)
    report.update(kill_training(os.path.join(folder, "train"), os.path.join(folder, "reference"), rng))
    print(json.dumps(report))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork and SIGKILL (POSIX)")
def test_sigkill_never_loses_the_previous_checkpoint_nor_leaves_temporary_files(tmp_path):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])),
               OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, os.path.abspath(__file__), str(tmp_path), "0"], cwd=root, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["kills"] == SAVE_KILLS and report["training_kills"] >= 1
    # the kills did land inside saves (each kill that did left a temporary file behind)
    assert report["killed_mid_write"] >= 1, report


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
