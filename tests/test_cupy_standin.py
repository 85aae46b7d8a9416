"""Self-test of the CuPy stand-in (tests/cupy_standin): it refuses what the real CuPy refuses,
mirrors CuPy's result shapes, flags and index wrapping, offers only CuPy's API (checked
against api_snapshot.json, made from a real CuPy), compiles kernels with CuPy's effective
options and runs them with flush-to-zero, and keeps arrays on their device.

These tests always use the stand-in (the ``cuda_standin`` fixture), on a GPU machine too.
"""
from __future__ import annotations

import inspect
import json
import re

import cupy_standin
import numpy as np
import pytest
from cupy_standin import _api, _raw

# ---- refusals ---------------------------------------------------------------------------

def test_not_a_numpy_subclass_and_no_implicit_device_to_host(cuda_standin):
    cp = cuda_standin
    a = cp.asarray(np.arange(3.0))
    assert not isinstance(a, np.ndarray) and type(a).__module__ == "cupy"
    with pytest.raises(TypeError, match="Implicit conversion to a NumPy array is not allowed"):
        np.asarray(a)
    with pytest.raises(TypeError, match="Implicit conversion"):
        np.array([a[0], a[1]])
    np.testing.assert_array_equal(a.get(), [0.0, 1.0, 2.0])  # explicit is fine
    assert float(a[1]) == 1.0 and a.sum().item() == 3.0


def test_numpy_operands_in_ufuncs_and_operators_are_refused(cuda_standin):
    cp = cuda_standin
    a = cp.ones(3, dtype=cp.float32)
    host = np.ones(3, np.float32)
    for fn in (lambda: cp.add(a, host), lambda: a + host, lambda: host + a, lambda: a * [1, 2, 3],
               lambda: cp.multiply(a, np.float32(2) * host), lambda: cp.exp(host),
               lambda: cp.concatenate([a, host]), lambda: cp.where(host > 0, a, a)):
        with pytest.raises(TypeError, match="Unsupported type"):
            fn()
    assert (a * np.float32(2) + 1).get().tolist() == [3, 3, 3]  # NumPy and Python scalars are fine


def test_host_values_in_setitem_are_refused(cuda_standin):
    cp = cuda_standin
    a = cp.zeros((2, 3))
    for value in (np.ones(3), [1.0, 2.0, 3.0], (1, 2, 3)):
        with pytest.raises(TypeError, match="Unsupported type"):
            a[0] = value
        with pytest.raises(TypeError, match="Unsupported type"):
            a[:, 0:2] = np.ones((2, 2))
    a[0] = cp.asarray([1.0, 2.0, 3.0])
    a[1, 1] = 5.0
    a[1, 2] = np.float64(7.0)
    assert a.get().tolist() == [[1, 2, 3], [0, 5, 7]]


def test_shapes_and_flags_as_cupy(cuda_standin):
    cp = cuda_standin
    a = cp.arange(6, dtype=cp.float32).reshape(2, 3)
    s = a.sum()
    assert isinstance(s, cp.ndarray) and s.shape == ()  # a 0-d array, never a NumPy scalar
    assert isinstance(a.max(axis=None), cp.ndarray) and isinstance(a[0, 0], cp.ndarray)
    assert isinstance(cp.exp(a[0, 0]), cp.ndarray)
    row = a[0]
    row[0] = 10.0  # basic indexing is a view
    assert a[0, 0].item() == 10.0
    a[1, 2][...] = 9.0  # so is a 0-d element
    assert a.get()[1, 2] == 9.0
    assert cp.ascontiguousarray(s).shape == (1,)  # as CuPy (and NumPy): ndim >= 1
    flags = a.T.flags
    assert not flags.c_contiguous and flags.f_contiguous
    assert not hasattr(flags, "writeable") and not hasattr(flags, "aligned")
    assert _api.entry("cupy.ndarray.flags", "writeable") is None  # nor has the real one


