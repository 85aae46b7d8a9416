"""Peak memory of one GAN training step, and evidence that the graph is released.

Two methods, stated with the numbers:
- tracemalloc (minigan and hand-NumPy only): NumPy reports its array buffers to
  tracemalloc, so the traced peak above the pre-step level is the step's transient memory
  (arrays plus Python objects), exact to the byte. PyTorch's CPU allocator is not traced.
- RSS (all three, each in its own subprocess): resident memory sampled from
  /proc/self/statm by a thread every ~0.1 ms during the steps, minus the RSS just before.
  The child runs with MALLOC_MMAP_THRESHOLD_=65536 so that glibc serves every buffer of
  64 KiB or more by mmap and returns it on free; otherwise its dynamic threshold would keep
  freed buffers resident and hide the step's peak. Page-granular (4 KiB) and sampled: a
  lower bound for short-lived peaks, meaningless below ~100 KiB (tiny configs).
Graph release: live Tensor objects (gc) before and after a step, a weakref to the loss
(dead after the step), the traced memory back at its pre-step level, and gc.collect()
finding no reference cycles (the graph is freed by reference counting alone).

    python benchmarks/memory.py            # writes results/memory.json
    python benchmarks/memory.py --quick --configs tiny
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import subprocess
import sys
import threading
import time
import tracemalloc
import weakref

try:
    from common import RESULTS, add_repo_to_path, machine_info, table, write_json
except ImportError:  # imported as benchmarks.memory
    from benchmarks.common import RESULTS, add_repo_to_path, machine_info, table, write_json

add_repo_to_path()
PAGE = os.sysconf("SC_PAGE_SIZE")
IMPL_NAMES = ("minigan", "torch", "numpy")


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


class RssSampler(threading.Thread):
    """Polls the resident set size until stopped; ``peak`` is the largest seen."""

    def __init__(self, interval: float = 1e-4):
        super().__init__(daemon=True)
        self.interval, self.peak, self._halt = interval, rss_bytes(), threading.Event()

    def run(self):
        while not self._halt.is_set():
            self.peak = max(self.peak, rss_bytes())
            time.sleep(self.interval)

    def stop(self) -> int:
        self._halt.set()
        self.join()
        self.peak = max(self.peak, rss_bytes())
        return self.peak


def _live(cls) -> int:
    return sum(1 for o in gc.get_objects() if isinstance(o, cls))


def child(impl_name: str, config: str, steps: int) -> dict:
    """Runs in a subprocess: measure one implementation on one config."""
    import step as S
    import threadpoolctl

    threadpoolctl.threadpool_limits(1)
    import torch

    torch.set_num_threads(1)
    cfg = S.CONFIGS[config]
    impl = S.IMPLS[impl_name](cfg, S.make_init(cfg), S.make_data(cfg))
    for _ in range(2):  # Adam state and grads exist from here on: the steady state
        impl.step()
    gc.collect()
    out = {"impl": impl_name, "config": config}

    # RSS, sampled
    base = rss_bytes()
    maxrss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    sampler = RssSampler()
    sampler.start()
    for _ in range(steps):
        impl.step()
    peak = sampler.stop()
    out.update(rss_before=base, rss_peak_delta=peak - base, rss_after_delta=rss_bytes() - base,
               ru_maxrss_growth=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - maxrss0)

    # graph release: live tensors, a weakref to the loss, no cycles
    cls = {"minigan": None, "torch": torch.Tensor, "numpy": None}[impl_name]
    if impl_name == "minigan":
        from minigan import Tensor

        cls = Tensor
    if cls is not None:
        gc.collect()
        gc.disable()
        try:
            before = _live(cls)
            ref = _step_with_loss_ref(impl, impl_name)
            after = _live(cls)
            cycles = gc.collect()
        finally:
            gc.enable()
        out.update(live_tensors_before=before, live_tensors_after=after,
                   loss_freed_after_step=ref() is None, gc_unreachable_after_step=cycles)

    # tracemalloc (NumPy buffers are traced; torch's allocator is not)
    if impl_name != "torch":
        gc.collect()
        tracemalloc.start()
        impl.step()  # let the tracer see one step's allocations before measuring
        gc.collect()
        cur0, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        impl.step()
        cur1, peak1 = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        out.update(traced_peak_delta=peak1 - cur0, traced_after_delta=cur1 - cur0)
    return out


def _step_with_loss_ref(impl, name):
    """One step as impl.step(), keeping only a weakref to the generator's loss."""
    if name == "numpy":
        impl.step()
        return lambda: None
    F = impl.F if name == "minigan" else None
    bce = F.binary_cross_entropy_with_logits if name == "minigan" else impl.bce
    real, zd, zg = impl.batches[impl.k % len(impl.batches)]
    impl.k += 1
    impl.opt_d.zero_grad()
    fake = impl.G(zd).detach()
    loss_d = bce(impl.D(real), impl.ones) + bce(impl.D(fake), impl.zeros)
    loss_d.backward()
    impl.opt_d.step()
    impl.opt_g.zero_grad()
    loss_g = bce(impl.D(impl.G(zg)), impl.ones)
    loss_g.backward()
    impl.opt_g.step()
    ref = weakref.ref(loss_g)
    del real, zd, zg, fake, loss_d, loss_g
    return ref


