"""mg.save / mg.load: state dicts and whole training checkpoints in one .npz file.

A checkpoint is a tree of dicts, lists and tuples whose leaves are Tensors, arrays or
plain JSON values (numbers, strings, None). Each array is stored as an npz entry named
by its path ("G/0.weight", "opt_g/state/0/exp_avg"); the tree itself, with the plain
values, is one small JSON entry. A flat state dict thus gives an npz that ``np.load``
reads directly.

Guarantees:

- Atomic replace: ``save`` writes a temporary file beside the target, fsyncs it and renames
  it over the target, so a crash, a full disk or a kill at any moment leaves the old file
  whole; the temporary file of a killed save is removed by the next save to that path.
- Exact round trip: every array comes back with its dtype, shape (0-d and empty included)
  and bytes (NaN payloads, -0.0); numbers, strings, None, tuples and int keys as saved.
- ``save`` refuses (TypeError, before anything is written) what ``load`` could not read back:
  object arrays (they would need pickle), structured dtypes, other Python objects.

What ``load`` refuses, always as a CheckpointError naming the file and the reason, before
allocating: anything but a regular file; a file or a total of arrays larger than
``max_bytes`` (512 MiB unless given); a member whose declared shape and dtype do not match
its size; pickled (object) arrays; a format version it does not know; metadata nested
deeper than ``MAX_DEPTH``; anything that is not a zip of .npy files (a .npy file included).
"""
from __future__ import annotations

import json
import os
import stat
import zipfile
from collections.abc import Mapping
from typing import Any

import numpy as np

from ._io import atomic_write
from .backend import cuda, get_array_module
from .backend.device import CPU, parse_device, to_device
from .tensor import Tensor

__all__ = ["MAX_BYTES", "CheckpointError", "load", "save", "to_array"]

_META = "__minigan_meta__"
_FORMAT = 1
# load's default limit on a file and on its arrays' total size: 512 MiB, about 5 times a
# float64 checkpoint of G 784-1024-1024-784 and D 784-1024-1024-1 with Adam's state (103 MiB)
MAX_BYTES = 1 << 29
MAX_DEPTH = 64  # nesting of dicts/lists/tuples that save writes and load reads
_KINDS = "biufc"  # bool, signed and unsigned ints, floats, complex: what .npy stores exactly


class CheckpointError(RuntimeError):
    """A checkpoint file that exists but cannot be read (not an npz, truncated, corrupt,
    too large, or of an unknown format); the message names the file and the reason."""


# ---- arrays from anywhere ----------------------------------------------------------------
def to_array(value: Any, what: str = "value") -> Any:
    """The raw array (NumPy, or CuPy as it is) of a state-dict value: a minigan Tensor, a
    NumPy/CuPy array or scalar, a Python number, a tensor of another library (anything
    with ``.detach().cpu().numpy()``, as PyTorch's), or any ``__dlpack__``/``__array__``
    producer. Raises TypeError naming ``what`` for anything else (a str, None, a list)."""
    if isinstance(value, Tensor):
        return value.array
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, (np.generic, bool, int, float, complex)):
        return np.asarray(value)
    if get_array_module(value) is not np:  # a CuPy array
        return value
    if all(callable(getattr(value, m, None)) for m in ("detach", "cpu", "numpy")):
        try:
            return value.detach().cpu().numpy()  # PyTorch (and look-alikes), with or without grad
        except (TypeError, RuntimeError) as e:
            raise TypeError(f"{what}, could not convert a {type(value).__name__} to an array: {e}") from e
    if hasattr(value, "__dlpack__"):
        from .creation import from_dlpack

        return from_dlpack(value).array
    if hasattr(value, "__array__"):
        return np.asarray(value)
    raise TypeError(f"{what}, expected a Tensor or an array-like object, but received {type(value).__name__}")


# ---- save --------------------------------------------------------------------------------
def _entry_name(path: str, arrays: dict) -> str:
    """The npz entry name for the array at ``path``: the path itself when zip keeps it as
    it is (np.load then finds "0.weight"), else a generated one; never a name in use."""
    name = path or "tensor"
    if "\0" in name or "\\" in name or len(name) > 200 or not name.isprintable():
        name = f"array_{len(arrays)}"
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates
        name = f"array_{len(arrays)}"
    while name in arrays or name == _META:
        name += "_"
    return name


