"""One GAN training step (Algorithm 1, k = 1): minigan vs PyTorch vs hand-written NumPy.

The step: a discriminator update on a real and a detached fake minibatch
(BCE with logits, real -> 1, fake -> 0), then a generator update with the
non-saturating loss BCE(D(G(z)), 1); Adam (lr 2e-4, betas (0.5, 0.999)) on both nets.
G: z -> h -> h -> out, LeakyReLU(0.2) hidden, Tanh out; D: out -> h -> h -> 1.

The three implementations start from one initialisation and read the same minibatches.
First they are checked to compute the same thing (parameters after 3 steps agree within
1e-4), then timed in one process, interleaved (minigan, torch, numpy, minigan, ...),
each round a block of steps; the medians give the ratios minigan/PyTorch and
minigan/hand-NumPy. The hand-NumPy step is the floor for a NumPy engine: preallocated
buffers, in-place updates, ``out=`` everywhere, no graph.

    python benchmarks/step.py                 # all configs, writes results/step.json
    python benchmarks/step.py --quick --configs tiny
    python benchmarks/step.py --profile       # + cProfile of minigan's step per config
    python benchmarks/step.py --device cuda   # minigan on CuPy vs PyTorch on CUDA
"""
from __future__ import annotations

import argparse
import cProfile
import io
import math
import os
import pstats
import sys
import time

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

CONFIGS = {
    "tiny": dict(z=2, h=32, out=2, batch=64),
    "small": dict(z=8, h=128, out=2, batch=256),
    "medium": dict(z=64, h=256, out=64, batch=256),
    "mnist": dict(z=100, h=512, out=784, batch=256),
}
LR, BETAS, EPS, SLOPE = 2e-4, (0.5, 0.999), 1e-8, 0.2
N_BATCHES = 4  # minibatches cycled through (the same for every implementation)


# ---- one initialisation and one data stream, shared ---------------------------------
def layer_sizes(cfg: dict) -> tuple[list, list]:
    return [cfg["z"], cfg["h"], cfg["h"], cfg["out"]], [cfg["out"], cfg["h"], cfg["h"], 1]


def make_init(cfg: dict, seed: int = 0) -> dict:
    """PyTorch's default Linear init, U(-1/sqrt(in), 1/sqrt(in)), drawn once with NumPy:
    {"G": [(W, b), ...], "D": [...]}, W of shape (out, in), float32."""
    rng = np.random.default_rng(seed)
    init = {}
    for name, sizes in zip(("G", "D"), layer_sizes(cfg)):
        layers = []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            bound = 1.0 / math.sqrt(fan_in)
            w = rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32)
            b = rng.uniform(-bound, bound, (fan_out,)).astype(np.float32)
            layers.append((w, b))
        init[name] = layers
    return init


def make_data(cfg: dict, seed: int = 1) -> dict:
    """N_BATCHES minibatches of real data (a ring of 8 Gaussians in 2-D, else uniform in
    [-1, 1]) and of noise for the D step and the G step; float32."""
    rng = np.random.default_rng(seed)
    b, d = cfg["batch"], cfg["out"]
    if d == 2:
        k = rng.integers(0, 8, (N_BATCHES, b))
        ang = 2 * np.pi * k / 8
        real = np.stack([np.cos(ang), np.sin(ang)], -1) * 0.8 + 0.02 * rng.standard_normal((N_BATCHES, b, 2))
    else:
        real = rng.uniform(-1, 1, (N_BATCHES, b, d))
    return {
        "real": real.astype(np.float32),
        "zd": rng.standard_normal((N_BATCHES, b, cfg["z"])).astype(np.float32),
        "zg": rng.standard_normal((N_BATCHES, b, cfg["z"])).astype(np.float32),
    }


def flat_params(init: dict) -> list:
    return [a for name in ("G", "D") for wb in init[name] for a in wb]