def run_child(impl: str, config: str, steps: int) -> dict:
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_="65536", PYTHONWARNINGS="ignore")
    here = os.path.dirname(os.path.abspath(__file__))
    r = subprocess.run([sys.executable, os.path.join(here, "memory.py"), "--child", impl, config,
                        "--steps", str(steps)], capture_output=True, text=True, env=env, timeout=600)
    if r.returncode != 0:
        raise RuntimeError(f"memory child {impl}/{config} failed:\n{r.stderr[-2000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def mib(b) -> str:
    return "-" if b is None else f"{b / 2**20:.2f}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--configs", default="tiny,small,medium,mnist")
    ap.add_argument("--rounds", type=int, default=3, help="steps measured per child")
    ap.add_argument("--quick", action="store_true", help="smoke run: tiny config, 1 step")
    ap.add_argument("--out", default=str(RESULTS / "memory.json"))
    ap.add_argument("--child", nargs=2, metavar=("IMPL", "CONFIG"), help=argparse.SUPPRESS)
    ap.add_argument("--steps", type=int, default=3, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child[0], args.child[1], args.steps)))
        return 0
    if args.quick:
        args.configs, args.rounds = "tiny", 1
    configs = [c.strip() for c in args.configs.split(",") if c.strip()]
    results = {"machine": machine_info(1), "threads": 1, "methods": __doc__.split("\n\n")[1],
               "configs": {}}
    rows = []
    for c in configs:
        res = {n: run_child(n, c, args.rounds) for n in IMPL_NAMES}
        mg, th, npy = res["minigan"], res["torch"], res["numpy"]
        res["rss_peak_ratio_vs_torch"] = (mg["rss_peak_delta"] / th["rss_peak_delta"]
                                          if th["rss_peak_delta"] > 0 else None)
        results["configs"][c] = res
        rows.append([c, mib(mg["traced_peak_delta"]), mib(npy["traced_peak_delta"]),
                     mib(mg["rss_peak_delta"]), mib(th["rss_peak_delta"]), mib(npy["rss_peak_delta"]),
                     f"{mg['live_tensors_before']} -> {mg['live_tensors_after']}",
                     f"{th['live_tensors_before']} -> {th['live_tensors_after']}",
                     "yes" if mg["loss_freed_after_step"] and mg["gc_unreachable_after_step"] == 0 else "NO",
                     mib(mg["traced_after_delta"])])
        print(f"[{c}] done", flush=True)
    print()
    print(table(["config", "traced peak minigan MiB", "traced peak numpy MiB",
                 "RSS peak minigan MiB", "RSS peak torch MiB", "RSS peak numpy MiB",
                 "live Tensors minigan", "live tensors torch", "graph freed (refcount)",
                 "traced after step MiB"], rows))
    out = write_json(results, args.out)
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