def _encode(obj: Any, path: str, arrays: dict[str, np.ndarray], depth: int = 0) -> Any:
    """The JSON description of ``obj``; its arrays go into ``arrays`` under path-like names."""
    where = path or "<root>"
    if depth > MAX_DEPTH:
        raise ValueError(f"minigan.save: nesting deeper than {MAX_DEPTH} levels at '{where}'")
    if isinstance(obj, (Tensor, np.ndarray)) or get_array_module(obj) is not np:
        kind = "tensor" if isinstance(obj, Tensor) else "ndarray"
        arr = to_device(obj.array if isinstance(obj, Tensor) else obj, CPU)
        if arr.dtype.kind not in _KINDS:
            what = "Python objects (it would need pickle)" if arr.dtype.hasobject else f"dtype {arr.dtype}"
            raise TypeError(
                f"minigan.save: cannot store an array of {what} at '{where}': only bool, integer, "
                "float and complex arrays are stored, so that mg.load can read them back"
            )
        name = _entry_name(path, arrays)
        arrays[name] = arr
        return {"__" + kind + "__": name}
    if isinstance(obj, Mapping):
        items = []
        for k, v in obj.items():
            if not isinstance(k, (str, int)) or isinstance(k, bool):
                raise TypeError(f"minigan.save: dict keys must be str or int, got {k!r} at '{where}'")
            items.append([k, _encode(v, f"{path}/{k}" if path else str(k), arrays, depth + 1)])
        return {"__dict__": items}
    if isinstance(obj, (list, tuple)):
        enc = [_encode(v, f"{path}/{i}" if path else str(i), arrays, depth + 1) for i, v in enumerate(obj)]
        return {"__tuple__": enc} if isinstance(obj, tuple) else enc
    if isinstance(obj, np.generic) and obj.dtype.kind in _KINDS:
        obj = obj.item()
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise TypeError(
        f"minigan.save: cannot store a {type(obj).__name__} at '{where}' "
        "(expected Tensors, arrays, dicts, lists, numbers, strings or None)"
    )


