"""Property test: every endpoint and every public NumPy method (`model.api`) of every shipped entry,
driven with random shapes, dtypes (float16/32/64, ints, uint8, bool, strings), values (NaN, ±inf,
huge, negative), empty batches, missing/unknown/mismatched inputs and bad scalars. Each call either
returns a result (finite where the inputs were finite and in range) or raises the typed `InputError`
— never another exception, never NaN."""

import inspect
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import zoo
from zoo.errors import InputError

ENTRIES = zoo.available()
_MODELS = {}
SETTINGS = settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)


def model_of(name):
    """Each entry loaded once for this module (not shared: `calibrate` changes a model's threshold)."""
    if name not in _MODELS:
        _MODELS[name] = zoo.load(name)
    return _MODELS[name]


def _mutate(value, how, rng):
    """One kind of damage (or none) to a valid array."""
    value = np.array(value)
    if how == "valid":
        return value
    if how in ("float16", "float64", "int32", "uint8", "bool"):
        return value.astype(how)
    if how == "strings":
        return value.astype(str)
    if how == "empty":
        return value[:0]
    if how == "drop_axis":
        return value[0] if value.ndim else value
    if how == "add_axis":
        return value[..., None]
    if how == "grow_last":
        return np.concatenate([value, value[..., :1]], axis=-1) if value.ndim else value
    if how == "nested_ragged":
        return [list(np.ravel(value)[:2]), list(np.ravel(value)[:1])]
    flat = value.astype(np.float64).ravel()
    if not flat.size:
        return value
    index = int(rng.integers(flat.size))
    flat[index] = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf, "huge": 1e40, "negative": -1e6}[how]
    keep = np.issubdtype(value.dtype, np.floating) and how != "huge"  # NaN in an int array: a float array
    return flat.reshape(value.shape).astype(value.dtype if keep or how == "negative" else np.float64)


ARRAY_DAMAGE = (
    ["valid"] * 4
    + ["float16", "float64", "int32", "uint8", "bool", "strings", "empty", "drop_axis", "add_axis", "grow_last"]
    + ["nested_ragged", "nan", "inf", "-inf", "huge", "negative"]
)


def _finite_valid(outputs):
    for key, value in outputs.items():
        value = np.asarray(value)
        if np.issubdtype(value.dtype, np.floating):
            assert np.all(np.isfinite(value)), f"{key} holds NaN/inf for valid inputs"


def _call(fn, **kwargs):
    """Run fn; an InputError is a correct answer, any other exception fails the test."""
    try:
        return fn(**kwargs)
    except InputError as exc:
        assert str(exc) and "\n" not in str(exc), f"an InputError's message is one line: {exc!r}"
        return None


@pytest.mark.parametrize("entry", ENTRIES)
@SETTINGS
@given(data=st.data())
def test_every_endpoint_answers_or_refuses(entry, data):
    model = model_of(entry)
    for endpoint in model.endpoints():  # every endpoint in every example, each damaged its own way
        _drive_endpoint(model.endpoints()[endpoint], data)


def _drive_endpoint(ep, data):
    batch, seed = data.draw(st.integers(1, 3)), data.draw(st.integers(0, 2**16))
    damage, keys = data.draw(st.sampled_from(ARRAY_DAMAGE)), data.draw(st.sampled_from(KEY_DAMAGE))
    rng = np.random.default_rng(seed)
    inputs = ep.example_inputs(batch=batch, seed=seed)
    names = sorted(inputs)
    victim = names[data.draw(st.integers(0, len(names) - 1))]
    inputs[victim] = _mutate(inputs[victim], damage, rng)
    if keys == "missing":
        inputs.pop(victim)
    elif keys == "unknown":
        inputs["unknown"] = np.zeros((batch,), np.float32)
    elif keys == "mismatched_batch" and len(names) > 1:
        other = next(n for n in names if n != victim)
        inputs[other] = np.concatenate([inputs[other], inputs[other][:1]])
    outputs = _call(ep, **inputs)
    integer = np.issubdtype(np.dtype(ep.inputs[victim].dtype), np.integer)  # a float array there is refused
    if (damage == "valid" or damage in ("float16", "float64") and not integer) and keys == "same":
        assert outputs is not None, f"{ep.name}: valid inputs were refused"
    if outputs is not None:
        _finite_valid(outputs)
        for value in outputs.values():
            assert len(value) == batch


KEY_DAMAGE = ["same"] * 5 + ["missing", "unknown", "mismatched_batch"]


# --- the public NumPy methods ----------------------------------------------------------------------
COUNTS = st.sampled_from([1, 2, 3, np.int64(2), 0, -1, 2.5, True, "3", None])
SEEDS = st.sampled_from([0, 7, np.int32(3), -1, 2**40, 1.5, "a", None])
NUMBERS = st.sampled_from([0.0, 0.5, 1.0, 3, np.float32(0.7), -0.5, 2.0, 250.0, math.nan, math.inf, "a", None, True])
SCALARS = {"n": COUNTS, "length": COUNTS, "steps": COUNTS, "batch": COUNTS, "seed": SEEDS}
SCALARS.update(psi=NUMBERS, temperature=NUMBERS, percentile=NUMBERS)
SCALARS["direction"] = st.sampled_from(["a_to_b", "b_to_a", "a2b", 3, None])
SCALARS["text"] = SCALARS["prompt"] = st.sampled_from(["the ", "def f", "", "\x00€", 5, None])
SCALARS["quantiles"] = st.sampled_from([False, True, 1, "yes", None])
SCALARS["texts"] = st.sampled_from(
    ["en_US|3/12/21", ["de_DE|12. März 2021", "fr_FR|1 mai 1999"], [], "", "xx|1", 5, ["grinning face", "red apple"]]
)
SCALARS["target"] = st.sampled_from(["2021-03-12", "", "abc", "2021-03-12-01", 5, None])
SCALARS["beam"] = COUNTS
SCALARS["seconds"] = st.sampled_from([0.5, 2, 0, -1, 601, math.nan, "a", None])
SCALARS["mode"] = st.sampled_from(["major", "minor", "dorian", 3, None])
SCALARS["tile"] = SCALARS["return_scores"] = st.sampled_from([False, True, 1, "yes", None])


