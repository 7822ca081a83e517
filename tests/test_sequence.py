"""The sequence family: heads' shapes per cell, gradient clipping, variable-length SavedModel, the
builtin-only fixed-length LiteRT copy, teacher forcing vs free running, bad input."""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from zoo.errors import InputError
from zoo.sequence import CELLS, CharLanguageModel, Forecaster, SequenceClassifier, classical
from zoo.sequence.charlm import load_chunks
from zoo.sequence.forecast import load_forecasting, windows

VOCAB = "abcdefgh "


def forecaster(cell="lstm", **kw):
    model = Forecaster(window=6, horizon=3, cell=cell, units=5, depth=2, seed=1, **kw)
    return model.attach_recipe({"dataset": "sunspots", "kind": "arrays", "mean": 10.0, "std": 2.0, "period": 4})


def classifier(cell="bilstm", **kw):
    return SequenceClassifier(features=7, num_classes=4, steps=5, cell=cell, units=5, seed=1, **kw)


def char_lm(cell="gru", **kw):
    return CharLanguageModel(vocabulary=VOCAB, embedding_dim=4, context=8, cell=cell, units=6, seed=1, **kw)


# --- heads x cells ---------------------------------------------------------------------------------
@pytest.mark.parametrize("cell", CELLS)
def test_every_head_shape_with_every_cell(cell):
    rng = np.random.default_rng(0)
    for length in (6, 11):
        out = forecaster(cell).endpoints()["forecast"](
            history=10 + rng.standard_normal((2, length, 1)).astype(np.float32)
        )
        assert out["forecast"].shape == (2, 3)
    out = classifier(cell).endpoints()["classify"](sequences=rng.random((3, 9, 7), dtype=np.float32))
    assert out["probabilities"].shape == (3, 4) and out["label"].shape == (3,)
    np.testing.assert_allclose(out["probabilities"].sum(1), 1.0, rtol=1e-5)
    if cell != "bilstm":
        lm = char_lm(cell)
        assert lm(tf.constant(rng.integers(0, 9, (2, 5)), tf.int32)).shape == (2, 5, len(VOCAB))
        assert lm.endpoints()["next_char_logits"](ids=rng.integers(0, 9, (2, 5)).astype(np.int32))["logits"].shape == (
            2,
            len(VOCAB),
        )


def test_bidirectional_language_model_is_refused():
    with pytest.raises(InputError, match="past only"):
        char_lm("bilstm")


# --- gradient clipping ---------------------------------------------------------------------------------
def test_gradient_norm_is_clipped_before_the_update():
    model = forecaster(clip_norm=0.5, instance_norm=False)
    model.compile(optimizer=keras.optimizers.SGD(1.0))
    before = [np.array(v) for v in model.trainable_variables]
    x = np.zeros((4, 6, 1), np.float32)
    y = np.full((4, 3), 1e3, np.float32)  # a huge error: the raw gradient norm is far above 0.5
    logs = model.train_step((tf.constant(x), tf.constant(y)))
    assert float(logs["grad_norm"]) > 10.0
    step = np.sqrt(sum(np.sum((np.array(v) - b) ** 2) for v, b in zip(model.trainable_variables, before)))
    assert step == pytest.approx(0.5, rel=1e-4)  # SGD(lr=1) moved exactly the clipped norm


# --- forecasting data and metrics ---------------------------------------------------------------------
def test_forecasting_split_scaling_and_baselines():
    train = load_forecasting("sunspots", "train", 24, 10)
    values, end = train.info["values"], train.info["train_end"]
    assert train.info["mean"] == pytest.approx(values[:end].mean())  # scaling from the training part only
    assert train.inputs.shape[1:] == (24, 1) and train.targets.shape[1] == 10
    last_target_end = 24 + len(train) - 1 + 10
    assert last_target_end <= end  # no training window reaches the held-out part
    x, y, origins = windows(np.arange(20.0), 3, 2, 10, 18)
    assert origins[0] == 10 and x[0].tolist() == [7, 8, 9] and y[-1].tolist() == [18, 19]