def test_out_of_range_integer_array_indices_wrap_as_in_cupy(cuda_standin):
    cp = cuda_standin
    a = cp.arange(3.0)
    assert a[cp.asarray([3, 4, -4])].get().tolist() == [0.0, 1.0, 2.0]
    assert a[[5]].get().tolist() == [2.0]
    m = cp.zeros((2, 3))
    m[:, cp.asarray([4])] = 1.0  # wraps to column 1
    assert m.get()[:, 1].tolist() == [1.0, 1.0]
    with pytest.raises(IndexError):
        a[3]  # a basic integer index is checked


# ---- the API is the real CuPy's ---------------------------------------------------------

def test_every_offered_name_exists_in_the_real_cupy():
    snap = _api.snapshot()
    assert re.fullmatch(r"\d+\.\d+\.\d+\S*", snap["cupy_version"])
    assert len(snap["modules"]["cupy"]) > 400 and "ndarray" in snap["modules"]["cupy"]
    modules = cupy_standin.build_modules()
    for mod_name, mod in modules.items():
        for name in vars(mod):
            if name.startswith("_"):
                continue
            assert _api.entry(mod_name, name) is not None, f"{mod_name}.{name} is not in CuPy"
    nd = modules["cupy"].ndarray
    for name in vars(nd):
        if name.startswith("_") and not (name.startswith("__") and name.endswith("__")):
            continue
        if name in ("__dict__", "__weakref__", "__slots__", "__module__", "__doc__", "__hash__",
                    "__array_priority__", "_a", "_dev"):
            continue
        assert _api.entry("cupy.ndarray", name) is not None, f"cupy.ndarray.{name} is not in CuPy"
    for cls, owner in ((modules["cupy.cuda"].Device, "cupy.cuda.Device"),
                       (modules["cupy"].RawModule, "cupy.RawModule")):
        for name in vars(cls):
            if not name.startswith("_") or name in ("__enter__", "__exit__", "__call__"):
                assert _api.entry(owner, name) is not None, f"{owner}.{name} is not in CuPy"


def test_names_and_arguments_cupy_lacks_are_refused(cuda_standin):
    cp = cuda_standin
    missing = next(n for n in ("busday_count", "asmatrix", "recfromcsv", "byte_bounds")
                   if _api.entry("cupy", n) is None and hasattr(np, n))
    with pytest.raises(AttributeError):
        getattr(cp, missing)
    a = cp.ones((2, 2))
    with pytest.raises(TypeError, match="unexpected keyword|got an unexpected"):
        a.sum(axis=0, where=True)  # NumPy's sum takes where=, CuPy's does not
    with pytest.raises(TypeError):
        cp.zeros((2,), dtype=cp.float32, like=a)
    sig = _api.signature("cupy.ndarray", "sum")
    assert list(sig.parameters) == ["self", "axis", "dtype", "out", "keepdims"]


def test_snapshot_parser_reads_cython_docstring_signatures():
    import importlib.util
    from pathlib import Path

    path = Path(cupy_standin.__file__).with_name("make_snapshot.py")
    spec = importlib.util.spec_from_file_location("make_snapshot", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)

    class F:
        __doc__ = "_ndarray_base.astype(self, dtype, order='K', casting=None) -> _ndarray_base\n\nx"

    class G:
        __doc__ = "RawModule.get_function(self, str name)"

    assert [p[0] for p in mod._params_from_doc(F)] == ["self", "dtype", "order", "casting"]
    assert [p[0] for p in mod._params_from_doc(G)] == ["self", "name"]
    raw = json.loads(_api.SNAPSHOT.read_text())
    assert raw["classes"]["cupy.ndarray"]["get"]["params"][1][0] == "stream"


# ---- devices --------------------------------------------------------------------------------

