"""``cupy.RawModule`` of the stand-in: compile for the device, then run on the host.

``get_function`` first compiles the exact source with the options CuPy would hand to its
compiler: the user's, then ``-ftz=true`` (CuPy's compiler.py appends it to every compile, after
the user's options, so it wins), the architecture and NVRTC's
``--device-as-default-execution-space``. NVRTC is used where libnvrtc can be loaded (the
``nvidia-cuda-nvrtc-cu12`` wheel, or ``MINIGAN_NVRTC_LIB``), else nvcc with the same
options. The kernel must be in the PTX, and each launch is checked against the kernel's
``__global__`` signature: argument count, pointer dtypes, exact scalar C types (CuPy passes a
Python float as a double whatever the kernel expects), arrays C-contiguous and on the current
device.

Then the same source, compiled by the host C++ compiler around
``tests/kernel_host/emulate.h``, runs the kernel on the CPU thread by thread. Flush-to-zero is
emulated for kernels whose floating-point types are all ``float``: the x86 MXCSR FTZ and DAZ
bits (AArch64: FPCR.FZ) are set for the launch, so subnormal float inputs read as zero and
subnormal results become zero, as ``-ftz=true`` does on the device. ``double`` is never
flushed on a GPU, so double kernels run without it; a kernel mixing both is refused.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import glob
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from . import _cuda

HOST_DIR = Path(__file__).resolve().parents[1] / "kernel_host"
ARCH = _cuda.COMPUTE_CAPABILITY
_CACHE = Path(tempfile.gettempdir()) / f"minigan-cupy-standin-{os.getuid() if hasattr(os, 'getuid') else 0}"
_GLOBAL = re.compile(r"__global__\s+void\s+(\w+)\s*\(([^)]*)\)", re.S)
_POINTER_DTYPES = {"float": np.float32, "double": np.float64, "int": np.int32,
                   "long long": np.int64, "unsigned int": np.uint32, "bool": np.bool_,
                   "signed char": np.int8, "unsigned char": np.uint8, "short": np.int16,
                   "long long int": np.int64, "__half": np.float16}
_SCALAR_TYPES = {"float": np.float32, "double": np.float64, "int": np.int32,
                 "long long": np.int64, "long long int": np.int64, "unsigned int": np.uint32,
                 "size_t": np.uint64, "bool": np.bool_, "unsigned long long": np.uint64}
_CTYPES = {np.float32: ctypes.c_float, np.float64: ctypes.c_double, np.int32: ctypes.c_int32,
           np.int64: ctypes.c_int64, np.uint32: ctypes.c_uint32, np.uint64: ctypes.c_uint64,
           np.bool_: ctypes.c_bool}


class CompileException(Exception):
    pass


CompileException.__module__ = "cupy.cuda.compiler"


class CUDADriverError(RuntimeError):
    pass


CUDADriverError.__module__ = "cupy_backends.cuda.api.driver"


def effective_options(options: tuple, backend: str) -> tuple:
    """The options CuPy 14 compiles with (cupy/cuda/compiler.py, _compile_with_cache_cuda
    and _compile_using_nvrtc): the user's, then -ftz=true, then the architecture."""
    out = tuple(options) + ("-ftz=true",)
    if backend == "nvrtc":
        out += (f"-arch=compute_{ARCH}", "--device-as-default-execution-space")
    else:
        out += (f"-arch=sm_{ARCH}",)
    return out


def flush_to_zero(options: tuple) -> bool:
    """The last -ftz/--ftz option wins, as with nvcc and NVRTC."""
    ftz = False
    for o in options:
        m = re.fullmatch(r"--?ftz=(true|false)", o)
        if m:
            ftz = m.group(1) == "true"
    return ftz


# ---- parsing the __global__ signatures -----------------------------------------------------

class Param:
    def __init__(self, text: str):
        t = " ".join(text.replace("__restrict__", " ").replace("const", " ").split())
        self.pointer = "*" in t
        t = t.replace("*", " ").split()
        self.name = t[-1]
        self.ctype = " ".join(t[:-1])
        table = _POINTER_DTYPES if self.pointer else _SCALAR_TYPES
        if self.ctype not in table:
            raise NotImplementedError(f"the CuPy stand-in cannot pass a {self.ctype}{'*' if self.pointer else ''}")
        self.dtype = table[self.ctype]

    def __repr__(self):
        return f"{self.ctype}{'*' if self.pointer else ''} {self.name}"