@pytest.mark.slow
def test_forecaster_metrics_include_naive_and_classical_baselines():
    test = load_forecasting("sunspots", "test", 24, 10)
    model = Forecaster(window=24, horizon=10, units=4, seed=0).attach_recipe(test.recipe())
    metrics = model.held_out_metrics(test)
    assert set(metrics) >= {"model", "naive", "seasonal_naive_period_11"}
    values, end = test.info["values"], test.info["train_end"]
    origins = np.arange(end, len(values) - 10 + 1)
    naive_mae = np.mean([np.abs(values[t : t + 10] - values[t - 1]).mean() for t in origins])
    assert metrics["naive"]["mae"] == pytest.approx(naive_mae)
    # The classical models are scored on exactly these origins and horizon.
    assert {"autoreg", "ets", "arima"} <= set(metrics)
    chosen = classical.choose("autoreg", values, end, origins, 10, 11)
    actual = np.stack([values[t : t + 10] for t in origins])
    assert metrics["autoreg"]["mae"] == pytest.approx(np.abs(chosen.forecasts - actual).mean())
    assert metrics["autoreg"]["config"] == chosen.config


def ar2_series(n=240, seed=0):
    rng = np.random.default_rng(seed)
    y = np.zeros(n)
    for t in range(2, n):
        y[t] = 5.0 + 0.6 * y[t - 1] - 0.3 * y[t - 2] + rng.standard_normal()
    return y


@pytest.mark.parametrize("family, config", [("autoreg", 2), ("arima", (2, 0, 1)), ("ets", (True, False))])
def test_classical_forecasts_from_every_origin_equal_statsmodels_apply(family, config):
    values = ar2_series()
    fitted = classical.FAMILIES[family][0](values[:150], config, None)
    origins = np.arange(160, 231, 10)
    expected = np.stack([fitted.apply(values[:t]).forecast(5) for t in origins])
    np.testing.assert_allclose(classical.forecasts_from(fitted, values, origins, 5), expected, atol=1e-8)


@pytest.mark.slow
def test_classical_baselines_recover_a_known_ar_process():
    values = ar2_series()
    origins = np.arange(200, 231)
    chosen = classical.classical_forecasts(values, 200, origins, 3)
    assert set(chosen) == {"autoreg", "ets", "arima", "theta"}
    assert all(c.forecasts.shape == (len(origins), 3) for c in chosen.values())
    # One-step forecasts close to the true conditional mean 5 + 0.6 y[t-1] - 0.3 y[t-2] (the order
    # picked on 40 validation origins may overshoot 2; the extra lags get near-zero weights).
    truth = 5.0 + 0.6 * values[origins - 1] - 0.3 * values[origins - 2]
    error = np.abs(chosen["autoreg"].forecasts[:, 0] - truth)
    assert error.mean() < 0.3 and error.max() < 1.0, error


# --- export: variable length SavedModel, builtin-only LiteRT --------------------------------------------
@pytest.fixture(scope="module")
def exported_forecaster(tmp_path_factory):
    from export import export_model

    keras.utils.set_random_seed(3)
    model = forecaster()
    out = tmp_path_factory.mktemp("seq")
    return model, out, export_model(model, out, "tiny-forecaster")


@pytest.mark.slow
def test_savedmodel_signature_takes_two_lengths(exported_forecaster):
    model, out, _ = exported_forecaster
    loaded = tf.saved_model.load(str(out / "tiny-forecaster" / "1"))
    rng = np.random.default_rng(1)
    for length in (7, 19):
        history = (10 + rng.standard_normal((2, length, 1))).astype(np.float32)
        got = loaded.signatures["forecast"](history=tf.constant(history))["forecast"].numpy()
        np.testing.assert_allclose(got, model.endpoints()["forecast"](history=history)["forecast"], atol=1e-5)


def test_litert_is_builtin_only_fixed_length_and_matches_keras(exported_forecaster):
    from ai_edge_litert.interpreter import Interpreter

    from export.verify import litert_ops

    model, out, report = exported_forecaster
    path = out / "tiny-forecaster.tflite"
    ops = litert_ops(path)
    assert not [op for op in ops if op.startswith("Flex") or op == "CUSTOM"]
    assert "WHILE" not in ops  # unrolled: no TensorList loop
    assert report["litert"]["fixed_sequence_length"] == 6
    assert report["litert"]["inputs"]["forecast"]["history"][0] == [None, 6, 1]
    history = (10 + np.random.default_rng(2).standard_normal((3, 6, 1))).astype(np.float32)
    got = Interpreter(model_path=str(path)).get_signature_runner("forecast")(history=history)["forecast"]
    np.testing.assert_allclose(got, model.endpoints()["forecast"](history=history)["forecast"], atol=1e-4)
    assert max(report["onnx"]["forecast"]["parity"].values()) <= 1e-4