# ---- (a) minigan ----------------------------------------------------------------------
class MiniganStep:
    name = "minigan"

    def __init__(self, cfg: dict, init: dict, data: dict, device: str = "cpu"):
        import minigan as mg
        from minigan import functional as F
        from minigan import nn, optim

        self.mg, self.F = mg, F
        self.G = nn.Sequential(
            nn.Linear(cfg["z"], cfg["h"]), nn.LeakyReLU(SLOPE), nn.Linear(cfg["h"], cfg["h"]),
            nn.LeakyReLU(SLOPE), nn.Linear(cfg["h"], cfg["out"]), nn.Tanh(),
        ).to(device)
        self.D = nn.Sequential(
            nn.Linear(cfg["out"], cfg["h"]), nn.LeakyReLU(SLOPE), nn.Linear(cfg["h"], cfg["h"]),
            nn.LeakyReLU(SLOPE), nn.Linear(cfg["h"], 1),
        ).to(device)
        with mg.no_grad():
            for p, a in zip(self._params(), flat_params(init)):
                p.copy_(mg.tensor(a, device=device))
        self.opt_g = optim.Adam(self.G.parameters(), lr=LR, betas=BETAS)
        self.opt_d = optim.Adam(self.D.parameters(), lr=LR, betas=BETAS)
        self.batches = [
            tuple(mg.tensor(data[k][i], device=device) for k in ("real", "zd", "zg"))
            for i in range(N_BATCHES)
        ]
        b = cfg["batch"]
        self.ones = mg.ones((b, 1), device=device)
        self.zeros = mg.zeros((b, 1), device=device)
        self.k = 0
        self.device = device

    def _params(self) -> list:
        return list(self.G.parameters()) + list(self.D.parameters())

    def step(self) -> None:
        real, zd, zg = self.batches[self.k % N_BATCHES]
        self.k += 1
        G, D, bce = self.G, self.D, self.F.binary_cross_entropy_with_logits
        self.opt_d.zero_grad()
        fake = G(zd).detach()
        loss_d = bce(D(real), self.ones) + bce(D(fake), self.zeros)
        loss_d.backward()
        self.opt_d.step()
        self.opt_g.zero_grad()
        loss_g = bce(D(G(zg)), self.ones)  # non-saturating: -log D(G(z))
        loss_g.backward()
        self.opt_g.step()

    def params(self) -> list:
        return [np.asarray(p.detach().cpu().numpy()) for p in self._params()]

    def sync(self) -> None:
        """Wait for the GPU: CuPy launches kernels asynchronously."""
        if self.device != "cpu":
            from minigan.backend import cuda

            cuda.require().cuda.runtime.deviceSynchronize()


# ---- (b) PyTorch ----------------------------------------------------------------------
class TorchStep:
    name = "torch"

    def __init__(self, cfg: dict, init: dict, data: dict, device: str = "cpu"):
        import torch
        from torch import nn

        self.torch = torch
        self.G = nn.Sequential(
            nn.Linear(cfg["z"], cfg["h"]), nn.LeakyReLU(SLOPE), nn.Linear(cfg["h"], cfg["h"]),
            nn.LeakyReLU(SLOPE), nn.Linear(cfg["h"], cfg["out"]), nn.Tanh(),
        ).to(device)
        self.D = nn.Sequential(
            nn.Linear(cfg["out"], cfg["h"]), nn.LeakyReLU(SLOPE), nn.Linear(cfg["h"], cfg["h"]),
            nn.LeakyReLU(SLOPE), nn.Linear(cfg["h"], 1),
        ).to(device)
        with torch.no_grad():
            for p, a in zip(self._params(), flat_params(init)):
                p.copy_(torch.from_numpy(a))
        # foreach/fused left at their defaults: what a user gets (single-tensor loop on CPU)
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=LR, betas=BETAS)
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=LR, betas=BETAS)
        self.batches = [
            tuple(torch.from_numpy(data[k][i].copy()).to(device) for k in ("real", "zd", "zg"))
            for i in range(N_BATCHES)
        ]
        b = cfg["batch"]
        self.ones = torch.ones((b, 1), device=device)
        self.zeros = torch.zeros((b, 1), device=device)
        self.bce = torch.nn.functional.binary_cross_entropy_with_logits
        self.k = 0
        self.device = device

    def _params(self) -> list:
        return list(self.G.parameters()) + list(self.D.parameters())

    def step(self) -> None:
        real, zd, zg = self.batches[self.k % N_BATCHES]
        self.k += 1
        G, D, bce = self.G, self.D, self.bce
        self.opt_d.zero_grad()
        fake = G(zd).detach()
        loss_d = bce(D(real), self.ones) + bce(D(fake), self.zeros)
        loss_d.backward()
        self.opt_d.step()
        self.opt_g.zero_grad()
        loss_g = bce(D(G(zg)), self.ones)
        loss_g.backward()
        self.opt_g.step()

    def params(self) -> list:
        return [p.detach().cpu().numpy().copy() for p in self._params()]

    def sync(self) -> None:
        if self.device != "cpu":
            self.torch.cuda.synchronize()


