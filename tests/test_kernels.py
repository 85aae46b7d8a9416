"""Checks of the CUDA kernels in kernels/ that need no GPU.

1. nvcc compiles every kernels/*.cu (and the source minigan hands to NVRTC) to PTX for the
   lowest architecture this nvcc supports and sm_80, and to a cubin for sm_90, with warnings
   as errors.
2. The kernel bodies run on the CPU: tests/kernel_host/host_launch.cpp #includes the .cu
   files unchanged, emulates threadIdx/blockIdx/blockDim/gridDim and walks the grid. Through
   ctypes the tests check the arithmetic against float64/mpmath references in ulps, ±inf and
   NaN exactly, and the grid-stride index math (every index visited once, nothing written
   past n) for grids smaller and larger than n.
3. The wheel ships minigan/kernels/*.cu and importlib.resources finds them once installed.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
KERNEL_DIR = ROOT / "kernels"
HOST_DIR = Path(__file__).resolve().parent / "kernel_host"
CU_FILES = sorted(p.name for p in KERNEL_DIR.glob("*.cu"))
ENTRY_POINTS = {
    "log_sigmoid.cu": ["log_sigmoid_forward", "log_sigmoid_backward"],
    "bce_with_logits.cu": ["bce_with_logits_forward", "bce_with_logits_backward"],
}
NVCC = shutil.which("nvcc")
CXX = shutil.which("g++") or shutil.which("c++")
MAX_ULP = 4

_spec = importlib.util.spec_from_file_location("kernel_reference", HOST_DIR / "reference.py")
ref = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ref)


# --------------------------------------------------------------------------------------
# 1. nvcc: PTX / cubin with warnings as errors
# --------------------------------------------------------------------------------------

NVCC_FLAGS = [
    "-std=c++17",
    "--fmad=false",  # as minigan.backend.kernels.NVRTC_OPTIONS
    "-Werror",
    "all-warnings",
    "-Xcompiler",
    "-Wall,-Wextra,-Werror",
    f"-I{KERNEL_DIR}",
]


def _lowest_arch() -> str:
    """sm_70 when this nvcc accepts it; otherwise the lowest architecture it lists.

    nvcc 13.0 dropped Volta: `nvcc -arch=sm_70` fails with "Unsupported gpu architecture
    'sm_70'" and `nvcc --list-gpu-arch` starts at compute_75, so there PTX is built for sm_75.
    """
    listed = subprocess.run(
        [NVCC, "--list-gpu-arch"], check=True, capture_output=True, text=True
    ).stdout
    archs = sorted(int(m) for m in re.findall(r"compute_(\d+)", listed))
    return "sm_70" if 70 in archs else f"sm_{archs[0]}"


# (id, output kind, arch); "lowest" resolves to _lowest_arch()
TARGETS = [("ptx-lowest", "ptx", "lowest"), ("ptx-sm_80", "ptx", "sm_80"),
           ("cubin-sm_90", "cubin", "sm_90")]


@pytest.fixture(scope="session")
def nvcc_builds(tmp_path_factory) -> dict:
    """Compiles every kernels/*.cu for every target once: {(file, target id): result}."""
    if NVCC is None:
        pytest.skip("nvcc not found on PATH: CUDA compilation checks need the CUDA toolkit")
    out_dir = tmp_path_factory.mktemp("nvcc")
    lowest = _lowest_arch()
    results = {}
    for cu in CU_FILES:
        for target_id, kind, arch in TARGETS:
            arch = lowest if arch == "lowest" else arch
            out = out_dir / f"{Path(cu).stem}-{arch}.{kind}"
            cmd = [NVCC, f"-arch={arch}", f"-{kind}", *NVCC_FLAGS, str(KERNEL_DIR / cu),
                   "-o", str(out)]
            proc = subprocess.run(cmd, check=False, capture_output=True, text=True)
            results[cu, target_id] = (arch, out, proc, cmd)
    return results


@pytest.mark.parametrize("target_id", [t[0] for t in TARGETS])
@pytest.mark.parametrize("cu", CU_FILES)
def test_nvcc_compiles_kernels(nvcc_builds, cu, target_id):
    arch, out, proc, cmd = nvcc_builds[cu, target_id]
    assert proc.returncode == 0, f"{' '.join(cmd)} failed:\n{proc.stdout}\n{proc.stderr}"
    assert proc.stderr.strip() == "", f"nvcc printed diagnostics for {arch}:\n{proc.stderr}"
    data = out.read_bytes()
    for base in ENTRY_POINTS[cu]:
        for suffix in ("f32", "f64"):
            name = f"{base}_{suffix}"
            if target_id.startswith("ptx"):
                # extern "C": the entry keeps its plain, unmangled name
                assert re.search(rf"\.entry {name}\(".encode(), data), f"{name} not in PTX"
            else:
                assert name.encode() in data, f"{name} not in the {arch} cubin"


def test_nvcc_rejects_or_builds_sm70():
    """Records what this nvcc does with sm_70 (CUDA 13 removed it; CUDA 12 still builds it)."""
    if NVCC is None:
        pytest.skip("nvcc not found on PATH: CUDA compilation checks need the CUDA toolkit")
    lowest = _lowest_arch()
    proc = subprocess.run(
        [NVCC, "-arch=sm_70", "-ptx", "-o", os.devnull, str(KERNEL_DIR / CU_FILES[0]),
         f"-I{KERNEL_DIR}"], check=False, capture_output=True, text=True,
    )
    if lowest == "sm_70":
        assert proc.returncode == 0, proc.stderr
    else:
        assert proc.returncode != 0 and "sm_70" in proc.stderr, proc.stderr


def test_nvrtc_source_compiles(tmp_path):
    """The source minigan hands to NVRTC (headers inlined) is self-contained and compiles."""
    if NVCC is None:
        pytest.skip("nvcc not found on PATH: CUDA compilation checks need the CUDA toolkit")
    from minigan.backend.kernels import kernel_source

    for cu in CU_FILES:
        src = kernel_source(cu)
        assert '#include "' not in src, "a local #include was not inlined"
        path = tmp_path / cu  # compiled away from kernels/, so no header can be found there
        path.write_text(src)
        proc = subprocess.run(
            [NVCC, "-arch=sm_80", "-ptx", *NVCC_FLAGS[:-1], str(path), "-o",
             str(path.with_suffix(".ptx"))], check=False, capture_output=True, text=True,
        )
        assert proc.returncode == 0, proc.stderr


# --------------------------------------------------------------------------------------
# 2. Kernel bodies run on the host
# --------------------------------------------------------------------------------------

class HostKernels:
    """ctypes front end of tests/kernel_host/host_launch.cpp."""

    def __init__(self, lib: ctypes.CDLL):
        self.lib = lib
        vp, ll, ui = ctypes.c_void_p, ctypes.c_longlong, ctypes.c_uint
        lib.host_count_visits.argtypes = [vp, ll]
        lib.host_negative_visits.restype = ll
        for sfx, scalar in (("f32", ctypes.c_float), ("f64", ctypes.c_double)):
            getattr(lib, f"host_log_sigmoid_forward_{sfx}").argtypes = [ui, ui, vp, vp, ll]
            getattr(lib, f"host_log_sigmoid_backward_{sfx}").argtypes = [ui, ui, vp, vp, vp, ll]
            getattr(lib, f"host_bce_with_logits_forward_{sfx}").argtypes = [
                ui, ui, vp, vp, vp, vp, vp, ll]
            getattr(lib, f"host_bce_with_logits_backward_{sfx}").argtypes = [
                ui, ui, vp, vp, vp, vp, vp, scalar, vp, ll]

    def run(self, kernel: str, x: np.ndarray, *others, scale=None, grid=None, block=256,
            out: np.ndarray | None = None, n: int | None = None) -> np.ndarray:
        """Launches host_<kernel>_<f32|f64> over n = x.size elements (grid defaults to
        ceil(n / block)); ``others`` are the optional arrays in kernel order (None = null)."""
        sfx = {np.float32: "f32", np.float64: "f64"}[x.dtype.type]
        n = x.size if n is None else n
        if out is None:
            out = np.empty_like(x)
        grid = max(1, -(-n // block)) if grid is None else grid
        arrays = [x, *others]
        for a in arrays:
            assert a is None or (a.dtype == x.dtype and a.flags.c_contiguous)
        ptrs = [None if a is None else a.ctypes.data for a in arrays]
        args = [grid, block, *ptrs]
        if scale is not None:
            args.append(scale)
        getattr(self.lib, f"host_{kernel}_{sfx}")(*args, out.ctypes.data, n)
        return out


@pytest.fixture(scope="session")
def host(tmp_path_factory) -> HostKernels:
    """Builds the host harness (kernel sources included unchanged) as a shared library."""
    if CXX is None:
        pytest.skip("no C++ compiler (g++/c++) on PATH to build the host kernel harness")
    lib = tmp_path_factory.mktemp("kernel_host") / "libmg_kernels_host.so"
    cmd = [CXX, "-std=c++17", "-O2", "-fPIC", "-shared", "-Wall", "-Wextra", "-Werror",
           "-fno-fast-math", "-ffp-contract=off",  # no FMA: matches --fmad=false on device
           f"-I{KERNEL_DIR}", str(HOST_DIR / "host_launch.cpp"), "-o", str(lib)]
    proc = subprocess.run(cmd, check=False, capture_output=True, text=True)
    assert proc.returncode == 0, f"{' '.join(cmd)} failed:\n{proc.stderr}"
    return HostKernels(ctypes.CDLL(str(lib)))


def _logits(dtype) -> np.ndarray:
    """Finite logits over [-1e4, 1e4]: log-spaced magnitudes (subnormal to 1e4) of both
    signs, a dense grid on [-40, 40], zeros, and the edges of exp's range."""
    tiny = float(np.finfo(dtype).smallest_subnormal)
    lo = -44 if dtype == np.float32 else -320
    mags = np.concatenate([
        np.logspace(lo, 4, 700), np.linspace(0, 40, 401)[1:],
        [tiny, 2 * tiny, float(np.finfo(dtype).smallest_normal), 1e4],
        [80, 87, 88, 88.7, 89, 90, 103, 104, 105, 700, 709, 710, 745, 746],
    ])
    mags = np.unique(mags.astype(dtype))
    return np.concatenate([mags, -mags, np.array([0.0, -0.0], dtype)]).astype(dtype)


def _soft_targets(rng, dtype) -> np.ndarray:
    eps = float(np.finfo(dtype).eps)
    fixed = [0.5, 0.25, 0.75, 1e-3, 0.999, eps / 2, 1 - eps / 2, 0.1]
    return np.concatenate([fixed, rng.uniform(0, 1, 4)]).astype(dtype)


def _cases(dtype, targets: str, rng):
    """Yields (label, x, y, w, p, g, scale): every logit paired with every target value, for
    each combination of weight / pos_weight / incoming grad present or absent."""
    base = _logits(dtype)
    ys = np.array([0.0, 1.0], dtype) if targets == "hard" else _soft_targets(rng, dtype)
    x = np.tile(base, ys.size)
    y = np.repeat(ys, base.size)
    n = x.size
    for w_on, p_on, g_on in [(0, 0, 0), (1, 0, 0), (0, 1, 0), (1, 1, 1)]:
        w = rng.uniform(0.1, 10, n).astype(dtype) if w_on else None
        p = None
        if p_on:
            p = np.exp(rng.uniform(np.log(0.1), np.log(10), n)).astype(dtype)
            p[::7] = 1
        g = rng.uniform(-3, 3, n).astype(dtype) if g_on else None
        scale = 1.0 if not g_on else float(dtype(1.0 / 1000))
        label = f"{targets} w={'y' if w_on else 'n'} p={'y' if p_on else 'n'} g={'y' if g_on else 'n'}"
        yield label, x, y, w, p, g, scale


def _check_ulps(what: str, got, expected, dtype, factor=1.0, size=None,
                summary=None) -> float:
    """Asserts |got - expected| <= MAX_ULP ulp(bound), bound = |expected| or, when ``size`` is
    given, |factor| size; returns the max over the entries checked that way, and records it.

    ``factor`` is the product of the multiplicative inputs (w, g, scale). The ulp bound is
    asserted where both the bound and the unweighted core (bound / |factor|) are normal
    floats: when the core is subnormal (x in about [87, 104] for float32, where exp(-|x|) is
    subnormal) its relative precision is already gone before w, g, scale multiply it, and no
    ordering of the arithmetic recovers it. There, and below the normal range, the test asserts
    |err| <= MAX_ULP (ulp(bound) + |factor| * smallest subnormal) instead.
    """
    assert not np.isnan(got).any(), f"{what}: NaN output for non-NaN input"
    factor = np.abs(np.broadcast_to(np.asarray(factor, np.float64), expected.shape))
    bound = np.abs(expected) if size is None else factor * size
    with np.errstate(divide="ignore", invalid="ignore"):
        core = np.where(factor > 0, bound / factor, 0.0)
    checked = ref.is_normal(bound, dtype) & ref.is_normal(core, dtype)
    err = np.abs(got.astype(np.float64) - expected)
    err_ulp = err / ref.ulp(bound, dtype)
    worst = float(err_ulp[checked].max()) if checked.any() else 0.0
    i = int(np.argmax(np.where(checked, err_ulp, -1)))
    assert worst <= MAX_ULP, (
        f"{what}: max error {worst:.2f} ulp > {MAX_ULP} at element {i}: "
        f"got {got[i]!r}, expected {expected[i]!r}"
    )
    rest = ~checked
    if rest.any():
        tiny = float(np.finfo(dtype).smallest_subnormal)
        allowed = MAX_ULP * (ref.ulp(bound, dtype) + factor * tiny)
        j = int(np.argmax(np.where(rest, err / allowed, -1)))
        assert err[j] <= allowed[j], (
            f"{what}: near/below the normal range, error {err[j]:.3g} > {allowed[j]:.3g} "
            f"at element {j}: got {got[j]!r}, expected {expected[j]!r}"
        )
    if summary is not None:
        summary[what] = max(summary.get(what, 0.0), worst)
    return worst


ULP_SUMMARY: dict[str, float] = {}


@pytest.fixture(scope="module", autouse=True)
def _print_ulp_summary():
    yield
    if ULP_SUMMARY:
        lines = [f"  {k:<44} {v:5.2f} ulp" for k, v in sorted(ULP_SUMMARY.items())]
        print("\nmax ulp errors of the host-run kernels (float32 unless noted):\n" +
              "\n".join(lines))


def _factor(w, g, scale) -> np.ndarray | float:
    """|scale g w|, the multiplicative inputs of a loss or gradient (1 when absent)."""
    f = abs(float(scale))
    for a in (w, g):
        if a is not None:
            f = f * np.abs(a.astype(np.float64))
    return f


@pytest.mark.parametrize("targets", ["hard", "soft"])
def test_bce_forward_float32_ulps(host, targets):
    """Loss within 4 ulp of the float64 reference wherever it is a normal float32."""
    rng = np.random.default_rng(1)
    for label, x, y, w, p, _g, _s in _cases(np.float32, targets, rng):
        got = host.run("bce_with_logits_forward", x, y, w, p)
        expected = ref.bce_with_logits(x, y, w, p)
        _check_ulps(f"bce loss ({targets} targets)", got, expected, np.float32,
                    factor=_factor(w, None, 1.0), summary=ULP_SUMMARY)
        assert np.isfinite(got).all(), label


@pytest.mark.parametrize("targets", ["hard", "soft"])
def test_bce_backward_float32_ulps(host, targets):
    """Gradient within 4 ulp of the true value for hard targets; for soft targets within
    4 ulp of |scale g w| max(c σ(x), p y) (= max(σ(x), y) when p = w = g = scale = 1), the
    size of the two terms whose difference is the gradient."""
    rng = np.random.default_rng(2)
    for label, x, y, w, p, g, scale in _cases(np.float32, targets, rng):
        got = host.run("bce_with_logits_backward", x, y, w, p, g, scale=scale)
        expected = ref.bce_with_logits_grad(x, y, w, p, g, scale)
        factor = _factor(w, g, scale)
        if targets == "hard":
            _check_ulps("bce grad (hard targets)", got, expected, np.float32, factor=factor,
                        summary=ULP_SUMMARY)
        else:
            y64 = y.astype(np.float64)
            p64 = np.ones(x.shape) if p is None else p.astype(np.float64)
            c = (1 - y64) + p64 * y64
            size = np.maximum(c * ref.sigmoid(x), p64 * y64)
            _check_ulps("bce grad (soft targets; ulp of max term)", got, expected,
                        np.float32, factor=factor, size=size, summary=ULP_SUMMARY)
            if p is None and w is None and g is None:  # the bound exactly as specified
                _check_ulps("bce grad (soft; ulp of max(sigmoid(x), y))", got, expected,
                            np.float32, size=np.maximum(ref.sigmoid(x), y64),
                            summary=ULP_SUMMARY)
        assert np.isfinite(got).all(), label


def test_log_sigmoid_float32_ulps(host):
    rng = np.random.default_rng(3)
    x = _logits(np.float32)
    got = host.run("log_sigmoid_forward", x)
    _check_ulps("log_sigmoid forward", got, ref.log_sigmoid(x), np.float32,
                summary=ULP_SUMMARY)
    got = host.run("log_sigmoid_backward", x, None)
    _check_ulps("log_sigmoid backward", got, ref.log_sigmoid_grad(x), np.float32,
                summary=ULP_SUMMARY)
    g = rng.uniform(-3, 3, x.size).astype(np.float32)
    got = host.run("log_sigmoid_backward", x, g)
    _check_ulps("log_sigmoid backward (with grad)", got, ref.log_sigmoid_grad(x, g),
                np.float32, factor=_factor(None, g, 1.0), summary=ULP_SUMMARY)


def test_references_match_definitions():
    """The float64 references agree with the definitions, evaluated by mpmath at 50 digits:
    loss = w (p y softplus(-x) + (1 - y) softplus(x)), dl/dx = w ((1 - y) σ(x) - p y σ(-x)),
    log σ(x) = -softplus(-x), d/dx log σ(x) = σ(-x)."""
    mpmath = pytest.importorskip("mpmath")
    mp = mpmath.mp
    mp.dps = 50  # tolerances: 1e-14 relative, plus 1e-300 where float64 underflows
    rng = np.random.default_rng(4)
    x = rng.choice(_logits(np.float32), 300).astype(np.float64)
    y = np.concatenate([rng.uniform(0, 1, 150), rng.integers(0, 2, 150)]).astype(np.float32)
    y = y.astype(np.float64)
    w = rng.uniform(0.1, 10, 300)
    p = rng.uniform(0.1, 10, 300)

    def softplus(v):
        return mpmath.log1p(mpmath.exp(v))

    def sig(v):
        return 1 / (1 + mpmath.exp(-v))

    loss = ref.bce_with_logits(x, y, w, p)
    grad = ref.bce_with_logits_grad(x, y, w, p)
    ls, lsg = ref.log_sigmoid(x), ref.log_sigmoid_grad(x)
    for i in range(x.size):
        xi, yi, wi, pi = (mpmath.mpf(float(v)) for v in (x[i], y[i], w[i], p[i]))
        true_loss = wi * (pi * yi * softplus(-xi) + (1 - yi) * softplus(xi))
        true_grad = wi * ((1 - yi) * sig(xi) - pi * yi * sig(-xi))
        size = wi * max(abs((1 - yi) * sig(xi)), abs(pi * yi * sig(-xi)))
        assert abs(loss[i] - true_loss) <= 1e-14 * abs(true_loss) + 1e-300, (x[i], y[i])
        assert abs(grad[i] - true_grad) <= 1e-14 * size + 1e-300, (x[i], y[i])
        assert abs(ls[i] + softplus(-xi)) <= 1e-14 * softplus(-xi) + 1e-300, x[i]
        assert abs(lsg[i] - sig(-xi)) <= 1e-14 * sig(-xi) + 1e-300, x[i]


def test_float64_kernels_against_mpmath(host):
    """float64 kernels within 4 float64 ulp of the mpmath value (loss, log σ and its
    gradient, hard-target gradient); soft-target gradient within 4 ulp of its larger term."""
    mpmath = pytest.importorskip("mpmath")
    mp = mpmath.mp
    mp.dps = 50
    rng = np.random.default_rng(5)
    x = rng.choice(_logits(np.float64), 600)
    y = np.concatenate([rng.uniform(0, 1, 300), rng.integers(0, 2, 300)])
    w = rng.uniform(0.1, 10, 600)
    p = rng.uniform(0.1, 10, 600)
    loss = host.run("bce_with_logits_forward", x, y, w, p)
    grad = host.run("bce_with_logits_backward", x, y, w, p, None, scale=1.0)
    ls = host.run("log_sigmoid_forward", x)
    lsg = host.run("log_sigmoid_backward", x, None)
    tiny = mpmath.mpf(float(np.finfo(np.float64).smallest_normal))

    def ulps(got, true, size=None):
        size = abs(true) if size is None else size
        if size < tiny:  # below the normal range: absolute, in subnormal spacings
            return float(abs(mpmath.mpf(float(got)) - true) / mpmath.mpf(2.0**-1074)) / 16
        return float(abs(mpmath.mpf(float(got)) - true)
                     / mpmath.ldexp(1, int(mpmath.floor(mpmath.log(size, 2))) - 52))

    worst = {"f64 bce loss": 0.0, "f64 bce grad (hard)": 0.0, "f64 bce grad (soft)": 0.0,
             "f64 log_sigmoid forward": 0.0, "f64 log_sigmoid backward": 0.0}
    for i in range(x.size):
        xi, yi, wi, pi = (mpmath.mpf(float(v)) for v in (x[i], y[i], w[i], p[i]))
        ci = (1 - yi) + pi * yi
        e = mpmath.exp(-abs(xi))
        s = e / (1 + e)
        sig_x = 1 / (1 + mpmath.exp(-xi))
        true_loss = wi * ((xi * (1 - yi) if xi >= 0 else -xi * pi * yi) + ci * mpmath.log1p(e))
        true_grad = wi * (ci * sig_x - pi * yi)
        worst["f64 bce loss"] = max(worst["f64 bce loss"], ulps(loss[i], true_loss))
        if y[i] in (0.0, 1.0):
            key, size = "f64 bce grad (hard)", None
        else:
            key, size = "f64 bce grad (soft)", wi * max(ci * sig_x, pi * yi)
        worst[key] = max(worst[key], ulps(grad[i], true_grad, size))
        true_ls = min(xi, 0) - mpmath.log1p(e)
        worst["f64 log_sigmoid forward"] = max(worst["f64 log_sigmoid forward"],
                                               ulps(ls[i], true_ls))
        true_lsg = s if xi >= 0 else 1 - s
        worst["f64 log_sigmoid backward"] = max(worst["f64 log_sigmoid backward"],
                                                ulps(lsg[i], true_lsg))
    ULP_SUMMARY.update(worst)
    assert max(worst.values()) <= MAX_ULP, worst


def test_infinities_exact(host):
    """x = ±inf gives exactly inf or 0, never NaN (inf * 0 never happens)."""
    inf = np.inf
    for dtype in (np.float32, np.float64):
        x = np.array([inf, inf, inf, -inf, -inf, -inf, inf, -inf], dtype)
        y = np.array([1.0, 0.0, 0.5, 0.0, 1.0, 0.5, 1.0, 0.0], dtype)
        w = np.full(x.shape, 3.0, dtype)
        p = np.full(x.shape, 2.5, dtype)
        expected_loss = [0, inf, inf, 0, inf, inf, 0, 0]
        for pw in (None, p):
            for ww in (None, w):
                loss = host.run("bce_with_logits_forward", x, y, ww, pw)
                assert loss.tolist() == expected_loss, (dtype, pw is not None, ww is not None)
                grad = host.run("bce_with_logits_backward", x, y, ww, pw, None, scale=0.5)
                pv = 1.0 if pw is None else 2.5
                wv = 1.0 if ww is None else 3.0
                # +inf: (1 - y) w scale; -inf: -p y w scale
                expected = [0.5 * wv * ((1 - yi) if xi > 0 else -pv * yi)
                            for xi, yi in zip(x.tolist(), y.tolist())]
                assert grad.tolist() == pytest.approx(expected, rel=1e-6, abs=0), dtype
                assert np.all((grad == 0) == (np.array(expected) == 0))
        xs = np.array([inf, -inf], dtype)
        assert host.run("log_sigmoid_forward", xs).tolist() == [0.0, -inf]
        assert host.run("log_sigmoid_backward", xs, None).tolist() == [0.0, 1.0]
        assert host.run("log_sigmoid_backward", xs, np.array([2.0, -3.0], dtype)).tolist() == [
            0.0, -3.0]


def test_nan_propagates(host):
    for dtype in (np.float32, np.float64):
        x = np.array([np.nan, 1.0], dtype)
        y = np.array([1.0, np.nan], dtype)
        assert np.isnan(host.run("bce_with_logits_forward", x, y, None, None)).all()
        assert np.isnan(host.run("bce_with_logits_backward", x, y, None, None, None,
                                 scale=1.0)).all()
        assert np.isnan(host.run("log_sigmoid_forward", x[:1])).all()
        assert np.isnan(host.run("log_sigmoid_backward", x[:1], None)).all()


SENTINEL = {np.float32: np.uint32(0x7FC0DEAD), np.float64: np.uint64(0x7FF8DEADBEEF0001)}
GUARD = 16
KERNEL_ARITY = {  # optional arrays after x and y (weight, pos_weight, grad)
    "log_sigmoid_forward": 0, "log_sigmoid_backward": 1,
    "bce_with_logits_forward": 2, "bce_with_logits_backward": 3,
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("kernel", list(KERNEL_ARITY))
def test_grid_stride_index_math(host, kernel, dtype):
    """For n in (0, 1, 1023, 1025) and grids smaller than, equal to and larger than n:
    every index < n is visited exactly once, the guard elements past n keep their sentinel
    bits, and the result equals the one-thread-per-element launch."""
    from minigan.backend.kernels import launch_config

    rng = np.random.default_rng(6)
    uint = {np.float32: np.uint32, np.float64: np.uint64}[dtype]
    for n in (0, 1, 1023, 1025):
        x = rng.uniform(-20, 20, n).astype(dtype)
        others = []
        if kernel.startswith("bce"):
            others.append(rng.uniform(0, 1, n).astype(dtype))  # y
        others += [rng.uniform(0.5, 2, n).astype(dtype) for _ in range(KERNEL_ARITY[kernel])]
        scale = 0.25 if kernel == "bce_with_logits_backward" else None
        expected = None
        grids = [(1, 1), (1, 32), (2, 256), (3, 100), (8, 256), (64, 256),
                 launch_config(n), launch_config(n, sm_count=1)]
        for grid, block in grids:
            out = np.empty(n + GUARD, dtype)
            out.view(uint)[:] = SENTINEL[dtype]
            visits = np.zeros(n + GUARD, np.int64)
            host.lib.host_count_visits(visits.ctypes.data, visits.size)
            try:
                host.run(kernel, x, *others, scale=scale, grid=grid, block=block, out=out, n=n)
            finally:
                host.lib.host_count_visits(None, 0)
            where = f"{kernel} n={n} grid={grid} block={block}"
            assert (visits[:n] == 1).all(), f"{where}: index visited {visits[:n].max()} times"
            assert host.lib.host_negative_visits() == 0, where
            assert (out[n:].view(uint) == SENTINEL[dtype]).all(), f"{where}: wrote past n"
            assert not (out[:n].view(uint) == SENTINEL[dtype]).any(), f"{where}: unwritten"
            if expected is None:
                expected = out[:n].copy()
            np.testing.assert_array_equal(out[:n], expected, err_msg=where)


def test_launch_config():
    from minigan.backend.kernels import MAX_BLOCKS, THREADS_PER_BLOCK, launch_config

    assert launch_config(0) == (1, THREADS_PER_BLOCK)
    assert launch_config(1) == (1, 256)
    assert launch_config(256) == (1, 256)
    assert launch_config(257) == (2, 256)
    assert launch_config(10**9) == (MAX_BLOCKS, 256)
    assert launch_config(10**7, sm_count=132) == (32 * 132, 256)
    assert launch_config(1000, sm_count=132) == (4, 256)


# --------------------------------------------------------------------------------------
# 3. Packaging: the .cu files ship in the wheel and are found by importlib.resources
# --------------------------------------------------------------------------------------

def _has_setuptools(major: int) -> bool:
    try:
        import setuptools
    except ImportError:
        return False
    return int(setuptools.__version__.split(".")[0]) >= major


def test_wheel_ships_kernel_sources(tmp_path):
    """`pip wheel .` (from a copy of the tree, so no build/ lands in the checkout) contains
    minigan/kernels/*.cu and *.cuh; installed from the wheel, importlib.resources finds them."""
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        if (ROOT / name).exists():
            shutil.copy(ROOT / name, src / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.so", "*.ptx", "*.cubin")
    shutil.copytree(ROOT / "minigan", src / "minigan", ignore=ignore)
    shutil.copytree(KERNEL_DIR, src / "kernels", ignore=ignore)
    wheels = tmp_path / "wheels"
    # build with the venv's setuptools when it is recent enough (fast, offline); otherwise
    # let pip fetch the build requirements into an isolated environment, as `make` does
    isolation = ["--no-build-isolation"] if _has_setuptools(68) else []
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", *isolation,
         "-w", str(wheels)], check=False, capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (wheel,) = wheels.glob("minigan-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for cu in CU_FILES + [p.name for p in KERNEL_DIR.glob("*.cuh")]:
        assert f"minigan/kernels/{cu}" in names, f"{cu} missing from {wheel.name}: {names}"

    site = tmp_path / "site"
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--target",
         str(site), str(wheel)], check=False, capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    probe = (
        "import importlib.resources as r, minigan.backend.kernels as k;"
        "names = sorted(p.name for p in r.files('minigan.kernels').iterdir());"
        "assert 'bce_with_logits.cu' in names and 'log_sigmoid.cu' in names, names;"
        "assert 'log1p' in k.kernel_source('bce_with_logits.cu');"
        "print(r.files('minigan.kernels'))"
    )
    env = {**os.environ, "PYTHONPATH": str(site)}
    proc = subprocess.run([sys.executable, "-c", probe], check=False, capture_output=True, text=True,
                          env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert str(site) in proc.stdout, f"found the kernels outside the wheel: {proc.stdout}"


def test_kernel_sources_found_in_current_install():
    """In the environment running the tests, minigan finds every .cu file: through
    importlib.resources when minigan is installed, else from the source checkout."""
    import importlib.resources

    from minigan.backend.kernels import kernel_source

    try:
        root = importlib.resources.files("minigan.kernels")
        found = {p.name for p in root.iterdir()}
    except ModuleNotFoundError:  # running from a checkout that was not pip-installed
        found = {p.name for p in KERNEL_DIR.iterdir()}
    assert set(CU_FILES) <= found
    for cu in CU_FILES:
        assert "extern \"C\" __global__" in kernel_source(cu)


@pytest.mark.cuda  # CuPy, or the stand-in of tests/cupy_standin
def test_kernel_wrappers_reject_numpy_arrays():
    """The CuPy entry points name the problem when handed NumPy arrays."""
    from minigan.backend import kernels

    x = np.zeros(3, np.float32)
    with pytest.raises(TypeError, match=r"x must be a cupy\.ndarray.*numpy\.ndarray"):
        kernels.bce_with_logits_forward(x, x)
    with pytest.raises(TypeError, match="cupy.ndarray"):
        kernels.log_sigmoid_forward(x)