def test_mobile_copy_has_the_same_weights_and_outputs():
    model = classifier()
    mobile = model.mobile()
    assert mobile.unroll and mobile.fixed_length == 5
    x = np.random.default_rng(0).random((2, 5, 7), dtype=np.float32)
    np.testing.assert_allclose(mobile(x), model(x), atol=1e-6)


# --- teacher forcing vs free running -----------------------------------------------------------------
def test_teacher_forcing_and_free_running():
    model = char_lm()
    prompt = "abc "
    generated = model.generate(prompt, 6, temperature=0)
    assert len(generated) == 6 and set(generated) <= set(VOCAB)
    # Free running feeds its own choices back: teacher forcing on (prompt + its output) reproduces them...
    logits = model.step_logits(model.encode(prompt + generated))
    greedy = logits[len(prompt) - 1 : -1].argmax(-1)
    assert model.decode(greedy) == generated
    # ...while teacher forcing on a different true continuation conditions on the truth instead.
    truth = "".join("h" if c != "h" else "a" for c in generated)  # differs at every position
    forced = model.step_logits(model.encode(prompt + truth))
    np.testing.assert_allclose(forced[: len(prompt)], logits[: len(prompt)], atol=1e-6)  # same past, same logits
    assert np.abs(forced[len(prompt) :] - logits[len(prompt) :]).max() > 1e-4
    # Sampling is reproducible by seed and temperature changes it.
    assert model.generate(prompt, 20, 1.0, seed=3) == model.generate(prompt, 20, 1.0, seed=3)


@pytest.mark.parametrize("cell, depth", [("gru", 1), ("lstm", 2)])
def test_step_endpoint_in_a_loop_equals_the_full_sequence_at_every_position(cell, depth):
    model = char_lm(cell, depth=depth)
    ids = model.encode("abc defgh hab")
    full = model.step_logits(ids)
    step = model.endpoints()["step"]
    state = model.initial_state()
    assert state.shape == (1, depth * 6 * (2 if cell == "lstm" else 1)) and not state.any()
    for t, token in enumerate(ids):
        out = step(ids=np.array([token], np.int32), state=state)
        np.testing.assert_allclose(out["logits"][0], full[t], atol=1e-5)
        state = out["next_state"]
    # Rows are independent: a batch of two sequences steps like each alone.
    both = step(ids=np.array([1, 2], np.int32), state=np.stack([state[0], model.initial_state()[0]]))
    np.testing.assert_allclose(both["logits"][1], model.step_logits(np.array([2]))[0], atol=1e-5)
    # generate() is that loop: greedy text fed back through step equals the teacher-forced argmax chain.
    text = model.generate("abc", 12, temperature=0)
    forced = model.step_logits(model.encode("abc" + text))
    assert model.decode(forced[2:-1].argmax(-1)) == text


def test_step_nats_read_through_the_step_endpoint_equal_the_teacher_forced_loss():
    """The held-out NLL an export's `step` gives (`step_nats`, used to score LiteRT files) is the
    network's teacher-forced cross-entropy, chunk by chunk from the zero state, batched or not."""
    import keras

    model = char_lm("lstm", depth=2)
    rng = np.random.default_rng(0)
    ids = rng.integers(0, len(VOCAB), size=(5, 9)).astype(np.int32)
    inputs, targets = ids[:, :-1], ids[:, 1:]
    expected = float(
        keras.ops.sum(keras.losses.sparse_categorical_crossentropy(targets, model(inputs), from_logits=True))
    )
    for batch in (512, 2):
        nats, count = model.step_nats(inputs, targets, batch=batch)
        assert count == targets.size and nats == pytest.approx(expected, rel=1e-5)