# ---- (c) hand-written NumPy: the floor ------------------------------------------------
class _NpMLP:
    """An MLP with preallocated activations and gradients; forward/backward by hand."""

    def __init__(self, layers: list, batch: int, tanh_out: bool, mm):
        self.W = [w.copy() for w, _ in layers]
        self.b = [b.copy() for _, b in layers]
        self.gW = [np.zeros_like(w) for w in self.W]
        self.gb = [np.zeros_like(b) for b in self.b]
        self.tW = [np.zeros_like(w) for w in self.W]  # scratch to accumulate a second backward
        self.tb = [np.zeros_like(b) for b in self.b]
        n = [w.shape[0] for w in self.W]
        f32 = np.float32
        self.A = [np.empty((batch, k), f32) for k in n]  # pre-activations
        self.H = [np.empty((batch, k), f32) for k in n]  # activations
        self.dA = [np.empty((batch, k), f32) for k in n]
        self.dX = [np.empty((batch, w.shape[1]), f32) for w in self.W]  # grads of layer inputs
        self.fac = [np.empty((batch, k), f32) for k in n]  # LeakyReLU slope: 1 or 0.2
        self.tanh_out = tanh_out
        self.mm = mm
        self.x = None

    def forward(self, x):
        self.x = x
        h = x
        last = len(self.W) - 1
        for i, (w, b) in enumerate(zip(self.W, self.b)):
            a = self.A[i]
            self.mm(h, w.T, a)
            a += b
            if i < last:  # LeakyReLU(0.2): max(a, 0.2 a)
                np.multiply(a, SLOPE, out=self.H[i])
                np.maximum(a, self.H[i], out=self.H[i])
                np.greater(a, 0, out=self.fac[i])  # 1.0 where a > 0, else 0.0
                self.fac[i] *= 1 - SLOPE
                self.fac[i] += SLOPE
                h = self.H[i]
            elif self.tanh_out:
                np.tanh(a, out=self.H[i])
                h = self.H[i]
            else:
                h = a
        return h

    def backward(self, g_out, input_grad: bool, accumulate: bool):
        """g_out: d loss / d output. Parameter grads go to gW/gb (added if ``accumulate``);
        returns d loss / d input when ``input_grad``."""
        last = len(self.W) - 1
        da = self.dA[last]
        if self.tanh_out:  # d tanh = 1 - y^2
            y = self.H[last]
            np.multiply(y, y, out=da)
            np.subtract(1, da, out=da)
            da *= g_out
        else:
            da[...] = g_out
        for i in range(last, -1, -1):
            da = self.dA[i]
            h_in = self.x if i == 0 else self.H[i - 1]
            if accumulate:
                self.mm(da.T, h_in, self.tW[i])
                self.gW[i] += self.tW[i]
                np.sum(da, axis=0, out=self.tb[i])
                self.gb[i] += self.tb[i]
            else:
                self.mm(da.T, h_in, self.gW[i])
                np.sum(da, axis=0, out=self.gb[i])
            if i > 0 or input_grad:
                dx = self.dX[i]
                self.mm(da, self.W[i], dx)
                if i > 0:  # through LeakyReLU: dx where a > 0, else 0.2 dx
                    np.multiply(dx, self.fac[i - 1], out=self.dA[i - 1])
        return self.dX[0] if input_grad else None


