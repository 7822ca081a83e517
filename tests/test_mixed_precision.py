"""--mixed-precision: every family trains in bfloat16 and in float16 (with loss scaling) with
float32 losses, and what is saved and exported is a float32 model with the same weights."""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf
from families import FAMILIES, X  # noqa: E402

import zoo
from zoo.training import float32_outputs, float32_twin, scale_losses


@pytest.fixture
def policy(request):
    keras.mixed_precision.set_global_policy(request.param)
    yield request.param
    keras.mixed_precision.set_global_policy("float32")


@pytest.mark.parametrize("policy", ["mixed_bfloat16", "mixed_float16"], indirect=True)
@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_family_trains_in_16_bits(family, policy):
    make, data = FAMILIES[family]
    model = make()
    keras.mixed_precision.set_global_policy("float32")
    float32_outputs(model)
    model.compile(jit_compile=False)
    if policy == "mixed_float16":
        scale_losses(model)
    before = [w.copy() for w in model.get_weights()]
    data = tuple(tf.constant(d) for d in data) if isinstance(data, tuple) else tf.constant(data)
    logs = model.train_step(data)
    assert all(np.all(np.isfinite(np.asarray(v, np.float32))) for v in logs.values()), logs
    assert all(w.dtype == np.float32 for w in model.get_weights() if np.issubdtype(w.dtype, np.floating))
    if policy == "mixed_float16":  # the first steps may be skipped while the loss scale settles; it must not crash
        assert all(type(o).__name__ == "LossScaleOptimizer" for o in model.optimizers.values())
    else:
        assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    twin = float32_twin(model)
    assert all(layer.dtype_policy.name == "float32" for layer in twin._flatten_layers())
    for a, b in zip(model.get_weights(), twin.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.slow
def test_cli_mixed_precision_saves_and_exports_float32(tmp_path, cli):
    out = tmp_path / "run"
    r = cli(
        "train.ae_vanilla",
        "--hidden",
        "16",
        "--latent-dim",
        "4",
        "--mixed-precision",
        "--epochs",
        "1",
        "--limit",
        "64",
        "--batch-size",
        "16",
        "--quiet",
        "--out",
        str(out),
    )
    assert r.returncode == 0, r.stderr
    card = json.loads((out / "card.json").read_text())
    assert card["training"]["precision"] == "mixed_bfloat16"
    loaded = tf.saved_model.load(str(out / "export" / "ae-vanilla-mnist" / "1"))
    result = loaded.signatures["reconstruct"](images=tf.constant(X[:, :8, :8].repeat(4, 1).repeat(4, 2)[:, :28, :28]))
    assert result["reconstruction"].dtype == tf.float32
    model = zoo.load(str(out))
    assert 0 < card["metrics"]["test_mse"] < 1 and model.threshold == pytest.approx(
        card["metrics"]["anomaly"]["threshold"]
    )