def _template(model, parameter, rng):
    """A valid array for an array parameter of a public method, from the model's endpoint specs."""
    endpoints = model.endpoints()
    specs = {key: spec for ep in endpoints.values() for key, spec in ep.inputs.items()}
    batch = int(rng.integers(1, 4))
    if parameter in ("images", "image", "start", "end"):
        spec = specs.get("images") or next(s for s in specs.values() if len(s.shape) == 4)
        image = spec.draw(rng, batch)
        return image if parameter == "images" else image[0]
    if parameter == "labels":
        return rng.integers(0, 10, size=batch).astype(np.int32)
    if parameter == "lengths" and "lengths" not in specs:  # a fixed-length model refuses any
        return rng.integers(1, 30, size=batch).astype(np.int32)
    if parameter == "ids":
        return rng.integers(0, len(model.vocabulary), size=int(rng.integers(1, 6))).astype(np.int32)
    if parameter == "series":  # a raw series a few windows long, drawn from the windows' spec
        windows = specs["windows"].draw(rng, int(rng.integers(1, 4)))
        return windows.reshape(-1, windows.shape[-1])
    return specs[parameter].draw(rng, batch)  # code, sequences, history


@pytest.mark.parametrize("entry", ENTRIES)
@SETTINGS
@given(data=st.data())
def test_every_public_method_answers_or_refuses(entry, data):
    model = model_of(entry)
    assert model.api, f"{entry} declares no public NumPy methods"
    for method in model.api:  # every method in every example
        _drive_method(model, method, data)


PER_EXAMPLE = {"labels", "lengths", "future"}  # optional arrays with one entry per example of another argument


def _drive_method(model, method, data):
    fn = getattr(model, method)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    kwargs, clean = {}, True
    taken = {key for ep in model.endpoints().values() for key in ep.inputs}
    for parameter in inspect.signature(fn).parameters.values():
        if parameter.name == "future" and "future" not in taken:  # a forecaster without known-future covariates
            continue
        if parameter.name in SCALARS:
            if parameter.default is not inspect.Parameter.empty and data.draw(st.booleans()):
                continue  # left at its default
            kwargs[parameter.name] = data.draw(SCALARS[parameter.name])
            clean = False  # a scalar may be out of range: correctness is "result or InputError"
        else:
            if parameter.name in PER_EXAMPLE and parameter.default is None and data.draw(st.booleans()):
                continue
            damage = data.draw(st.sampled_from(ARRAY_DAMAGE))
            kwargs[parameter.name] = _mutate(_template(model, parameter.name, rng), damage, rng)
            clean &= damage == "valid"
    result = _call(fn, **kwargs)
    if clean and not PER_EXAMPLE & set(kwargs):  # labels or lengths drawn at random may not match the batch
        assert result is not None, f"{method} refused valid arrays"
    if result is not None and not isinstance(result, str):
        parts = result if isinstance(result, tuple) else (result,)  # e.g. (attention weights, caption)
        _finite_valid({f"{method}[{i}]": part for i, part in enumerate(parts) if not isinstance(part, str)})


def test_bad_scalars_are_refused_by_name():
    gan, vae, lm = model_of("dcgan-mnist"), model_of("vae-mnist"), model_of("gru-char-pydoc")
    for call, word in [
        (lambda: gan.sample(4, seed=-1), "seed"),
        (lambda: gan.sample(2.5), "number of samples"),
        (lambda: model_of("stylegan-lite-mnist").sample(2, psi="a"), "psi"),
        (lambda: model_of("cyclegan-mnist-digits").translate(np.zeros((1, 32, 32, 1)), "a2b"), "direction"),
        (lambda: vae.interpolate(np.zeros((28, 28, 1)), np.ones((28, 28, 1)), steps=0), "steps"),
        (lambda: vae.interpolate(np.zeros((28, 28, 1)), np.ones((28, 28, 1)), steps=2.5), "steps"),
        (lambda: lm.decode([9999]), "vocabulary"),
        (lambda: lm.decode([-1]), "vocabulary"),
        (lambda: model_of("classifier-mnist").probabilities(np.zeros((2, 28, 28, 1), np.uint8) + 255), "255"),
        (lambda: model_of("classifier-mnist").probabilities(np.zeros((0, 28, 28, 1))), "empty"),
        (lambda: model_of("lstm-stacked-sunspots").forecast(np.zeros((24, 2))), "read as 24 series of 2 values"),
    ]:
        with pytest.raises(InputError, match=word):
            call()
    nan = np.zeros((2, 28, 28, 1), np.float32)
    nan[0, 3, 3] = np.nan
    with pytest.raises(InputError, match="NaN"):
        model_of("classifier-mnist").probabilities(nan)
    assert lm.decode(lm.encode("def")) == "def"
    forecaster = model_of("lstm-stacked-sunspots")
    short = np.zeros((1, 1, 1), np.float32)
    with pytest.raises(InputError, match="at least"):  # the endpoint refuses what forecast() refuses
        forecaster.endpoints()["forecast"](history=short)