def test_two_devices_current_device_and_no_peer_access(cuda_standin):
    cp = cuda_standin
    assert cp.cuda.runtime.getDeviceCount() == 2 and cp.cuda.runtime.getDevice() == 0
    a = cp.ones(3)
    with cp.cuda.Device(1):
        assert cp.cuda.runtime.getDevice() == 1
        b = cp.ones(3)
        assert b.device.id == 1 and a.device.id == 0
        with pytest.raises(ValueError, match="Peer access is unavailable"):
            a + 1  # a kernel on device 1 reading device 0's memory
        with pytest.raises(ValueError, match="Peer access"):
            b + a
        c = a.copy()  # copy() copies across devices into the current one
        assert c.device.id == 1
        assert cp.asarray(a) is a  # asarray does not move an array
        assert a.reshape(1, 3).device.id == 0  # a view stays where its data is
    assert cp.cuda.runtime.getDevice() == 0
    with pytest.raises(ValueError, match="Peer access"):
        b * 2
    with pytest.raises(Exception, match="invalid device ordinal"):
        cp.cuda.Device(2)


# ---- RawModule -------------------------------------------------------------------------------

SCALE_SRC = r'''
extern "C" __global__ void scale_f32(const float* x, float s, float* out, long long n) {
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n;
         i += (long long)blockDim.x * gridDim.x) out[i] = x[i] * s;
}
extern "C" __global__ void scale_f64(const double* x, double s, double* out, long long n) {
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n;
         i += (long long)blockDim.x * gridDim.x) out[i] = x[i] * s;
}
'''


def test_raw_module_effective_options_and_flush_to_zero(cuda_standin):
    cp = cuda_standin
    # CuPy appends -ftz=true after the user's options: -ftz=false cannot undo it
    assert _raw.flush_to_zero(_raw.effective_options(("-ftz=false",), "nvrtc"))
    assert not _raw.flush_to_zero(("-ftz=true", "-ftz=false"))
    mod = cp.RawModule(code=SCALE_SRC, options=("--fmad=false", "-ftz=false"))
    f32 = mod.get_function("scale_f32")
    assert mod.compiled_with == _raw.device_compiler()  # NVRTC if present, else nvcc
    x = cp.asarray(np.array([1e-20, 3.0, 2e-45, 1e-17], np.float32))  # 2e-45: a subnormal input
    out = cp.empty(4, dtype=cp.float32)
    f32((1,), (32,), (x, np.float32(1e-20), out, np.int64(4)))
    got = out.get()
    assert got[0] == 0 and got[2] == 0  # 1e-40 is subnormal in float32: flushed to zero
    assert got[1] == np.float32(3.0) * np.float32(1e-20) and got[3] != 0
    x64 = cp.asarray(np.array([1e-20, 2e-45]))
    out64 = cp.empty(2, dtype=cp.float64)
    mod.get_function("scale_f64")((1,), (32,), (x64, np.float64(1e-300), out64, np.int64(2)))
    assert out64.get()[0] == 1e-320 and out64.get()[0] != 0  # double is not flushed


def test_raw_module_checks_launches_against_the_kernel_signature(cuda_standin):
    cp = cuda_standin
    f = cp.RawModule(code=SCALE_SRC).get_function("scale_f32")
    x, out = cp.ones(4, dtype=cp.float32), cp.empty(4, dtype=cp.float32)
    with pytest.raises(Exception, match="named symbol not found"):
        cp.RawModule(code=SCALE_SRC).get_function("scale_f16")
    with pytest.raises(TypeError, match="takes 4 arguments"):
        f((1,), (32,), (x, np.float32(1), out))
    with pytest.raises(TypeError, match="points to float32 but the array has dtype float64"):
        f((1,), (32,), (cp.ones(4), np.float32(1), out, np.int64(4)))
    with pytest.raises(TypeError, match="numpy.float32 scalar, got float"):
        f((1,), (32,), (x, 1.0, out, np.int64(4)))  # CuPy would pass a double
    with pytest.raises(TypeError, match="numpy.int64 scalar, got int"):
        f((1,), (32,), (x, np.float32(1), out, 4))
    with pytest.raises(TypeError, match="cupy.ndarray or None, got numpy.ndarray"):
        f((1,), (32,), (np.ones(4, np.float32), np.float32(1), out, np.int64(4)))
    with pytest.raises(ValueError, match="not C-contiguous"):
        f((1,), (32,), (cp.ones((4, 2), dtype=cp.float32).T[0], np.float32(1), out, np.int64(4)))
    with cp.cuda.Device(1), pytest.raises(ValueError, match="on device 0"):
        f((1,), (32,), (x, np.float32(1), out, np.int64(4)))
    with pytest.raises(Exception, match="error"):
        cp.RawModule(code="extern \"C\" __global__ void broken(float* x) { x[0] = y; }").get_function("broken")