class _NpAdam:
    """PyTorch's Adam rule, in place: m, v, and one scratch buffer per parameter."""

    def __init__(self, params: list, grads: list):
        self.p, self.g = params, grads
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.tmp = [np.empty_like(p) for p in params]
        self.t = 0

    def step(self) -> None:
        self.t += 1
        b1, b2 = BETAS
        step_size = LR / (1 - b1**self.t)
        bc2_sqrt = math.sqrt(1 - b2**self.t)
        for p, g, m, v, tmp in zip(self.p, self.g, self.m, self.v, self.tmp):
            m *= b1
            np.multiply(g, 1 - b1, out=tmp)
            m += tmp
            v *= b2
            np.multiply(g, g, out=tmp)
            tmp *= 1 - b2
            v += tmp
            np.sqrt(v, out=tmp)  # denom = sqrt(v) / sqrt(bc2) + eps
            tmp /= bc2_sqrt
            tmp += EPS
            np.divide(m, tmp, out=tmp)
            tmp *= step_size
            p -= tmp


class NumpyStep:
    name = "numpy"

    def __init__(self, cfg: dict, init: dict, data: dict, device: str = "cpu"):
        self.mm_log = None  # a list while recording the matmuls of a step
        self.G = _NpMLP(init["G"], cfg["batch"], True, self._mm)
        self.D = _NpMLP(init["D"], cfg["batch"], False, self._mm)
        self.opt_g = _NpAdam(self.G.W + self.G.b, self.G.gW + self.G.gb)
        self.opt_d = _NpAdam(self.D.W + self.D.b, self.D.gW + self.D.gb)
        self.data = data
        b = cfg["batch"]
        self.s = np.empty((b, 1), np.float32)  # scratch for the loss head
        self.gl = np.empty((b, 1), np.float32)
        self.inv_b = np.float32(1.0 / b)
        self.k = 0

    def _mm(self, a, b, out):
        if self.mm_log is not None:
            self.mm_log.append((a, b, out))
        np.matmul(a, b, out=out)

    def _bce_head(self, x, target: int):
        """Mean BCE-with-logits over the batch and its gradient d loss / d x, in self.gl.
        d/dx = (sigmoid(x) - y) / B, sigmoid(x) = (1 + tanh(x/2)) / 2 (no overflow)."""
        s, gl = self.s, self.gl
        np.multiply(x, 0.5, out=s)
        np.tanh(s, out=s)
        s += 1
        s *= 0.5  # sigmoid(x)
        np.subtract(s, target, out=gl)
        gl *= self.inv_b
        # loss value, as the frameworks compute it: softplus(-x) for y=1, softplus(x) for y=0
        z = -x if target else x
        return float(np.mean(np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))))

    def step(self) -> None:
        i = self.k % N_BATCHES
        self.k += 1
        real, zd, zg = self.data["real"][i], self.data["zd"][i], self.data["zg"][i]
        G, D = self.G, self.D
        # D step: fake = G(zd) detached; loss = BCE(D(real), 1) + BCE(D(fake), 0)
        fake = G.forward(zd)
        D.forward(real)
        self._bce_head(D.A[-1], 1)
        D.backward(self.gl, input_grad=False, accumulate=False)
        D.forward(fake)
        self._bce_head(D.A[-1], 0)
        D.backward(self.gl, input_grad=False, accumulate=True)
        self.opt_d.step()
        # G step: BCE(D(G(zg)), 1); D's parameter grads are computed too, as autograd does
        fake = G.forward(zg)
        D.forward(fake)
        self._bce_head(D.A[-1], 1)
        gx = D.backward(self.gl, input_grad=True, accumulate=False)
        G.backward(gx, input_grad=False, accumulate=False)
        self.opt_g.step()

    def params(self) -> list:
        return [a.copy() for net in (self.G, self.D) for wb in zip(net.W, net.b) for a in wb]

    def sync(self) -> None:
        pass

    def matmul_seconds(self, repeats: int = 20) -> tuple[float, int, float]:
        """Seconds per step spent in matmuls alone (the step's matmuls replayed on the
        same buffers), their count, and the step's multiply-add count."""
        self.mm_log = []
        self.step()
        log, self.mm_log = self.mm_log, None
        flops = sum(a.shape[0] * a.shape[1] * b.shape[1] for a, b, _ in log)

        def replay():
            for a, b, out in log:
                np.matmul(a, b, out=out)

        replay()
        samples = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            replay()
            samples.append(time.perf_counter() - t0)
        return float(np.median(samples)), len(log), float(flops)


