"""Full-state checkpoints: exact round trip, refusal of foreign or damaged files, atomic writes."""

import numpy as np
import pytest
from conftest import tiny_dcgan

from zoo import checkpoint
from zoo.errors import CheckpointError


def trained(seed=0, steps=2):
    model = tiny_dcgan()
    model.compile(learning_rate=1e-2)
    for i in range(steps):
        model.train_on_batch(np.random.default_rng(seed + i).random((8, 8, 8, 1), dtype=np.float32))
    return model


def test_round_trip_restores_weights_optimizers_and_rng(tmp_path):
    model = trained()
    path = tmp_path / "c.npz"
    checkpoint.save(path, model, epoch=3, note="x")
    fresh = tiny_dcgan()
    fresh.compile(learning_rate=1e-2)
    meta = checkpoint.restore(path, fresh)
    assert meta["epoch"] == 3 and meta["note"] == "x"
    for a, b in zip(model.variables, fresh.variables):  # includes seed-generator states
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    for name in ("g_optimizer", "d_optimizer"):
        for a, b in zip(model.optimizers[name].variables, fresh.optimizers[name].variables):
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    # Same state -> the next step is identical.
    batch = np.random.default_rng(9).random((8, 8, 8, 1), dtype=np.float32)
    assert model.train_on_batch(batch, return_dict=True) == fresh.train_on_batch(batch, return_dict=True)
    assert list(tmp_path.iterdir()) == [path]  # no temp files left behind


def test_corrupted_file_is_a_clear_error(tmp_path):
    path = tmp_path / "c.npz"
    path.write_bytes(b"not a zip at all")
    model = tiny_dcgan()
    model.compile()
    with pytest.raises(CheckpointError, match="corrupted"):
        checkpoint.restore(path, model)


def test_checkpoint_of_another_config_is_refused_and_model_untouched(tmp_path):
    path = tmp_path / "c.npz"
    checkpoint.save(path, trained(), epoch=1)
    other = tiny_dcgan(width=6)
    other.compile()
    before = [np.asarray(v).copy() for v in other.variables]
    with pytest.raises(CheckpointError, match="config"):
        checkpoint.restore(path, other)
    for a, b in zip(before, other.variables):
        np.testing.assert_array_equal(a, np.asarray(b))
