"""mg.save / mg.load: round trips, trainer checkpoints, atomic writes, clear errors."""
from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import warnings
import zipfile

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigan as mg
from minigan import nn, optim
from minigan._io import leftovers
from minigan.serialization import MAX_DEPTH, CheckpointError


def test_state_dict_round_trips_and_is_a_plain_npz(tmp_path):
    m = nn.mlp([2, 8, 1], batch_norm=True)
    path = tmp_path / "g.npz"
    mg.save(m.state_dict(), path)
    sd = mg.load(path)
    assert list(sd) == list(m.state_dict())
    for k, v in m.state_dict().items():
        assert isinstance(sd[k], mg.Tensor) and sd[k].dtype == v.dtype
        np.testing.assert_array_equal(sd[k].numpy(), v.numpy())
    with np.load(path) as raw:  # readable without minigan
        np.testing.assert_array_equal(raw["0.weight"], m[0].weight.numpy())


def test_trainer_checkpoint_fits_in_one_file(tmp_path):
    G, D = nn.mlp([2, 4, 2]), nn.mlp([2, 4, 1])
    opt = optim.Adam(G.parameters(), betas=(0.5, 0.999))
    G(mg.randn(3, 2)).sum().backward()
    opt.step()
    ckpt = {"G": G.state_dict(), "D": D.state_dict(), "opt_g": opt.state_dict(), "iteration": 10,
            "losses": [0.5, 0.25], "name": "run", "note": None, "np": np.arange(3)}
    mg.save(ckpt, tmp_path / "ckpt.npz")
    back = mg.load(tmp_path / "ckpt.npz")
    assert back["iteration"] == 10 and back["losses"] == [0.5, 0.25] and back["name"] == "run"
    assert back["note"] is None and isinstance(back["np"], np.ndarray)
    assert back["opt_g"]["param_groups"][0]["betas"] == (0.5, 0.999)
    assert sorted(back["opt_g"]["state"]) == [0, 1, 2, 3]
    G2 = nn.mlp([2, 4, 2])
    G2.load_state_dict(back["G"])
    np.testing.assert_array_equal(G2[2].bias.numpy(), G[2].bias.numpy())


def test_missing_file_error_names_it(tmp_path):
    path = tmp_path / "nope.npz"
    with pytest.raises(FileNotFoundError, match="nope.npz"):
        mg.load(path)


@pytest.mark.parametrize("damage", ["truncate", "garbage"])
def test_corrupt_checkpoint_error_names_its_file(tmp_path, damage):
    path = tmp_path / "bad.npz"
    mg.save(nn.Linear(30, 30).state_dict(), path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2] if damage == "truncate" else b"not a checkpoint")
    with pytest.raises(CheckpointError, match=r"minigan.load: could not read checkpoint '.*bad.npz'"):
        mg.load(path)