IMPLS = {"minigan": MiniganStep, "torch": TorchStep, "numpy": NumpyStep}


# ---- checks, timing, profile ----------------------------------------------------------
def check_same(cfg: dict, names: list, device: str, steps: int = 3, tol: float = 1e-4) -> dict:
    """Max |param - torch param| after ``steps`` steps from one init, per implementation."""
    init, data = make_init(cfg), make_data(cfg)
    runs = {}
    for n in names:
        impl = IMPLS[n](cfg, init, data, device)
        for _ in range(steps):
            impl.step()
        runs[n] = impl.params()
    out = {}
    for n in names:
        if n == "torch":
            continue
        diff = max(float(np.max(np.abs(a.astype(np.float64) - b))) for a, b in zip(runs[n], runs["torch"]))
        dtypes = sorted({str(a.dtype) for a in runs[n]})
        out[n] = {"max_abs_diff": diff, "ok": diff <= tol and dtypes == ["float32"], "dtypes": dtypes}
    return out


def profile_minigan(cfg: dict, steps: int = 20, top: int = 18) -> dict:
    """cProfile of minigan's step: top functions by own time, and the number of ops
    (Tensor._apply calls, forward and backward) per step."""
    impl = MiniganStep(cfg, make_init(cfg), make_data(cfg))
    for _ in range(3):
        impl.step()
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(steps):
        impl.step()
    prof.disable()
    st = pstats.Stats(prof)
    total = st.total_tt
    rows = []
    ops = 0
    for (file, line, func), (cc, nc, tt, ct, _callers) in st.stats.items():
        where = f"{file.split('/minigan/')[-1] if '/minigan/' in file else file.split('/')[-1]}:{line}({func})"
        if func == "_apply" and file.endswith("tensor.py"):
            ops = nc / steps
        rows.append({"function": where, "calls_per_step": nc / steps, "tottime_share": tt / total,
                     "cumtime_share": ct / total})
    rows.sort(key=lambda r: -r["tottime_share"])
    s = io.StringIO()
    pstats.Stats(prof, stream=s).sort_stats("tottime").print_stats(top)
    return {"ops_per_step": ops, "profiled_s_per_step": total / steps, "top": rows[:top],
            "text": s.getvalue()}


def float_audit(cfg: dict) -> dict:
    """Dtypes of every array minigan's step makes (op results and wrapped constants): all
    should be float32 (bool masks aside); catches float64 promotions."""
    import minigan  # noqa: F401

    T = sys.modules["minigan.tensor"]  # (minigan.tensor the attribute is the factory)

    impl = MiniganStep(cfg, make_init(cfg), make_data(cfg))
    seen: dict = {}
    real_apply, real_wrap = T._apply, T.Tensor._wrap

    def count(kind, t):
        key = f"{kind}->{t.array.dtype}"
        seen[key] = seen.get(key, 0) + 1
        return t

    def apply(op, ctx, *inputs):
        return count(op.name, real_apply(op, ctx, *inputs))

    # ops bind _apply by name at import: patch it in every minigan module that has it
    mods = [m for name, m in list(sys.modules.items())
            if name.startswith("minigan") and getattr(m, "_apply", None) is real_apply]
    try:
        for m in mods:
            m._apply = apply
        T.Tensor._wrap = staticmethod(lambda array: count("_wrap", real_wrap(array)))
        impl.step()
    finally:
        for m in mods:
            m._apply = real_apply
        T.Tensor._wrap = staticmethod(real_wrap)
    params = {str(p.array.dtype) for p in impl._params()}
    grads = {str(p.grad.array.dtype) for p in impl._params() if p.grad is not None}
    non32 = {k: v for k, v in seen.items() if not k.endswith(("float32", "bool"))}
    return {"arrays_by_op_and_dtype": dict(sorted(seen.items())), "non_float32": non32,
            "param_dtypes": sorted(params), "grad_dtypes": sorted(grads)}