def test_step_endpoint_refuses_a_state_of_the_wrong_shape():
    step = char_lm("lstm").endpoints()["step"]
    with pytest.raises(InputError, match=r"state' must have shape \[N, 12\]"):
        step(ids=np.array([1], np.int32), state=np.zeros((1, 6), np.float32))
    with pytest.raises(InputError, match="one batch size"):
        step(ids=np.array([1, 2], np.int32), state=np.zeros((1, 12), np.float32))
    with pytest.raises(InputError, match="NaN"):
        step(ids=np.array([1], np.int32), state=np.full((1, 12), np.nan, np.float32))
    with pytest.raises(InputError, match="prompt is empty"):
        from zoo.serving import decoding

        decoding.generate(lambda ids, state: (None, state), [], np.zeros((1, 12)), 3)


@pytest.mark.slow
def test_exported_step_generates_the_keras_text_without_tensorflow(shipped_exports):
    """`python -m zoo.decoding` drives the exported step file one character per call with NumPy and
    ONNX Runtime or LiteRT (TensorFlow made unimportable for the LiteRT run) and writes the same
    200 characters as the Keras model; bad names and prompts are one line, exit 2."""
    import subprocess
    import sys

    import zoo

    out, _ = shipped_exports
    expected = zoo.load("gru-char-pydoc").generate("The ", 200, temperature=0.8, seed=0)
    blocked = "import sys, runpy; sys.modules.update(tensorflow=None, keras=None); "
    blocked += "runpy.run_module('zoo.decoding', run_name='__main__')"
    args = [str(out), "gru-char-pydoc", "--prompt", "The ", "--length", "200", "--temperature", "0.8"]
    for runtime, launcher in (("onnx", ["-m", "zoo.decoding"]), ("litert", ["-c", blocked])):
        r = subprocess.run([sys.executable, *launcher, *args, "--runtime", runtime], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        assert r.stdout == "The " + expected + "\n", runtime
    # Logits at every position: the exported step driven in a NumPy loop (no TensorFlow) against the
    # Keras network run over the whole text at once.
    model = zoo.load("gru-char-pydoc")
    text = "The dictionary *sequence* is described as for\n   method"
    loop = """
import sys
sys.modules.update(tensorflow=None, keras=None)
import numpy as np
from zoo.serving.decoding import ExportedStep
step = ExportedStep(sys.argv[1], "gru-char-pydoc", sys.argv[2])
state, rows = step.initial_state(), []
for token in step.encode(sys.argv[3]):
    logits, state = step([token], state)
    rows.append(logits[0])
np.save(sys.argv[4], np.array(rows))
"""
    full = model.step_logits(model.encode(text))
    for runtime in ("onnx", "litert"):
        saved = out / f"step-logits-{runtime}.npy"
        r = subprocess.run(
            [sys.executable, "-c", loop, str(out), runtime, text, str(saved)], capture_output=True, text=True
        )
        assert r.returncode == 0, r.stderr[-2000:]
        np.testing.assert_allclose(np.load(saved), full, atol=1e-4, err_msg=runtime)
    for bad, message in (
        (["nope"], "no export report"),
        (["gru-char-pydoc", "--prompt", "\u20ac"], "not in the model's vocabulary"),
        (["gru-char-pydoc", "--prompt", ""], "prompt is empty"),
        (["dcgan-mnist"], "no step endpoint"),
        (["gru-char-pydoc", "--length", "0"], "positive integer"),
    ):
        r = subprocess.run([sys.executable, "-m", "zoo.decoding", str(out), *bad], capture_output=True, text=True)
        assert r.returncode == 2 and message in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr


@pytest.mark.slow
def test_early_stopping_keeps_the_best_epoch_and_resumes_to_the_same_stop(tmp_path):
    """`--validation-fraction F --patience P` (any sequence trainer): val_loss is scored on the end of
    the training series after every epoch, training stops P epochs after the best one, and the saved
    weights are the best epoch's. A run killed before the stop and resumed stops at the same epoch
    with the same weights; resuming a stopped run is refused; --patience alone is refused before
    TensorFlow loads."""
    from conftest import run_cli

    import zoo

    flags = ["--units", "8", "--lr", "0.01", "--validation-fraction", "0.2", "--patience", "2", "--no-export"]
    whole = tmp_path / "whole"
    assert run_cli("train.forecaster", *flags, "--epochs", "40", "--out", str(whole), "--quiet").returncode == 0
    card = json.loads((whole / "card.json").read_text())
    stop = card["training"]["early_stopping"]
    assert stop["stopped_epoch"] < 40 and stop["stopped_epoch"] - stop["best_epoch"] == 2
    history = card["training"]["history"]
    assert len(history) == stop["stopped_epoch"] and all("val_loss" in h for h in history)
    best = min(history, key=lambda h: h["val_loss"])
    assert best["epoch"] == stop["best_epoch"] and best["val_loss"] == stop["best_val_loss"]
    assert card["data"]["validation"]["examples"] > 0
    # The saved model is the best epoch's: its validation loss is the best one.
    model = zoo.load(str(whole))
    _, validation = load_forecasting("sunspots", "train", model.window, model.horizon).split_off_tail(0.2)
    assert model.validation_logs(validation)["val_loss"] == pytest.approx(stop["best_val_loss"], rel=1e-5)

    parts = tmp_path / "parts"
    first = stop["best_epoch"] + 1  # one epoch without improvement already counted: the count must resume
    assert run_cli("train.forecaster", *flags, "--epochs", str(first), "--out", str(parts), "--quiet").returncode == 0
    again = run_cli("train.forecaster", *flags, "--epochs", "40", "--out", str(parts), "--resume", "--quiet")
    assert again.returncode == 0, again.stderr
    resumed = json.loads((parts / "card.json").read_text())
    assert resumed["training"]["early_stopping"] == stop
    for a, b in zip(zoo.load(str(parts)).get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)

    refused = run_cli("train.forecaster", *flags, "--epochs", "60", "--out", str(whole), "--resume", "--quiet")
    assert refused.returncode == 2 and "stopped early" in refused.stderr
    alone = run_cli("train.char_lm", "--patience", "3", "--out", str(tmp_path / "x"))
    assert alone.returncode == 2 and "--validation-fraction" in alone.stderr and not (tmp_path / "x").exists()


def test_dropout_is_active_in_training_only_and_kept_in_the_config():
    model = char_lm("lstm", dropout=0.5, recurrent_dropout=0.5)
    ids = tf.constant(model.encode("abc defgh hab")[None])
    np.testing.assert_array_equal(model(ids), model(ids))  # inference: no dropout
    assert not np.allclose(model(ids, training=True), model(ids))
    # Inference uses the fused cells (Keras' recurrent-dropout form is 5.6x slower), which compute the same.
    fused = np.asarray(model(ids))
    cells = [layer.cell for layer in model.network.layers if isinstance(layer, keras.layers.RNN)]
    assert cells and all(cell.implementation == 2 for cell in cells)
    for cell in cells:
        cell.implementation = 1
    np.testing.assert_allclose(model.network(ids), fused, atol=1e-5)
    config = model.get_config()
    assert config["dropout"] == 0.5 and config["recurrent_dropout"] == 0.5
    assert "dropout" not in char_lm().get_config()  # older cards' configs stay as they were
    np.testing.assert_allclose(model.mobile(13)(ids), model(ids), atol=1e-5)  # the LiteRT copy too
    with pytest.raises(InputError, match="dropout"):
        char_lm(dropout=1.0)


def test_char_chunks_are_shifted_by_one():
    data = load_chunks("pydoc", "train", 50)
    vocab = data.info["vocabulary"]
    np.testing.assert_array_equal(data.inputs[0, 1:], data.targets[0, :-1])
    assert data.inputs.max() < len(vocab) and data.inputs.shape[1] == 50
    # the chunks are views of one id stream; batches gather from it the rows a copy would hold
    from zoo.data import ArraySet

    copied = ArraySet("pydoc", "train", data.inputs[:], data.targets[:])
    for (a, b), (c, d) in zip(data.batches(64, 0, 0, 2)[0].take(4), copied.batches(64, 0, 0, 2)[0].take(4)):
        assert a.dtype == c.dtype == "int32"
        np.testing.assert_array_equal(a, c)
        np.testing.assert_array_equal(b, d)


def test_tfds_text_dataset_by_name_with_mock_data():
    import tensorflow_datasets as tfds

    with tfds.testing.mock_data(num_examples=60, policy=tfds.testing.MockPolicy.USE_CODE):
        data = load_chunks("tfds:imdb_reviews", "train", 10)
    assert data.inputs.shape[1] == 10 and len(data.info["vocabulary"]) >= 2
    assert "imdb_reviews" in data.info["description"]


# --- bad input ---------------------------------------------------------------------------------------
def test_bad_input_is_a_clear_error():
    f, c, lm = forecaster(), classifier(), char_lm()
    with pytest.raises(InputError, match="too short"):
        f.forecast(np.ones(5))
    with pytest.raises(InputError, match="NaN"):
        f.forecast(np.r_[np.ones(8), np.nan])
    with pytest.raises(InputError, match="one series"):
        f.forecast(np.ones((2, 8, 3)))
    with pytest.raises(InputError, match="7"):
        c.probabilities(np.ones((2, 5, 6)))
    with pytest.raises(InputError, match="shape"):
        c.endpoints()["classify"](sequences=np.ones((2, 5, 6), np.float32))
    with pytest.raises(InputError, match="vocabulary"):
        lm.generate("abz", 3)
    with pytest.raises(InputError, match=r"\[0, 8\]"):
        lm.endpoints()["next_char_logits"](ids=np.array([[0, 9]], np.int32))
    with pytest.raises(InputError, match="integer"):
        lm.endpoints()["next_char_logits"](ids=np.array([[0.5, 1.0]], np.float32))


@pytest.mark.slow
@pytest.mark.parametrize(
    "args, message",
    [
        (["train.char_lm", "--cell", "bilstm"], "past only"),
        (["train.forecaster", "--dataset", "sunspot"], "did you mean"),
        (["train.forecaster", "--window", "300"], "too short"),
    ],
)
def test_cli_bad_flags(args, message, tmp_path, cli):
    out = tmp_path / "run"
    r = cli(*args, "--out", str(out), "--epochs", "1")
    assert r.returncode == 2 and message in r.stderr, r.stderr
    assert not out.exists()


@pytest.mark.slow
def test_cli_forecaster_trains_and_records_baselines(tmp_path, cli):
    out = tmp_path / "run"
    r = cli("train.forecaster", "--epochs", "2", "--units", "8", "--out", str(out), "--no-export", "--quiet")
    assert r.returncode == 0, r.stderr
    metrics = json.loads((out / "card.json").read_text())["metrics"]
    assert {"model", "naive", "seasonal_naive_period_11"} <= set(metrics)


def test_recurrent_exports_run_without_tensorflow(exported_forecaster):
    from conftest import portable_check

    _, out, _ = exported_forecaster
    report = portable_check(out, "tiny-forecaster")
    assert set(report["litert"]) == set(report["onnx"]) == set(report["ort"]) == {"forecast"}


def test_an_unrolled_copy_that_computes_otherwise_fails_the_export_before_any_file(tmp_path, monkeypatch):
    """LiteRT converts a recurrent model's fixed-length unrolled copy; the exporter checks in Keras
    that the copy computes what the model does before converting it (quantized variants are not
    held to parity, so a wrong copy would otherwise ship as a plausible-looking int8 file)."""
    from export import ParityError, export_model

    model = forecaster()
    real_mobile = type(model).mobile

    def drifted(self):
        copy = real_mobile(self)
        kernel = copy.network.layers[0].weights[0]
        kernel.assign(kernel.numpy() + 0.1)
        return copy

    monkeypatch.setattr(type(model), "mobile", drifted)
    with pytest.raises(ParityError, match=r"keras \(converted copy\): endpoint 'forecast' output"):
        export_model(model, tmp_path, "drifted", formats=("litert-quantized",))
    assert not list(tmp_path.glob("drifted*.tflite*"))


def test_forecast_plot_paths_and_render(tmp_path):
    from zoo import vis

    test = load_forecasting("sunspots", "test", 24, 10)
    model = Forecaster(window=24, horizon=10, units=4, seed=0).attach_recipe(test.recipe())
    steps, values, paths, start, _ = vis.forecast_paths(model)
    assert len(steps) == len(values) == 309 and start == test.info["train_end"]
    assert [origin for origin, _, _ in paths] == list(range(start, 309 - 10 + 1, 10))
    assert all(ours.shape == (10,) and seasonal.shape == (10,) for _, ours, seasonal in paths)
    vis.render(model, "forecast", tmp_path / "f.png")
    assert (tmp_path / "f.png").stat().st_size > 1000


def test_compressor_bits_per_char_counts_characters_and_uses_the_training_text():
    from zoo.sequence.charlm import compressor_bits_per_char

    rng = np.random.default_rng(0)
    train = "".join(rng.choice(list("abcdefgh"), 20000))
    figures = compressor_bits_per_char(train, train[:5000])  # test text seen verbatim in training
    for name in ("gzip-9", "xz-9"):
        assert 2.0 < figures[name]["alone"] < 4.0  # 8 equiprobable letters: 3 bits each, plus overhead
        assert figures[name]["after_training_text"] < 0.5 * figures[name]["alone"]
    two_byte = compressor_bits_per_char("é" * 100, "é" * 100)
    assert two_byte["gzip-9"]["alone"] < 8.0  # per character, not per UTF-8 byte


# --- quantile forecasts -------------------------------------------------------------------------------
def test_quantile_forecasts_are_ordered_and_the_median_is_the_point_forecast():
    model = forecaster(quantiles=(0.1, 0.5, 0.9))
    history = 10 + 5 * np.random.default_rng(4).standard_normal((16, 9))
    levels = model.forecast(history, quantiles=True)
    assert levels.shape == (16, 3, 3)
    assert np.all(np.diff(levels, axis=-1) > 0)  # no crossing, whatever the weights
    np.testing.assert_array_equal(model.forecast(history), levels[..., 1])
    with pytest.raises(InputError, match="point forecasts only"):
        forecaster().forecast(history, quantiles=True)
    for bad in [(0.1, 0.9), (0.5, 0.1), (0.0, 0.5), (0.5, 0.5, 0.9)]:
        with pytest.raises(InputError, match="quantiles must be"):
            forecaster(quantiles=bad)


def test_pinball_loss_is_hand_computed():
    from zoo.sequence.forecast import pinball

    targets = tf.constant([[1.0, 4.0]])
    outputs = tf.constant([[[0.0, 2.0], [5.0, 4.0]]])  # [N=1, H=2, Q=2] for levels 0.1, 0.9
    got = pinball(targets, outputs, (0.1, 0.9)).numpy()
    # 1 vs 0: under by 1 -> 0.1 * 1;  1 vs 2: over by 1 -> 0.1;  4 vs 5: over by 1 -> 0.9;  4 vs 4: 0
    np.testing.assert_allclose(got, [[[0.1, 0.1], [0.9, 0.0]]], atol=1e-7)


def test_quantile_metrics_measure_coverage_on_the_held_out_origins():
    test = load_forecasting("sunspots", "test", 24, 10)
    model = Forecaster(window=24, horizon=10, units=4, seed=0, quantiles=(0.1, 0.5, 0.9))
    model.attach_recipe(test.recipe())
    metrics = model.held_out_metrics(test)["quantiles"]
    inputs, actual, _ = windows(test.info["values"], 24, 10, test.info["train_end"], len(test.info["values"]) - 10)
    levels = model.forecast(inputs, quantiles=True)
    inside = (actual >= levels[..., 0]) & (actual <= levels[..., 2])
    assert metrics["coverage"] == pytest.approx(inside.mean()) and metrics["levels"] == [0.1, 0.5, 0.9]
    assert metrics["interval"].startswith("0.1-0.9 (80% nominal)")


def test_quantile_forecaster_exports_both_outputs_with_parity(tmp_path):
    from ai_edge_litert.interpreter import Interpreter

    from export import export_model
    from export.verify import litert_ops

    keras.utils.set_random_seed(3)
    model = forecaster(quantiles=(0.1, 0.5, 0.9))
    report = export_model(model, tmp_path, "tiny-quantiles", formats=("onnx", "litert"))
    assert max(report["onnx"]["forecast"]["parity"].values()) <= 1e-4
    path = tmp_path / "tiny-quantiles.tflite"
    assert not [op for op in litert_ops(path) if op.startswith("Flex") or op == "CUSTOM"]
    history = (10 + np.random.default_rng(2).standard_normal((3, 6, 1))).astype(np.float32)
    got = Interpreter(model_path=str(path)).get_signature_runner("forecast")(history=history)
    want = model.endpoints()["forecast"](history=history)
    for key in ("forecast", "quantiles"):
        np.testing.assert_allclose(got[key], want[key], atol=1e-4)


def test_cli_refuses_bad_quantile_levels(tmp_path, cli):
    r = cli("train.forecaster", "--quantiles", "0.1,0.9", "--out", str(tmp_path / "run"))
    assert r.returncode == 2 and "including 0.5" in r.stderr and not (tmp_path / "run").exists()
