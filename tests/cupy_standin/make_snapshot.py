"""Write api_snapshot.json: the names and call signatures of the real CuPy's API.

The CuPy stand-in of the test suite (tests/cupy_standin) offers only what this snapshot
lists and checks every call against the recorded signature, so tests never rely on a CuPy
function, method or argument that does not exist. Regenerate it from an installed CuPy
(a GPU is not needed: only names and signatures are read):

    python -m venv /tmp/venv-cupy && /tmp/venv-cupy/bin/pip install numpy cupy-cuda12x
    /tmp/venv-cupy/bin/python tests/cupy_standin/make_snapshot.py

Signatures come from ``inspect.signature`` or, for CuPy's Cython methods that carry none,
from the first line of their docstring (``_ndarray_base.sum(self, axis=None, ...)``).
"""
from __future__ import annotations

import inspect
import json
import re
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent / "api_snapshot.json"

MODULES = ["cupy", "cupy.cuda", "cupy.cuda.runtime", "cupy.random", "cupy.linalg", "cupyx"]
CLASSES = {
    "cupy.ndarray": "cupy.ndarray",
    "cupy.ndarray.flags": "cupy._core.flags.Flags",
    "cupy.cuda.Device": "cupy.cuda.Device",
    "cupy.RawModule": "cupy.RawModule",
    "cupy.RawKernel": "cupy.RawKernel",
    "cupy.ufunc": "cupy.ufunc",
}
_DOC_SIG = re.compile(r"^[\w.]+\((.*)\)(\s*->.*)?$")


def _resolve(dotted: str):
    import importlib

    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for p in parts[i:]:
            obj = getattr(obj, p)
        return obj
    raise ImportError(dotted)


def _params_from_signature(sig: inspect.Signature) -> list:
    return [[p.name, p.kind.name, p.default is not inspect.Parameter.empty]
            for p in sig.parameters.values()]


def _params_from_doc(obj) -> list | None:
    doc = (getattr(obj, "__doc__", None) or "").strip()
    if not doc:
        return None
    m = _DOC_SIG.match(doc.splitlines()[0].strip())
    if not m:
        return None
    text = m.group(1)
    # turn "self, str name, int x=1" into a parseable "self, name, x=1"
    text = re.sub(r"\b(?:str|int|bint|bool|float|tuple|list|dict|object|size_t|intptr_t)\s+(\w)",
                  r"\1", text)
    try:
        sig = inspect.signature(eval(f"lambda {text}: None", {}))
    except Exception:
        return None
    return _params_from_signature(sig)


def describe(obj) -> dict:
    import cupy

    if isinstance(obj, cupy.ufunc):
        return {"kind": "ufunc", "nin": obj.nin, "nout": obj.nout}
    if inspect.ismodule(obj):
        return {"kind": "module"}
    if inspect.isclass(obj):
        kind = "class"
    elif callable(obj):
        kind = "function"
    else:
        return {"kind": "value", "type": type(obj).__name__}
    params = None
    try:
        params = _params_from_signature(inspect.signature(obj))
    except (TypeError, ValueError):
        params = _params_from_doc(obj)
    return {"kind": kind, "params": params}


def main() -> None:
    import cupy

    snap = {"cupy_version": cupy.__version__, "python": sys.version.split()[0],
            "modules": {}, "classes": {}}
    for name in MODULES:
        mod = _resolve(name)
        entries = {}
        for attr in sorted(dir(mod)):
            if attr.startswith("_"):
                continue
            try:
                entries[attr] = describe(getattr(mod, attr))
            except Exception as exc:  # an attribute that fails to load without a GPU
                entries[attr] = {"kind": "unloadable", "error": type(exc).__name__}
        snap["modules"][name] = entries
    for public, dotted in CLASSES.items():
        cls = _resolve(dotted)
        members = {}
        for attr in sorted(dir(cls)):
            if attr.startswith("_") and not (attr.startswith("__") and attr.endswith("__")):
                continue
            raw = inspect.getattr_static(cls, attr, None)
            if isinstance(raw, (property,)) or type(raw).__name__ in ("getset_descriptor",
                                                                      "member_descriptor"):
                members[attr] = {"kind": "attribute"}
                continue
            try:
                members[attr] = describe(getattr(cls, attr))
            except Exception as exc:
                members[attr] = {"kind": "unloadable", "error": type(exc).__name__}
        snap["classes"][public] = members
    OUT.write_text(json.dumps(snap, indent=0, sort_keys=True) + "\n")
    print(f"wrote {OUT} (CuPy {cupy.__version__})")


if __name__ == "__main__":
    main()
