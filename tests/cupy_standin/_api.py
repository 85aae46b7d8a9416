"""The real CuPy's API, from api_snapshot.json: what exists, and argument checks against it."""
from __future__ import annotations

import functools
import inspect
import json
from pathlib import Path

SNAPSHOT = Path(__file__).resolve().parent / "api_snapshot.json"


@functools.cache
def snapshot() -> dict:
    return json.loads(SNAPSHOT.read_text())


def entry(owner: str, name: str) -> dict | None:
    """The snapshot entry of ``owner.name`` (owner: a module such as "cupy" or a class such
    as "cupy.ndarray"), or None when the real CuPy has no such name."""
    snap = snapshot()
    table = snap["modules"].get(owner) or snap["classes"].get(owner) or {}
    return table.get(name)


def require(owner: str, name: str) -> dict:
    e = entry(owner, name)
    if e is None:
        raise AttributeError(f"the real CuPy has no {owner}.{name} (tests/cupy_standin/api_snapshot.json)")
    return e


@functools.cache
def signature(owner: str, name: str) -> inspect.Signature | None:
    """The recorded signature of ``owner.name``, or None when CuPy exposes none."""
    params = require(owner, name).get("params")
    if params is None:
        return None
    kinds = inspect.Parameter
    out = []
    for pname, kind, has_default in params:
        out.append(kinds(pname, getattr(kinds, kind), default=None if has_default else kinds.empty))
    return inspect.Signature(out)


def check_call(owner: str, name: str, args: tuple, kwargs: dict) -> None:
    """Raise TypeError, as CuPy would, when ``owner.name(*args, **kwargs)`` does not fit the
    real signature (unknown keyword, too many or missing arguments). ``args`` include
    ``self`` for methods."""
    sig = signature(owner, name)
    if sig is None:
        return
    try:
        sig.bind(*args, **kwargs)
    except TypeError as exc:
        raise TypeError(f"{owner}.{name}(): {exc} (CuPy's signature is {name}{sig})") from None