def test_failed_save_keeps_the_old_file_and_names_the_target(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    m = nn.Linear(2, 2)
    mg.save(m.state_dict(), path)
    good = m.weight.numpy().copy()

    def broken_write(f, arr, **kw):
        f.write(b"\x93NUMPY half an array")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(np.lib.format, "write_array", broken_write)
    with pytest.raises(OSError, match=r"could not write '.*ckpt.npz': No space left on device") as e:
        mg.save({"weight": mg.zeros(2, 2), "bias": mg.zeros(2)}, path)
    assert e.value.errno == errno.ENOSPC and ".tmp" not in str(e.value)
    monkeypatch.undo()
    np.testing.assert_array_equal(mg.load(path)["weight"].numpy(), good)
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.npz"]  # no temporary left behind


def test_save_into_a_missing_folder_names_the_target(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"could not write '.*no/such/dir/c.npz'"):
        mg.save({"a": mg.zeros(1)}, tmp_path / "no" / "such" / "dir" / "c.npz")


def test_unsupported_leaf_is_named():
    with pytest.raises(TypeError, match="at 'cfg/fn'"):
        mg.save({"cfg": {"fn": object()}}, "/tmp/never-written.npz")


# ---- exact round trips ----------------------------------------------------------------------
def _same_bits(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def test_zero_dim_tensors_keep_their_shape_and_batchnorm_loads_its_own_checkpoint(tmp_path):
    m = nn.mlp([2, 4, 1], batch_norm=True)
    m(mg.randn(8, 2))  # a training step: num_batches_tracked (0-d) becomes 1
    mg.save(m.state_dict(), tmp_path / "bn.npz")
    sd = mg.load(tmp_path / "bn.npz")
    for k, v in m.state_dict().items():
        assert _same_bits(sd[k].numpy(), v.numpy()), k
    assert sd["1.num_batches_tracked"].shape == ()
    m2 = nn.mlp([2, 4, 1], batch_norm=True)
    m2.load_state_dict(sd)  # was: size mismatch, (1,) from checkpoint, () in the model
    assert m2.state_dict()["1.num_batches_tracked"].item() == 1


DTYPES = [np.dtype(t) for t in ("float16", "float32", "float64", "int8", "int16", "int32", "int64",
                                 "uint8", "uint16", "uint32", "uint64", "bool", "complex64",
                                 "complex128", ">f4", ">i8")]
_arrays = st.sampled_from(DTYPES).flatmap(
    lambda dt: hnp.arrays(dt, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
                          elements=hnp.from_dtype(dt, allow_nan=True, allow_infinity=True)
                          if dt.kind in "fc" else None))
_leaves = st.one_of(_arrays, _arrays.map(mg.from_numpy), st.none(), st.booleans(),
                    st.integers(-(2**70), 2**70), st.floats(allow_nan=True), st.text(max_size=8))
_keys = st.one_of(st.text(max_size=12), st.integers(-5, 5))
_trees = st.recursive(_leaves, lambda kids: st.one_of(
    st.lists(kids, max_size=3), st.lists(kids, max_size=3).map(tuple),
    st.dictionaries(_keys, kids, max_size=4)), max_leaves=12)


def _assert_same(a, b, where="<root>"):
    assert type(a) is type(b), f"{where}: {type(a).__name__} came back as {type(b).__name__}"
    if isinstance(a, mg.Tensor):
        assert _same_bits(a.numpy(), b.numpy()), where
    elif isinstance(a, np.ndarray):
        assert _same_bits(a, b), where
    elif isinstance(a, dict):
        assert list(a) == list(b), where
        for k in a:
            _assert_same(a[k], b[k], f"{where}/{k}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_same(x, y, f"{where}/{i}")
    elif isinstance(a, float):
        assert np.float64(a).tobytes() == np.float64(b).tobytes() or (a != a and b != b), where
    else:
        assert a == b, where


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(state=st.dictionaries(_keys, _trees, max_size=6))
def test_random_state_dicts_round_trip_bit_for_bit(tmp_path, state):
    path = tmp_path / "h.npz"
    mg.save(state, path)
    _assert_same(state, mg.load(path))


def test_a_key_named_like_a_numpy_argument_is_just_a_name(tmp_path):
    state = {"file": mg.ones(2), "allow_pickle": mg.zeros(1), "a\x00b": mg.zeros(3), "": mg.ones(1)}
    mg.save(state, tmp_path / "k.npz")
    _assert_same(state, mg.load(tmp_path / "k.npz"))


# ---- what save refuses, before it touches the file ----------------------------------------------
def test_object_arrays_are_refused_before_the_old_file_is_replaced(tmp_path):
    path = tmp_path / "c.npz"
    mg.save({"w": mg.ones(2)}, path)
    before = path.read_bytes()
    with pytest.raises(TypeError, match=r"cannot store an array of Python objects.*at 'cfg/names'"):
        mg.save({"w": mg.zeros(2), "cfg": {"names": np.array(["a", None], dtype=object)}}, path)
    assert path.read_bytes() == before and mg.load(path)["w"].numpy().tolist() == [1.0, 1.0]


def test_nesting_deeper_than_the_limit_is_refused_on_save(tmp_path):
    deep: list = []
    for _ in range(MAX_DEPTH + 2):
        deep = [deep]
    with pytest.raises(ValueError, match="nesting deeper than"):
        mg.save({"x": deep}, tmp_path / "d.npz")
    assert not (tmp_path / "d.npz").exists()


# ---- temporary files ----------------------------------------------------------------------------
def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_leftovers_of_killed_saves_are_removed_by_the_next_save(tmp_path):
    path = tmp_path / "c.npz"
    dead = tmp_path / f".c.npz.{_dead_pid()}.0123abcd.tmp"
    old_style = tmp_path / ".c.npz.k3j_9x0a.tmp"  # what minigan 0.1's mkstemp left
    live = tmp_path / f".c.npz.{os.getppid()}.0123abcd.tmp"  # a writer still running
    other = tmp_path / ".d.npz.k3j_9x0a.tmp"  # another file's
    for f in (dead, old_style, live, other):
        f.write_bytes(b"half a checkpoint")
    assert sorted(leftovers(path)) == sorted([str(dead), str(old_style)])
    mg.save({"a": mg.ones(1)}, path)
    assert not dead.exists() and not old_style.exists()
    assert live.exists() and other.exists()


@pytest.mark.parametrize("umask", [0o022, 0o002])
def test_files_get_the_umasks_mode_not_0600(tmp_path, umask):
    old = os.umask(umask)
    try:
        mg.save({"a": mg.ones(1)}, tmp_path / "c.npz")
    finally:
        os.umask(old)
    assert (tmp_path / "c.npz").stat().st_mode & 0o777 == 0o666 & ~umask


# ---- what load refuses, as CheckpointError naming the file ------------------------------------
def _npz_with(path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)


def _npy_bytes(arr=None, header=None, data=b"") -> bytes:
    import io
    f = io.BytesIO()
    if arr is not None:
        np.lib.format.write_array(f, arr, allow_pickle=True)
    else:
        np.lib.format.write_array_header_1_0(f, header)
        f.write(data)
    return f.getvalue()


def _meta(info) -> bytes:
    return _npy_bytes(np.frombuffer(json.dumps(info).encode(), dtype=np.uint8))


def test_load_refuses_more_than_max_bytes_uncompressed(tmp_path):
    path = tmp_path / "bomb.npz"
    np.savez_compressed(path, w=np.zeros(4 << 20, dtype=np.float32))  # 16 MiB of zeros, ~16 KiB file
    assert path.stat().st_size < 100_000
    with pytest.raises(CheckpointError, match=r"bomb.npz.*total 1677\d+ bytes uncompressed, over the limit of 1048576"):
        mg.load(path, max_bytes=1 << 20)
    assert mg.load(path)["w"].shape == (4 << 20,)  # the default limit lets it through


def test_load_refuses_a_file_larger_than_max_bytes(tmp_path):
    mg.save({"w": mg.zeros(1000)}, tmp_path / "c.npz")
    with pytest.raises(CheckpointError, match=r"c.npz'.*over the limit of 100"):
        mg.load(tmp_path / "c.npz", max_bytes=100)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
def test_load_of_dev_zero_or_a_folder_does_not_read_forever(tmp_path):
    for path in ("/dev/zero", str(tmp_path)):
        with pytest.raises(CheckpointError, match=f"'{path}': not a regular file"):
            mg.load(path)


def test_load_of_a_npy_file_says_so(tmp_path):
    np.save(tmp_path / "a.npy", np.arange(3))
    with pytest.raises(CheckpointError, match=r"a.npy'.*single .npy array, not an .npz"):
        mg.load(tmp_path / "a.npy")


def test_a_header_declaring_a_huge_array_is_refused_before_allocating(tmp_path):
    path = tmp_path / "huge.npz"
    header = {"descr": "<f8", "fortran_order": False, "shape": (1 << 39,)}  # 4 TiB
    _npz_with(path, {"w.npy": _npy_bytes(header=header, data=b"\0" * 8)})
    with pytest.raises(CheckpointError, match=r"huge.npz'.*'w.npy' declares shape \(549755813888,\).*holds 8 bytes"):
        mg.load(path)


def test_pickled_object_arrays_are_refused(tmp_path):
    path = tmp_path / "pickle.npz"
    _npz_with(path, {"w.npy": _npy_bytes(np.array([{"a": 1}], dtype=object))})
    with pytest.raises(CheckpointError, match=r"pickle.npz'.*Python objects \(a pickle, refused\)"):
        mg.load(path)


@pytest.mark.parametrize("meta,reason", [
    ({"format": 2, "tree": {}}, "format version is 2; this minigan reads version 1"),
    ({"tree": {}}, "format version is None"),
    ([1, 2], "format version is None"),
    ({"format": 1, "tree": {"__tensor__": "missing"}}, "KeyError"),
])
def test_bad_metadata_is_refused(tmp_path, meta, reason):
    path = tmp_path / "meta.npz"
    _npz_with(path, {"__minigan_meta__.npy": _meta(meta)})
    with pytest.raises(CheckpointError, match=f"meta.npz'.*{reason}"):
        mg.load(path)


def test_deeply_nested_metadata_is_a_checkpoint_error(tmp_path):
    path = tmp_path / "deep.npz"
    text = '{"format": 1, "tree": ' + "[" * 100_000 + "]" * 100_000 + "}"
    _npz_with(path, {"__minigan_meta__.npy": _npy_bytes(np.frombuffer(text.encode(), dtype=np.uint8))})
    with pytest.raises(CheckpointError, match="deep.npz"):
        mg.load(path)
    text = '{"format": 1, "tree": ' + "[" * (MAX_DEPTH + 2) + "]" * (MAX_DEPTH + 2) + "}"
    _npz_with(path, {"__minigan_meta__.npy": _npy_bytes(np.frombuffer(text.encode(), dtype=np.uint8))})
    with pytest.raises(CheckpointError, match="deep.npz'.*nested deeper"):
        mg.load(path)


# ---- load_state_dict: values from anywhere, clear errors ---------------------------------------
def test_module_loads_a_pytorch_state_dict_as_it_is():
    tm = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))
    m = nn.mlp([3, 4, 1], activation=nn.ReLU())
    m.load_state_dict(tm.state_dict())  # torch tensors (was: 'Tensor' object has no attribute 'get')
    m.load_state_dict(dict(tm.named_parameters()))  # requiring grad, too
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    np.testing.assert_allclose(m(mg.tensor(x)).numpy(), tm(torch.from_numpy(x)).detach().numpy(), rtol=1e-6)


@pytest.mark.parametrize("value", ["abc", None, [[1.0]]])
def test_module_load_state_dict_names_a_value_that_is_not_an_array(value):
    m = nn.Linear(1, 1)
    with pytest.raises(RuntimeError, match=r'copying the parameter named "weight", expected a Tensor or an '
                                           f'array-like object, but received {type(value).__name__}'):
        m.load_state_dict({"weight": value, "bias": mg.zeros(1)})


def test_optimizer_loads_a_pytorch_adam_state_dict_and_steps_the_same():
    w0 = np.random.default_rng(1).standard_normal((3, 2)).astype(np.float32)
    tw = torch.nn.Parameter(torch.from_numpy(w0.copy()))
    topt = torch.optim.Adam([tw], lr=0.1, betas=(0.5, 0.9))
    for _ in range(3):
        topt.zero_grad()
        (tw * tw).sum().backward()
        topt.step()
    w = nn.Parameter(mg.tensor(tw.detach().numpy()))
    opt = optim.Adam([w])
    opt.load_state_dict(topt.state_dict())
    assert opt.param_groups[0]["betas"] == (0.5, 0.9) and opt.state[w]["step"] == 3
    topt.zero_grad()
    (tw * tw).sum().backward()
    topt.step()
    (w * w).sum().backward()
    opt.step()
    np.testing.assert_allclose(w.numpy(), tw.detach().numpy(), rtol=1e-6)


def test_an_sgd_state_dict_is_refused_by_adam_and_nothing_changes():
    p = nn.Parameter(mg.ones(2))
    sgd = optim.SGD([p], lr=30.0, momentum=0.9)
    p.grad = mg.ones(2)
    sgd.step()
    adam = optim.Adam([p], lr=0.01)
    with pytest.raises(ValueError, match=r"not one of Adam: its parameter groups lack 'betas', 'eps', "
                                         r"'amsgrad' and hold 'lr', 'momentum'"):
        adam.load_state_dict(sgd.state_dict())
    assert adam.param_groups[0]["lr"] == 0.01 and "momentum" not in adam.param_groups[0]


def test_optimizer_state_of_the_wrong_shape_is_refused():
    p = nn.Parameter(mg.ones(2))
    adam = optim.Adam([p])
    p.grad = mg.ones(2)
    adam.step()
    sd = adam.state_dict()
    sd["state"][0]["exp_avg"] = mg.zeros(3)
    with pytest.raises(ValueError, match=r"state 'exp_avg' of parameter 0 has shape \(3,\), the parameter \(2,\)"):
        optim.Adam([p]).load_state_dict(sd)


@pytest.mark.parametrize("betas", [(0.9,), (0.9, 0.99, 0.999), 0.9])
def test_adam_betas_must_be_a_pair(betas):
    with pytest.raises(ValueError, match="betas must be a pair"):
        optim.Adam([nn.Parameter(mg.ones(1))], betas=betas)


def test_linear_with_no_input_features_works_as_in_pytorch():
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        m = nn.Linear(0, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tm = torch.nn.Linear(0, 3)
    assert m.weight.shape == tuple(tm.weight.shape) == (3, 0)
    x = mg.randn(4, 0, requires_grad=True)
    y = m(x)
    assert y.numpy().tolist() == tm(torch.zeros(4, 0)).tolist() == [[0.0] * 3] * 4
    y.sum().backward()
    assert x.grad.shape == (4, 0) and m.bias.grad.numpy().tolist() == [4.0, 4.0, 4.0]


def test_load_state_dict_takes_dlpack_and_array_interface_producers():
    class DLPackOnly:  # as a JAX or CuPy array looks to minigan: no numpy(), only DLPack
        def __init__(self, a):
            self._a = a

        def __dlpack__(self, **kw):
            return self._a.__dlpack__(**kw)

        def __dlpack_device__(self):
            return self._a.__dlpack_device__()

    class ArrayOnly:
        def __init__(self, a):
            self._a = a

        def __array__(self, dtype=None, copy=None):
            return self._a

    m = nn.Linear(2, 1)
    w, b = np.array([[1.5, -2.0]], dtype=np.float64), np.array([0.25])
    m.load_state_dict({"weight": DLPackOnly(w), "bias": ArrayOnly(b)})
    assert m.weight.numpy().tolist() == [[1.5, -2.0]] and m.bias.numpy().tolist() == [0.25]
    assert m.weight.dtype == np.float32  # cast to the parameter's dtype, as copy_ does


def test_the_default_limit_refuses_a_member_declaring_768_mib(tmp_path):
    # a 1 KB zip whose directory says its member inflates to 768 MiB: refused before reading
    path = tmp_path / "bomb.npz"
    _npz_with(path, {"w.npy": _npy_bytes(np.zeros(4))})
    data = bytearray(path.read_bytes())
    central = data.index(b"PK\x01\x02")
    data[central + 24:central + 28] = (768 << 20).to_bytes(4, "little")  # uncompressed size
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match=r"bomb.npz'.*total 805306368 bytes uncompressed, over the "
                                              r"limit of 536870912"):
        mg.load(path)