@pytest.mark.parametrize("kw", [{}, {"d_loss": "wasserstein", "gp_lambda": 10.0, "k_d": 3},
                                {"r1_gamma": 1.0, "k_g": 2}, {"d_loss": "wasserstein", "clip": 0.1},
                                {"batchnorm": True}])
def test_trainer_synchronises_the_device_once_per_iteration(cuda_standin, kw):
    """The Trainer keeps an iteration's losses, gradient norms and NaN/inf checks on the
    device and reads them back together: one device-to-host synchronisation per iteration,
    whatever the losses, penalties and number of steps."""
    import minigan as mg
    from minigan import gan, nn, optim

    kw = dict(kw)
    extra = [nn.BatchNorm1d(8, device="cuda"), nn.Dropout(0.1)] if kw.pop("batchnorm", False) else []
    mg.manual_seed(0)
    G = nn.Sequential(nn.Linear(2, 8, device="cuda"), *extra, nn.ReLU(), nn.Linear(8, 2, device="cuda"))
    D = nn.Sequential(nn.Linear(2, 8, device="cuda"), nn.ReLU(), nn.Linear(8, 1, device="cuda"))
    data = np.random.default_rng(0).standard_normal((64, 2))
    t = gan.Trainer(G, D, optim.Adam(G.parameters()), optim.Adam(D.parameters()), data, z_dim=2,
                    batch_size=16, **kw)
    t.train(1)
    before = cupy_standin.stats.syncs
    t.train(3)
    assert cupy_standin.stats.syncs - before == 3
    assert all(isinstance(v, float) for r in t.history for k, v in r.items() if k != "iteration")


def test_signatures_of_the_explicit_functions_fit_cupys(cuda_standin):
    """The functions written out by hand accept what CuPy's accept, by name."""
    cp = cuda_standin
    for name in ("asarray", "array", "ascontiguousarray", "from_dlpack", "asnumpy"):
        mine = inspect.signature(getattr(cp, name))
        real = _api.signature("cupy", name)
        assert list(mine.parameters) == list(real.parameters), name
    # the ndarray methods written by hand (operators aside: their operand is positional)
    for name, fn in vars(cp.ndarray).items():
        if not inspect.isfunction(fn) or name in ("__init__",) or (name.startswith("__") and name not in (
                "__array__", "__format__", "__getitem__", "__setitem__", "__dlpack__", "__float__")):
            continue
        real = _api.signature("cupy.ndarray", name)
        mine = list(inspect.signature(fn).parameters)
        if real is not None and mine != ["self", "args", "kwargs"]:  # those check each call
            assert mine == list(real.parameters), name


def test_minigans_float32_kernels_are_compiled_with_flush_to_zero():
    """What README's flush-to-zero statement rests on: compiled with the options CuPy uses,
    minigan's float32 kernels get .ftz instructions; the float64 ones cannot have any."""
    from minigan.backend.kernels import NVRTC_OPTIONS, kernel_source

    if _raw.device_compiler() is None:
        pytest.skip("neither NVRTC nor nvcc is available to compile for the device")
    ptx, _ = _raw.compile_for_device(kernel_source("log_sigmoid.cu"), NVRTC_OPTIONS, "nvrtc")
    bodies = dict(re.findall(r"\.entry (\w+)\((.*?)\n}", ptx, re.S))
    assert re.search(r"\.ftz\.f32", bodies["log_sigmoid_forward_f32"])
    # (double arithmetic has no flushing form; rcp.approx.ftz.f64 only seeds a division)
    assert not re.search(r"\b(add|sub|mul|fma|div)\.\w+\.ftz\.f64", bodies["log_sigmoid_forward_f64"])
    assert re.search(r"\b(add|mul|fma)\.rn\.f64", bodies["log_sigmoid_forward_f64"])