def global_signatures(code: str) -> dict[str, list[Param]]:
    """{kernel name: parameters} of the extern "C" __global__ functions of ``code``."""
    out = {}
    for m in _GLOBAL.finditer(code):
        before = code[max(0, m.start() - 40):m.start()]
        if 'extern "C"' not in before:
            continue  # a C++ kernel has a mangled name: CuPy needs name_expressions for it
        params = [p for p in (s.strip() for s in m.group(2).split(",")) if p and p != "void"]
        out[m.group(1)] = [Param(p) for p in params]
    return out


# ---- compiling for the device ------------------------------------------------------------

def _nvrtc_lib():
    path = os.environ.get("MINIGAN_NVRTC_LIB")
    candidates = [path] if path else []
    for site in sys.path:
        for pattern in (("lib", "libnvrtc.so*"), ("bin", "nvrtc64_*.dll")):
            found = glob.glob(os.path.join(site, "nvidia", "cuda_nvrtc", *pattern))
            candidates += sorted(f for f in found if "builtins" not in f and ".alt." not in f)
    found = ctypes.util.find_library("nvrtc")
    if found:
        candidates.append(found)
    for c in candidates:
        try:
            return ctypes.CDLL(c)
        except OSError:
            continue
    return None


def _compile_nvrtc(lib, code: str, options: tuple) -> str:
    prog = ctypes.c_void_p()
    status = lib.nvrtcCreateProgram(ctypes.byref(prog), code.encode(), b"kern.cu", 0, None, None)
    if status:
        raise CompileException(f"nvrtcCreateProgram failed ({status})")
    opts = (ctypes.c_char_p * len(options))(*[o.encode() for o in options])
    status = lib.nvrtcCompileProgram(prog, len(options), opts)
    size = ctypes.c_size_t()
    lib.nvrtcGetProgramLogSize(prog, ctypes.byref(size))
    log = ctypes.create_string_buffer(size.value)
    lib.nvrtcGetProgramLog(prog, log)
    if status:
        lib.nvrtcDestroyProgram(ctypes.byref(prog))
        raise CompileException(log.value.decode(errors="replace"))
    lib.nvrtcGetPTXSize(prog, ctypes.byref(size))
    ptx = ctypes.create_string_buffer(size.value)
    lib.nvrtcGetPTX(prog, ptx)
    lib.nvrtcDestroyProgram(ctypes.byref(prog))
    return ptx.value.decode()


def _compile_nvcc(code: str, options: tuple, workdir: Path) -> str:
    nvcc = shutil.which("nvcc")
    src = workdir / "kern.cu"
    src.write_text(code)
    # NVRTC-only options have no nvcc spelling
    opts = [o for o in options if o != "--device-as-default-execution-space"]
    opts = [o.replace("-arch=compute_", "-arch=sm_") for o in opts]
    proc = subprocess.run([nvcc, "-ptx", *opts, str(src), "-o", str(workdir / "kern.ptx")],
                          capture_output=True, text=True, check=False)
    if proc.returncode:
        raise CompileException(proc.stderr)
    return (workdir / "kern.ptx").read_text()


def device_compiler() -> str | None:
    """"nvrtc", "nvcc", or None where neither can be found (then kernels are only run on
    the host: the device compilation check is skipped)."""
    return "nvrtc" if _nvrtc_lib() is not None else "nvcc" if shutil.which("nvcc") else None


def compile_for_device(code: str, options: tuple, backend: str) -> tuple[str | None, str | None]:
    """(PTX, compiler used) for ``code``; cached on disk by source and options."""
    lib = _nvrtc_lib() if backend == "nvrtc" else None
    used = "nvrtc" if lib is not None else "nvcc" if shutil.which("nvcc") else None
    if used is None:
        return None, None
    eff = effective_options(options, "nvrtc" if used == "nvrtc" else "nvcc")
    key = hashlib.sha256(repr((code, eff, used)).encode()).hexdigest()[:24]
    cached = _CACHE / f"{key}.ptx"
    if cached.exists():
        return cached.read_text(), used
    _CACHE.mkdir(parents=True, exist_ok=True)
    if lib is not None:
        ptx = _compile_nvrtc(lib, code, eff)
    else:
        with tempfile.TemporaryDirectory() as d:
            ptx = _compile_nvcc(code, eff, Path(d))
    tmp = cached.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(ptx)
    tmp.replace(cached)
    return ptx, used


