"""The NumPy API runs each endpoint through one compiled function per model (`ZooModel.endpoint`):
the same outputs as the eager function, one trace for any mix of batch sizes and lengths, a retrace
only when the Python state the endpoints read changes, and an eager escape hatch."""

import numpy as np
import pytest
import tensorflow as tf
from families import FAMILIES

import zoo
from zoo.errors import UnknownNameError


def traces(model, name):
    return sum(
        f.experimental_get_tracing_count()
        for (key, _), f in model.__dict__["_compiled_endpoints"].items()
        if key == name
    )


@pytest.mark.parametrize("key", sorted(FAMILIES))
def test_compiled_endpoints_equal_the_eager_functions_and_trace_once(key):
    model = FAMILIES[key][0]()
    for name, endpoint in model.endpoints().items():
        compiled = model.endpoint(name)
        for batch in (1, 3, 2, 7, 1):  # mixed batch sizes: one trace
            inputs = endpoint.example_inputs(batch=batch, seed=batch)
            eager = endpoint(**inputs)
            fast = compiled(**inputs)
            assert set(fast) == set(eager), name
            for out in eager:
                np.testing.assert_allclose(fast[out], eager[out], rtol=1e-6, atol=1e-6, err_msg=f"{key} {name} {out}")
        assert traces(model, name) == 1, (key, name)


def test_a_free_length_does_not_retrace():
    from zoo.sequence import Forecaster

    model = Forecaster(window=6, horizon=3, units=4)
    endpoint = model.endpoint("forecast")
    for steps in (6, 9, 30, 7):
        history = np.random.default_rng(steps).standard_normal((2, steps, 1)).astype(np.float32)
        np.testing.assert_allclose(
            endpoint(history=history)["forecast"], model.endpoints()["forecast"](history=history)["forecast"], atol=1e-6
        )
    assert traces(model, "forecast") == 1


def test_the_api_keeps_its_input_checks_and_a_state_change_retraces():
    model = FAMILIES["dcgan"][0]()
    model.sample(3)
    model.sample(5)
    assert traces(model, "sample") == 1
    with pytest.raises(UnknownNameError, match="no endpoint 'nope'"):
        model.endpoint("nope")
    with pytest.raises(Exception, match="must have shape"):
        model.endpoint("sample")(z=np.zeros((2, 3), np.float32))
    averaged = model.sample(2)
    model.use_average = not model.use_average  # the other generator: a new trace, not the stale one
    model.sample(2)
    assert len(model.__dict__["_compiled_endpoints"]) == 2
    model.use_average = not model.use_average
    np.testing.assert_array_equal(model.sample(2), averaged)


def test_run_functions_eagerly_is_the_escape_hatch():
    model = FAMILIES["classifier"][0]()
    images = np.random.default_rng(0).random((4, 8, 8, 1), dtype=np.float32)
    compiled = model.probabilities(images)
    tf.config.run_functions_eagerly(True)
    try:
        eager = model.probabilities(images)
    finally:
        tf.config.run_functions_eagerly(False)
    np.testing.assert_allclose(eager, compiled, rtol=1e-6, atol=1e-6)


@pytest.mark.slow
def test_shipped_api_calls_equal_their_eager_endpoints():
    """The public methods of shipped entries give what the eager endpoint gives, to float32 rounding:
    the graph runs grappler's fused kernels (matmul + bias + activation), which round differently
    from the eager ops one by one (7.6e-6 at most on the sunspot forecaster's values near 2; 0 with
    grappler off). The exported SavedModel runs the same graph."""
    forecaster = zoo.load("lstm-stacked-sunspots")
    history = forecaster.data("test").inputs[:5, :, 0] * 1.0
    eager = forecaster.endpoints()["forecast"].batched(history=history[..., None])["forecast"]
    np.testing.assert_allclose(forecaster.forecast(history), eager, rtol=2e-5, atol=1e-6)
    classifier = zoo.load("classifier-mnist")
    images = np.random.default_rng(0).random((5, 28, 28, 1), dtype=np.float32)
    eager = classifier.endpoints()["classify"](images=images)["probabilities"]
    np.testing.assert_allclose(classifier.probabilities(images), eager, rtol=2e-5, atol=1e-6)
    dates = zoo.load("gru-attention-dates")
    texts = ["de_DE|12. März 2021", "en_US|March 3, 2021"]
    source = dates.encode_texts(texts)
    ids, _, _, score = dates.greedy(tf.constant(source))
    assert dates.translate(texts) == [dates.decode_ids(row) for row in np.asarray(ids)]
    compiled = [s.log_prob for s in dates.translate(texts, return_scores=True)]
    np.testing.assert_allclose(compiled, np.asarray(score), atol=2e-5)  # the endpoint's score, summed apart


def test_attaching_a_recipe_retraces():
    """The forecaster's endpoint reads its scaling from the recipe: a recipe attached after a call
    must not leave the old scaling compiled in."""
    from zoo.sequence import Forecaster

    model = Forecaster(window=6, horizon=3, units=4, instance_norm=False)  # RevIN would cancel the scaling
    history = np.random.default_rng(0).standard_normal((2, 6)).astype(np.float32) + 10
    before = model.forecast(history)
    model.attach_recipe({"dataset": "x", "mean": 10.0, "std": 2.0})
    after = model.forecast(history)
    np.testing.assert_allclose(after, model.endpoints()["forecast"](history=history[..., None])["forecast"], atol=1e-5)
    assert not np.allclose(before, after)
