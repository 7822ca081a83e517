"""DCGAN behaviour on tiny configs: steps move the right weights, sampling, saving, every loss."""

import keras
import numpy as np
import pytest
from conftest import tiny_dcgan

import zoo
from zoo.errors import InputError
from zoo.losses import ADVERSARIAL_LOSSES


def real_batch(n=16, seed=0):
    return np.random.default_rng(seed).random((n, 8, 8, 1), dtype=np.float32)


def snapshot(net):
    return [np.array(v) for v in net.trainable_variables]


def changed(before, net):
    return [not np.allclose(b, np.array(a)) for b, a in zip(before, net.trainable_variables)]


@pytest.mark.parametrize("loss", list(ADVERSARIAL_LOSSES))
def test_one_step_updates_both_networks_with_finite_losses(loss):
    model = tiny_dcgan(loss=loss)
    model.compile(learning_rate=1e-2)
    g0, d0 = snapshot(model.generator), snapshot(model.discriminator)
    logs = model.train_on_batch(real_batch(), return_dict=True)
    assert set(logs) >= {"d_loss", "g_loss", "d_accuracy"}
    assert all(np.isfinite(v) for v in logs.values())
    assert all(changed(g0, model.generator))
    d_changed = changed(d0, model.discriminator)
    if loss in ("wgan-gp", "hinge"):
        # The critic's output bias adds equally to real and fake scores: its gradient is exactly 0
        # in C(fake) - C(real), and in the hinge loss while every score is inside the margin.
        assert d_changed == [True] * (len(d_changed) - 1) + [False]
    else:
        assert all(d_changed)
    if loss == "wgan-gp":
        assert logs["gradient_penalty"] > 0


def test_a_few_steps_move_the_losses():
    model = tiny_dcgan()
    model.compile(learning_rate=5e-3)
    data = np.ones((64, 8, 8, 1), np.float32)  # "real" = all-white: easy to tell from early fakes
    history = model.fit(data, batch_size=16, epochs=10, verbose=0, shuffle=False).history
    assert np.ptp(history["d_loss"]) > 0.01 and np.ptp(history["g_loss"]) > 0.01


def test_discriminator_learns_against_a_frozen_generator():
    model = tiny_dcgan()
    model.compile(g_optimizer=keras.optimizers.SGD(0.0), d_optimizer=keras.optimizers.Adam(5e-3))
    data = np.ones((64, 8, 8, 1), np.float32)
    history = model.fit(data, batch_size=16, epochs=15, verbose=0, shuffle=False).history
    assert history["d_accuracy"][0] < 0.7 and history["d_accuracy"][-1] == 1.0
    assert history["d_loss"][-1] < 0.7 * history["d_loss"][0]


def test_generator_step_leaves_discriminator_alone():
    model = tiny_dcgan()
    model.compile()
    # lr 0 for the discriminator: any change to it would have to come from the generator's step.
    model.compile(d_optimizer=keras.optimizers.SGD(0.0))
    d0 = snapshot(model.discriminator)
    model.train_on_batch(real_batch())
    assert not any(changed(d0, model.discriminator))


def test_sample_is_reproducible_and_in_unit_range():
    model = tiny_dcgan()
    a, b, c = model.sample(5, seed=3), model.sample(5, seed=3), model.sample(5, seed=4)
    assert a.shape == (5, 8, 8, 1) and a.dtype == np.float32
    assert 0.0 <= a.min() and a.max() <= 1.0
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


@pytest.mark.parametrize("n", [0, -2, 2.5, "3"])
def test_sample_rejects_bad_counts(n):
    with pytest.raises(InputError, match="number of samples must be an integer >= 1"):
        tiny_dcgan().sample(n)


def test_sample_endpoint_outputs_uint8_consistent_with_float():
    model = tiny_dcgan()
    out = model.endpoints()["sample"](z=model.latents(4, seed=0))
    assert out["images_uint8"].dtype == np.uint8
    np.testing.assert_array_equal(out["images_uint8"], np.floor(out["images"] * 255 + 0.5).astype(np.uint8))


def test_keras_file_round_trip_in_safe_mode(tmp_path):
    model = tiny_dcgan(loss="hinge", upsample="transpose")
    model.compile()
    model.train_on_batch(real_batch())
    path = tmp_path / "m.keras"
    model.save(path)
    again = keras.saving.load_model(path, safe_mode=True)
    assert isinstance(again, zoo.DCGAN) and again.get_config() == model.get_config()
    np.testing.assert_allclose(again.sample(4, seed=1), model.sample(4, seed=1), atol=1e-6)


def test_subpixel_upsampling_has_the_size_of_the_transposed_convolution():
    sub, tr = tiny_dcgan(upsample="subpixel"), tiny_dcgan(upsample="transpose")
    count = lambda m: sum(int(np.prod(v.shape)) for v in m.generator.trainable_variables)  # noqa: E731
    # Conv2D(4c, 2x2) has 4*4*cin*c weights like Conv2DTranspose(c, 4x4); biases: 4c vs c.
    biases_extra = 3 * (2 * 4) + 3 * 4
    assert count(sub) == count(tr) + biases_extra


def test_image_sides_must_be_divisible_by_four():
    with pytest.raises(ValueError, match="divisible by 4"):
        tiny_dcgan(image_shape=(10, 10, 1))
