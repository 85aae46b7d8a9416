"""mg.save / mg.load: state dicts and whole training checkpoints in one .npz file.

A checkpoint is a tree of dicts, lists and tuples whose leaves are Tensors, arrays or
plain JSON values (numbers, strings, None). Each array is stored as an npz entry named
by its path ("G/0.weight", "opt_g/state/0/exp_avg"); the tree itself, with the plain
values, is one small JSON entry. A flat state dict thus gives an npz that ``np.load``
reads directly. Files are written atomically: a failed save leaves the old file intact.
"""
from __future__ import annotations

import io
import json
import os
import zipfile
from collections.abc import Mapping
from typing import Any

import numpy as np

from ._io import atomic_write
from .backend.device import CPU, parse_device, to_device
from .tensor import Tensor

__all__ = ["CheckpointError", "load", "save"]

_META = "__minigan_meta__"
_FORMAT = 1


class CheckpointError(RuntimeError):
    """A checkpoint file that exists but cannot be read (not an npz, truncated, corrupt)."""


def _encode(obj: Any, path: str, arrays: dict[str, np.ndarray]) -> Any:
    """The JSON description of ``obj``; its arrays go into ``arrays`` under path-like names."""
    if isinstance(obj, (Tensor, np.ndarray)) or type(obj).__module__.startswith("cupy"):
        kind = "tensor" if isinstance(obj, Tensor) else "ndarray"
        data = obj.array if isinstance(obj, Tensor) else obj
        name = path or "tensor"
        while name in arrays or name == _META:
            name += "_"
        host = to_device(data, CPU)
        arrays[name] = np.ascontiguousarray(host).reshape(host.shape)  # keeps 0-d arrays 0-d
        return {"__" + kind + "__": name}
    if isinstance(obj, Mapping):
        items = []
        for k, v in obj.items():
            if not isinstance(k, (str, int)) or isinstance(k, bool):
                raise TypeError(f"minigan.save: dict keys must be str or int, got {k!r} at '{path}'")
            items.append([k, _encode(v, f"{path}/{k}" if path else str(k), arrays)])
        return {"__dict__": items}
    if isinstance(obj, (list, tuple)):
        enc = [_encode(v, f"{path}/{i}" if path else str(i), arrays) for i, v in enumerate(obj)]
        return {"__tuple__": enc} if isinstance(obj, tuple) else enc
    if isinstance(obj, np.generic):
        return obj.item()
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise TypeError(
        f"minigan.save: cannot store a {type(obj).__name__} at '{path or '<root>'}' "
        "(expected Tensors, arrays, dicts, lists, numbers, strings or None)"
    )


def _decode(node: Any, arrays: Mapping[str, np.ndarray], device) -> Any:
    if isinstance(node, dict):
        if "__tensor__" in node:
            return Tensor._wrap(to_device(arrays[node["__tensor__"]], device))
        if "__ndarray__" in node:
            arr = arrays[node["__ndarray__"]]
            return arr if device == CPU else to_device(arr, device)
        if "__dict__" in node:
            return {k: _decode(v, arrays, device) for k, v in node["__dict__"]}
        if "__tuple__" in node:
            return tuple(_decode(v, arrays, device) for v in node["__tuple__"])
        return {k: _decode(v, arrays, device) for k, v in node.items()}
    if isinstance(node, list):
        return [_decode(v, arrays, device) for v in node]
    return node


def save(obj: Any, path: str | os.PathLike) -> None:
    """Write ``obj`` (a state dict, or a nested dict such as ``{"G": G.state_dict(),
    "opt_g": opt.state_dict(), "iteration": 10}``) to ``path`` as an .npz, atomically:
    the data goes to a temporary file in the same folder, is flushed and fsynced, then
    renamed over ``path``."""
    path = os.fspath(path)
    arrays: dict[str, np.ndarray] = {}
    tree = _encode(obj, "", arrays)
    meta = json.dumps({"format": _FORMAT, "tree": tree})
    arrays[_META] = np.frombuffer(meta.encode("utf-8"), dtype=np.uint8)
    atomic_write(path, lambda f: np.savez(f, **arrays))


def load(path: str | os.PathLike, map_location=None) -> Any:
    """Read a checkpoint written by ``save``: the same structure, with Tensors on the CPU
    (or on ``map_location``, e.g. "cuda"). A plain npz gives a flat dict of Tensors.

    Raises FileNotFoundError for a missing file and CheckpointError for one that is not
    a readable npz; both name the file.
    """
    path = os.fspath(path)
    device = CPU if map_location is None else parse_device(map_location)
    if not os.path.exists(path):
        raise FileNotFoundError(f"minigan.load: could not read checkpoint '{path}': no such file")
    try:
        with open(path, "rb") as f:
            raw = f.read()
        with np.load(io.BytesIO(raw), allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}  # reads (and CRC-checks) every entry now
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as e:
        raise CheckpointError(
            f"minigan.load: could not read checkpoint '{path}': {type(e).__name__}: {e} "
            "(the file is not an npz written by minigan.save, or it is truncated or corrupt)"
        ) from e
    meta = arrays.pop(_META, None)
    if meta is None:
        return {k: Tensor._wrap(to_device(v, device)) for k, v in arrays.items()}
    try:
        info = json.loads(meta.tobytes().decode("utf-8"))
        return _decode(info["tree"], arrays, device)
    except (ValueError, KeyError, TypeError) as e:
        raise CheckpointError(
            f"minigan.load: could not read checkpoint '{path}': bad metadata ({e})"
        ) from e
