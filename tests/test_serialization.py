"""mg.save / mg.load: round trips, trainer checkpoints, atomic writes, clear errors."""
from __future__ import annotations

import numpy as np
import pytest

import minigan as mg
from minigan import nn, optim
from minigan.serialization import CheckpointError


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


def test_failed_save_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    m = nn.Linear(2, 2)
    mg.save(m.state_dict(), path)
    good = m.weight.numpy().copy()

    def broken_savez(f, **arrays):
        f.write(b"PK\x03\x04 half a zip")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", broken_savez)
    with pytest.raises(OSError, match="disk full"):
        mg.save({"weight": mg.zeros(2, 2), "bias": mg.zeros(2)}, path)
    monkeypatch.undo()
    np.testing.assert_array_equal(mg.load(path)["weight"].numpy(), good)
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.npz"]  # no temporary left behind


def test_unsupported_leaf_is_named():
    with pytest.raises(TypeError, match="at 'cfg/fn'"):
        mg.save({"cfg": {"fn": object()}}, "/tmp/never-written.npz")