def _write_npz(f, arrays: dict[str, np.ndarray]) -> None:
    # np.savez's own layout (stored .npy members, zip64), without its keyword arguments:
    # a state dict key "file" or "allow_pickle" is an array name like any other
    with zipfile.ZipFile(f, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
        for name, arr in arrays.items():
            with zf.open(name + ".npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, arr, allow_pickle=False)


def save(obj: Any, path: str | os.PathLike) -> None:
    """Write ``obj`` (a state dict, or a nested dict such as ``{"G": G.state_dict(),
    "opt_g": opt.state_dict(), "iteration": 10}``) to ``path`` as an .npz, atomically:
    the data goes to a temporary file in the same folder, is flushed and fsynced, then
    renamed over ``path``. Everything is checked before the file is touched: a leaf that
    cannot be stored is a TypeError naming its place in ``obj``; a failed write an OSError
    naming ``path``."""
    path = os.fspath(path)
    arrays: dict[str, np.ndarray] = {}
    tree = _encode(obj, "", arrays)
    meta = json.dumps({"format": _FORMAT, "tree": tree})
    arrays[_META] = np.frombuffer(meta.encode("utf-8"), dtype=np.uint8)
    atomic_write(path, lambda f: _write_npz(f, arrays))


# ---- load --------------------------------------------------------------------------------
def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> np.ndarray:
    """One .npy member, its header checked against its size before anything is allocated."""
    with zf.open(info) as f:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
        elif version in ((2, 0), (3, 0)):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
        else:
            raise ValueError(f"unknown .npy version {version}")
        if dtype.kind not in _KINDS:
            what = "Python objects (a pickle, refused)" if dtype.hasobject else f"dtype {dtype}"
            raise ValueError(f"member '{info.filename}' holds {what}")
        count = 1
        for d in shape:
            count *= d
        nbytes, held = count * dtype.itemsize, info.file_size - f.tell()
        if nbytes != held:
            raise ValueError(
                f"member '{info.filename}' declares shape {shape} of {dtype} ({nbytes} bytes) but "
                f"holds {held} bytes"
            )
        arr = np.empty(shape[::-1] if fortran else shape, dtype=dtype)
        if nbytes:
            view = arr.reshape(-1).view(np.uint8).data  # a memoryview of arr's bytes
            got = 0
            while got < nbytes:
                n = f.readinto(view[got:])  # type: ignore[attr-defined]  # f is a ZipExtFile
                if not n:
                    raise EOFError(f"member '{info.filename}' ends after {got} of {nbytes} bytes")
                got += n
        if f.read(1):  # nothing left: this read also ends the member's CRC check
            raise ValueError(f"member '{info.filename}' is longer than its header says")
        return arr.T if fortran else arr


def _read_npz(path: str, max_bytes: int) -> dict[str, np.ndarray]:
    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode):
        raise ValueError("not a regular file")
    if st.st_size > max_bytes:
        raise ValueError(f"the file is {st.st_size} bytes, over the limit of {max_bytes} (max_bytes)")
    with open(path, "rb") as f:
        if f.read(6) == b"\x93NUMPY":
            raise ValueError("it is a single .npy array, not an .npz checkpoint (read it with numpy.load)")
        f.seek(0)
        with zipfile.ZipFile(f) as zf:
            infos = zf.infolist()
            total = sum(i.file_size for i in infos)
            if total > max_bytes:
                raise ValueError(
                    f"its arrays total {total} bytes uncompressed, over the limit of {max_bytes} "
                    "(pass a larger max_bytes to mg.load if the file is trusted)"
                )
            arrays = {}
            for info in infos:
                if not info.filename.endswith(".npy") or info.is_dir():
                    raise ValueError(f"member '{info.filename}' is not a .npy array")
                arrays[info.filename[:-4]] = _read_member(zf, info)  # CRC-checked at the end
            return arrays


def _decode(node: Any, arrays: Mapping[str, np.ndarray], device, depth: int = 0) -> Any:
    if depth > MAX_DEPTH:
        raise ValueError(f"metadata nested deeper than {MAX_DEPTH} levels")
    if isinstance(node, dict):
        if "__tensor__" in node:
            return Tensor._wrap(to_device(arrays[node["__tensor__"]], device))
        if "__ndarray__" in node:
            arr = arrays[node["__ndarray__"]]
            return arr if device == CPU else to_device(arr, device)
        if "__dict__" in node:
            return {_key(k): _decode(v, arrays, device, depth + 1) for k, v in node["__dict__"]}
        if "__tuple__" in node:
            return tuple(_decode(v, arrays, device, depth + 1) for v in node["__tuple__"])
        raise ValueError(f"unknown node with keys {sorted(node)[:4]}")
    if isinstance(node, list):
        return [_decode(v, arrays, device, depth + 1) for v in node]
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    raise ValueError(f"unknown node {node!r}")


def _key(k):
    if not isinstance(k, (str, int)) or isinstance(k, bool):
        raise ValueError(f"a dict key is a {type(k).__name__}")
    return k


def load(path: str | os.PathLike, map_location=None, *, max_bytes: int = MAX_BYTES) -> Any:
    """Read a checkpoint written by ``save``: the same structure, with Tensors on the CPU
    (or on ``map_location``, e.g. "cuda"). A plain npz gives a flat dict of Tensors.

    Raises FileNotFoundError for a missing file and CheckpointError, naming the file and
    the reason, for anything else that cannot be read: not a regular file, larger than
    ``max_bytes`` (on disk, or its arrays in total; 512 MiB by default), not an npz, corrupt
    or truncated, a member whose header does not match its size, object (pickled) arrays,
    an unknown format version.
    """
    path = os.fspath(path)
    device = CPU if map_location is None else parse_device(map_location)
    if device != CPU:
        cuda.require()  # an unavailable device is the caller's error, not the file's
    if not os.path.exists(path):
        raise FileNotFoundError(f"minigan.load: could not read checkpoint '{path}': no such file")
    try:
        arrays = _read_npz(path, max_bytes)
        meta = arrays.pop(_META, None)
        if meta is None:
            return {k: Tensor._wrap(to_device(v, device)) for k, v in arrays.items()}
        info = json.loads(meta.tobytes().decode("utf-8"))
        if not isinstance(info, dict) or info.get("format") != _FORMAT:
            version = info.get("format") if isinstance(info, dict) else None
            raise ValueError(
                f"its format version is {version!r}; this minigan reads version {_FORMAT} "
                "(written by a newer minigan?)"
            )
        return _decode(info["tree"], arrays, device)
    except CheckpointError:
        raise
    except Exception as e:  # whatever untrusted bytes make the reader raise is the file's fault
        reason = str(e) if type(e) is ValueError else f"{type(e).__name__}: {e}"
        raise CheckpointError(f"minigan.load: could not read checkpoint '{path}': {reason}") from e