def bound_of(t_mg: float, t_np: float, t_mm: float) -> tuple[str, dict]:
    """Split minigan's step into BLAS (matmuls alone), elementwise work and memory traffic
    (the rest of the hand-NumPy floor) and Python/per-op overhead (minigan - floor)."""
    blas = t_mm
    elem = max(t_np - t_mm, 0.0)
    over = max(t_mg - t_np, 0.0)
    tot = blas + elem + over
    shares = {"blas": blas / tot, "elementwise_memory": elem / tot, "python_overhead": over / tot}
    label = {"blas": "BLAS (matmuls)", "elementwise_memory": "elementwise / memory traffic",
             "python_overhead": "Python / per-op overhead"}[max(shares, key=shares.get)]
    return label, shares


def run_config(name: str, cfg: dict, names: list, rounds: int, block_s: float, device: str) -> dict:
    init, data = make_init(cfg), make_data(cfg)
    impls = {n: IMPLS[n](cfg, init, data, device) for n in names}

    def runner(impl):
        def fn():
            impl.step()
        return fn

    fns = {n: runner(impl) for n, impl in impls.items()}
    for impl in impls.values():  # warm up (allocator, BLAS threads, caches)
        for _ in range(3):
            impl.step()
        impl.sync()
    if device != "cpu":
        # a GPU runs asynchronously: calibrate on synchronised steps, and time blocks of
        # steps with a synchronisation before each clock reading
        def synced(impl):
            def fn():
                impl.step()
                impl.sync()
            return fn

        block = {n: calibrate(synced(impls[n]), block_s, max_n=2000) for n in names}
        times = {n: [] for n in names}
        for _ in range(rounds):
            for n in names:
                impls[n].sync()
                t0 = time.perf_counter()
                for _ in range(block[n]):
                    impls[n].step()
                impls[n].sync()
                times[n].append((time.perf_counter() - t0) / block[n])
    else:
        block = {n: calibrate(fns[n], block_s, max_n=2000) for n in names}
        times = interleaved(fns, rounds, block)
    res = {"config": cfg, "block_steps": block, "impls": {n: summarize(times[n]) for n in names},
           "samples_s": times}
    med = {n: res["impls"][n]["median_s"] for n in names}
    if "torch" in med and "minigan" in med:
        res["ratio_vs_torch"] = med["minigan"] / med["torch"]
    if "numpy" in med and "minigan" in med:
        res["ratio_vs_numpy"] = med["minigan"] / med["numpy"]
    if "numpy" in impls:
        t_mm, n_mm, flops = impls["numpy"].matmul_seconds()
        res["numpy_matmul_s"] = t_mm
        res["matmuls_per_step"] = n_mm
        res["multiply_adds_per_step"] = flops
        res["blas_share_of_numpy_step"] = t_mm / med["numpy"]
        if "minigan" in med:
            res["bound"], res["time_shares_of_minigan_step"] = bound_of(med["minigan"], med["numpy"], t_mm)
    return res


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--configs", default=",".join(CONFIGS), help=f"comma list of {list(CONFIGS)}")
    ap.add_argument("--rounds", type=int, default=9, help="interleaved rounds (median over them)")
    ap.add_argument("--block-seconds", type=float, default=0.25, help="target seconds per timed block")
    ap.add_argument("--impls", default="minigan,torch,numpy")
    ap.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    ap.add_argument("--threads", type=int, default=None,
                    help="BLAS threads for NumPy and PyTorch alike (default: what NumPy's BLAS uses)")
    ap.add_argument("--quick", action="store_true", help="smoke run: 3 rounds of short blocks")
    ap.add_argument("--profile", action="store_true", help="also cProfile minigan's step per config")
    ap.add_argument("--no-check", action="store_true", help="skip the same-computation check")
    ap.add_argument("--out", default=None, help="default: results/step.json (step_cuda.json with --device cuda)")
    args = ap.parse_args(argv)
    if args.out is None:
        args.out = str(RESULTS / ("step.json" if args.device == "cpu" else "step_cuda.json"))
    if args.quick:
        args.rounds, args.block_seconds = min(args.rounds, 3), 0.02
    configs = [c.strip() for c in args.configs.split(",") if c.strip()]
    for c in configs:
        if c not in CONFIGS:
            ap.error(f"unknown config {c!r}; choose from {list(CONFIGS)}")
    names = [n.strip() for n in args.impls.split(",") if n.strip()]

    import torch

    if args.device == "cuda":
        from minigan.backend import cuda

        problems = []
        if not cuda.is_available():
            problems.append(f"minigan: {cuda.unavailable_reason()}")
        if "torch" in names and not torch.cuda.is_available():
            problems.append("PyTorch: torch.cuda.is_available() is False")
        if problems:
            print("step.py --device cuda needs a CUDA device, and there is none here:\n  "
                  + "\n  ".join(problems) + "\nRun without --device (CPU) instead.", file=sys.stderr)
            return 2
        names = [n for n in names if n != "numpy"]  # the hand-NumPy floor is a CPU thing

    threads = set_numpy_threads(args.threads) if args.threads else numpy_blas_threads()
    torch_threads = set_torch_threads(threads)
    info = machine_info(torch_threads)
    info["numpy_blas_threads"] = threads
    if args.device == "cuda":
        from minigan.backend import cuda

        props = cuda.require().cuda.runtime.getDeviceProperties(0)
        name = props["name"]
        info["gpu"] = name.decode() if isinstance(name, bytes) else str(name)
        print(f"# GPU: {info['gpu']}")
    print(f"# {info['cpu']}, {info['cores']} cores; numpy {info['numpy']} "
          f"({info['blas'].get('name')} {info['blas'].get('version')}, {threads} threads, "
          f"OPENBLAS_CORETYPE={info['blas'].get('openblas_coretype')}); torch {info['torch']} "
          f"({torch_threads} threads); Python {info['python']}")

    results = {"machine": info, "device": args.device, "rounds": args.rounds, "quick": args.quick,
               "step": "Algorithm 1, k=1: D on real+detached fake, then G non-saturating; Adam(2e-4, (0.5, 0.999))",
               "configs": {}}
    rows = []
    for c in configs:
        cfg = CONFIGS[c]
        entry = {}
        if not args.no_check and "torch" in names:
            entry["check"] = check_same(cfg, names, args.device)
            for n, chk in entry["check"].items():
                flag = "ok" if chk["ok"] else "MISMATCH"
                print(f"[{c}] {n} vs torch after 3 steps: max |diff| = {chk['max_abs_diff']:.2e} "
                      f"({flag}, dtypes {chk['dtypes']})")
        entry.update(run_config(c, cfg, names, args.rounds, args.block_seconds, args.device))
        if args.profile and "minigan" in names and args.device == "cpu":
            entry["profile"] = profile_minigan(cfg)
            entry["float_audit"] = float_audit(cfg)
            entry["ops_per_step"] = entry["profile"]["ops_per_step"]
        results["configs"][c] = entry
        med = {n: entry["impls"][n]["median_s"] for n in names}
        rows.append([
            c, f"{cfg['z']}/{cfg['h']}/{cfg['out']}/{cfg['batch']}",
            *(fmt_time(med[n]) for n in names),
            f"{entry.get('ratio_vs_torch', float('nan')):.2f}",
            f"{entry.get('ratio_vs_numpy', float('nan')):.2f}",
            f"{entry.get('blas_share_of_numpy_step', float('nan')):.0%}",
            entry.get("bound", "-"),
        ])
        print(f"[{c}] " + ", ".join(f"{n} {fmt_time(med[n])}" for n in names), flush=True)
    print()
    print(table(["config", "z/h/out/batch", *names, "minigan/torch", "minigan/numpy",
                 "BLAS share (numpy)", "bound"], rows))
    out = write_json(results, args.out)
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