# ---- running on the host ---------------------------------------------------------------------

_FTZ_SCOPE = r"""
#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
struct mg_ftz_scope {
    unsigned int saved;
    explicit mg_ftz_scope(int on) : saved(_mm_getcsr()) { if (on) _mm_setcsr(saved | 0x8040u); }
    ~mg_ftz_scope() { _mm_setcsr(saved); }
};
#elif defined(__aarch64__)
struct mg_ftz_scope {
    unsigned long saved;
    explicit mg_ftz_scope(int on) {
        __asm__ volatile("mrs %0, fpcr" : "=r"(saved));
        if (on) { unsigned long v = saved | (1ul << 24); __asm__ volatile("msr fpcr, %0" ::"r"(v)); }
    }
    ~mg_ftz_scope() { __asm__ volatile("msr fpcr, %0" ::"r"(saved)); }
};
#else
#error "the CuPy stand-in emulates flush-to-zero on x86-64 and AArch64 only"
#endif
"""


def _host_source(code: str, kernels: dict[str, list[Param]]) -> str:
    entries = []
    for name, params in kernels.items():
        decl = ", ".join(f"{p.ctype}{'*' if p.pointer else ''} a{i}" for i, p in enumerate(params))
        args = ", ".join(f"a{i}" for i in range(len(params)))
        entries.append(
            f'extern "C" void mg_host_{name}(unsigned int grid, unsigned int block, int ftz'
            f'{", " if decl else ""}{decl}) {{\n'
            f"    mg_ftz_scope scope(ftz);\n    launch(grid, block, {name}{', ' if args else ''}{args});\n}}\n")
    return '#include "emulate.h"\n' + _FTZ_SCOPE + "\n" + code + "\n" + "\n".join(entries)


def build_host_library(code: str, kernels: dict[str, list[Param]]) -> ctypes.CDLL:
    src = _host_source(code, kernels)
    key = hashlib.sha256((src + (HOST_DIR / "emulate.h").read_text()).encode()).hexdigest()[:24]
    lib = _CACHE / f"{key}.so"
    if not lib.exists():
        cxx = shutil.which("g++") or shutil.which("c++")
        if cxx is None:
            raise CompileException("the CuPy stand-in needs a C++ compiler (g++) to run kernels on the host")
        _CACHE.mkdir(parents=True, exist_ok=True)
        cpp = _CACHE / f"{key}.cpp"
        cpp.write_text(src)
        tmp = lib.with_suffix(f".{os.getpid()}.tmp")
        cmd = [cxx, "-std=c++17", "-O2", "-fPIC", "-shared", "-fno-fast-math",
               "-ffp-contract=off", f"-I{HOST_DIR}", str(cpp), "-o", str(tmp)]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode:
            raise CompileException(f"{' '.join(cmd)}:\n{proc.stderr}")
        tmp.replace(lib)
    return ctypes.CDLL(str(lib))


class Function:
    """A kernel of a RawModule: ``f(grid, block, args)`` as cupy.cuda.Function."""

    def __init__(self, module: RawModule, name: str, params: list[Param]):
        self._module = module
        self.name = name
        self._params = params
        floats = {p.dtype for p in params} & {np.float32, np.float64, np.float16}
        if module._ftz and floats == {np.float32, np.float64}:
            raise NotImplementedError(
                f"{name}: the CuPy stand-in cannot emulate -ftz=true for a kernel mixing float and double")
        self._ftz = int(module._ftz and floats == {np.float32})
        self._entry = None

    def __call__(self, grid, block, args, *, shared_mem=0, stream=None,
                 enable_cooperative_groups=False):
        from ._cupy import ndarray

        grid, block = _dims("grid", grid), _dims("block", block)
        if not isinstance(args, tuple):
            raise TypeError(f"{self.name}: kernel arguments must be a tuple, got {type(args).__name__}")
        if len(args) != len(self._params):
            raise TypeError(
                f"{self.name} takes {len(self._params)} arguments ({', '.join(map(repr, self._params))}) "
                f"but {len(args)} were given")
        cargs = []
        for i, (p, a) in enumerate(zip(self._params, args)):
            what = f"{self.name}: argument {i} ({p!r})"
            if p.pointer:
                if a is None:
                    cargs.append(None)
                    continue
                if not isinstance(a, ndarray):
                    raise TypeError(
                        f"{what} must be a cupy.ndarray or None, got {type(a).__module__}.{type(a).__name__}")
                if a.dtype != p.dtype:
                    raise TypeError(f"{what} points to {np.dtype(p.dtype)} but the array has dtype {a.dtype}")
                if not a._a.flags.c_contiguous:
                    raise ValueError(f"{what}: the array is not C-contiguous; the kernel indexes it flat")
                if a._dev != _cuda.current_id():
                    raise ValueError(
                        f"{what} is on device {a._dev} but the kernel is launched on the current device "
                        f"{_cuda.current_id()}")
                cargs.append(ctypes.c_void_p(a._a.ctypes.data))
            else:
                if type(a) is not p.dtype:
                    raise TypeError(
                        f"{what} must be a numpy.{np.dtype(p.dtype).name} scalar, got {type(a).__name__}: "
                        "CuPy passes Python floats as double and Python ints as a C long long")
                cargs.append(_CTYPES[p.dtype](a))
        if self._entry is None:
            self._entry = getattr(self._module._host(), f"mg_host_{self.name}")
            self._entry.restype = None
        self._entry(ctypes.c_uint(grid[0]), ctypes.c_uint(block[0]), ctypes.c_int(self._ftz), *cargs)


Function.__module__ = "cupy.cuda.function"


def _dims(what: str, v) -> tuple:
    v = tuple(v) if isinstance(v, (tuple, list)) else (v,)
    if not 1 <= len(v) <= 3 or not all(isinstance(x, (int, np.integer)) and x >= 1 for x in v):
        raise ValueError(f"{what} must be a tuple of 1 to 3 positive ints, got {v}")
    if any(x != 1 for x in v[1:]):
        raise NotImplementedError(f"the CuPy stand-in runs 1-D {what}s only, got {v}")
    if what == "block" and v[0] > 1024:
        raise ValueError(f"block of {v[0]} threads: CUDA allows at most 1024 per block")
    return v


class RawModule:
    """cupy.RawModule(code=..., options=...): compiled at the first get_function."""

    def __init__(self, code=None, *, path=None, options=(), backend="nvrtc",
                 translate_cucomplex=False, enable_cooperative_groups=False,
                 name_expressions=None, jitify=False):
        if code is None or path is not None:
            raise NotImplementedError("the CuPy stand-in compiles source code (code=...) only")
        if backend not in ("nvrtc", "nvcc"):
            raise ValueError(f"Invalid backend {backend}")
        self.code = code
        self.options = tuple(options)
        self.backend = backend
        self.name_expressions = name_expressions
        self.enable_cooperative_groups = enable_cooperative_groups
        self._ftz = flush_to_zero(effective_options(self.options, backend))
        self._kernels = None
        self._lib = None
        self.compiled_with = None

    def _compile(self):
        if self._kernels is None:
            ptx, self.compiled_with = compile_for_device(self.code, self.options, self.backend)
            kernels = global_signatures(self.code)
            for name, params in kernels.items() if ptx is not None else ():
                m = re.search(rf"\.entry {re.escape(name)}\((.*?)\)", ptx, re.S)
                if m is None:
                    raise CompileException(f"{name} is declared __global__ but not in the PTX")
                n_ptx = len(re.findall(r"\.param", m.group(1)))
                if n_ptx != len(params):
                    raise CompileException(f"{name}: {len(params)} parameters parsed, {n_ptx} in the PTX")
            self._kernels = kernels
        return self._kernels

    def _host(self):
        if self._lib is None:
            self._lib = build_host_library(self.code, self._compile())
        return self._lib

    def get_function(self, name):
        kernels = self._compile()
        if name not in kernels:
            raise CUDADriverError("CUDA_ERROR_NOT_FOUND: named symbol not found")
        return Function(self, name, kernels[name])

    def compile(self, log_stream=None):
        self._compile()


RawModule.__module__ = "cupy._core.raw"
