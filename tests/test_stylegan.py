"""StyleGAN-lite on a tiny config: mapping depth, truncation, noise inputs, mixing, R1, endpoints."""

import numpy as np
import pytest
import tensorflow as tf
from conftest import assert_hand_computed_average

import zoo
from zoo.errors import InputError
from zoo.gan.stylegan import ModulatedConv


@pytest.fixture(scope="module")
def model():
    m = zoo.StyleGANLite(channels=(8, 8, 4, 4), d_width=4, w_dim=16, latent_dim=16, seed=2)
    m.compile()
    m.train_on_batch(np.random.default_rng(0).random((8, 32, 32, 1), dtype=np.float32))  # moves w_avg off zero
    return m


def test_mapping_has_at_least_four_equalised_layers():
    with pytest.raises(ValueError, match="at least 4"):
        zoo.StyleGANLite(mapping_layers=3)
    m = zoo.StyleGANLite(channels=(8, 8, 4, 4), d_width=4, w_dim=16, latent_dim=16)
    dense = [layer for layer in m.mapping.layers if type(layer).__name__ == "EqualizedDense"]
    assert len(dense) == 4 and all(layer.lr_multiplier == 0.01 for layer in dense)


@pytest.mark.slow
def test_psi_zero_gives_the_average_w_image_for_any_z(model):
    sample = model.endpoints()["sample"]
    noise = model.noise_inputs(3, seed=0)
    psi0 = np.zeros(3, np.float32)
    a = sample(z=model.latents(3, seed=1), psi=psi0, **noise)["images"]
    b = sample(z=model.latents(3, seed=2), psi=psi0, **noise)["images"]
    np.testing.assert_allclose(a, b, atol=1e-6)
    w_avg = np.repeat(np.asarray(model.w_avg)[None], 3, axis=0)
    expected = model.endpoints()["synthesis"](w=w_avg, **noise)["images"]
    np.testing.assert_allclose(a, expected, atol=1e-6)
    c = sample(z=model.latents(3, seed=2), psi=np.ones(3, np.float32), **noise)["images"]
    assert not np.allclose(b, c)


def test_noise_is_an_input_that_changes_the_image(model):
    z, psi = model.latents(2, seed=0), np.ones(2, np.float32)
    strengths = [np.asarray(conv.noise_strength) for _, conv in model.synthesis.convs]
    assert any(np.abs(s).max() > 0 for s in strengths)  # learned away from their zero init
    a = model.endpoints()["sample"](z=z, psi=psi, **model.noise_inputs(2, seed=0))["images"]
    b = model.endpoints()["sample"](z=z, psi=psi, **model.noise_inputs(2, seed=1))["images"]
    assert not np.allclose(a, b)


@pytest.mark.parametrize("psi", [-0.1, 1.5])
def test_psi_outside_unit_interval_is_refused(model, psi):
    with pytest.raises(InputError, match=r"psi must be a finite number in \[0.0, 1.0\]"):
        model.sample(2, psi=psi)


def test_wrong_noise_shape_is_refused(model):
    noise = model.noise_inputs(2)
    noise["noise1"] = np.zeros((2, 4, 4, 1), np.float32)
    with pytest.raises(InputError, match=r"'noise1' must have shape \[N, 8, 8, 1\]"):
        model.endpoints()["sample"](z=model.latents(2), psi=np.ones(2, np.float32), **noise)


def test_demodulation_normalises_output_channels():
    conv = ModulatedConv(6, 3, noise=False, activate=False)
    x = tf.random.stateless_normal((4, 16, 16, 5), seed=(1, 2))
    w = tf.random.stateless_normal((4, 7), seed=(3, 4))
    conv.build([x.shape, w.shape])
    y = conv([x, w]).numpy() - conv.bias.numpy()
    # With unit-variance i.i.d. inputs a demodulated conv keeps unit variance per output channel.
    assert np.std(y[:, 2:-2, 2:-2]) == pytest.approx(1.0, abs=0.15)


def test_style_mixing_uses_two_ws_after_a_crossover(model):
    mixed = zoo.StyleGANLite(channels=(8, 8, 4, 4), d_width=4, w_dim=16, latent_dim=16, mixing=1.0)
    ws, w1 = mixed.mixed_ws(64)
    ws = ws.numpy()
    assert ws.shape == (64, mixed.synthesis.num_ws, 16)
    np.testing.assert_allclose(ws[:, 0], w1.numpy())  # the first layer always takes w1
    differs = np.abs(ws - ws[:, :1]).max(axis=2) > 0  # [B, layers]: layer uses the second w
    assert differs.any(axis=1).all()  # every example mixes (p = 1)
    assert all(np.all(np.diff(row.astype(int)) >= 0) for row in differs)  # w1 ... w1 w2 ... w2


@pytest.mark.slow
def test_one_step_updates_mapping_synthesis_and_discriminator_and_logs_r1():
    m = zoo.StyleGANLite(channels=(8, 8, 4, 4), d_width=4, w_dim=16, latent_dim=16)
    m.compile(learning_rate=1e-2)
    parts = [m.mapping, m.synthesis, m.discriminator]
    before = [[np.array(v) for v in p.trainable_variables] for p in parts]
    logs = m.train_on_batch(np.random.default_rng(1).random((8, 32, 32, 1), dtype=np.float32), return_dict=True)
    assert logs["r1_penalty"] > 0
    for part, old in zip(parts, before):
        assert any(not np.allclose(o, np.array(v)) for o, v in zip(old, part.trainable_variables)), part.name


@pytest.mark.slow
def test_three_endpoints_export_with_parity(tmp_path):
    from export import export_model

    m = zoo.StyleGANLite(channels=(4, 4, 4, 4), d_width=2, w_dim=8, latent_dim=8)
    report = export_model(m, tmp_path, "sg", formats=("onnx", "litert"))
    assert set(report["onnx"]) == {"sample", "mapping", "synthesis"}
    assert set(report["litert"]["parity"]) == {"sample", "mapping", "synthesis"}
    assert not [op for op in report["litert"]["ops"] if op.startswith("Flex")]


@pytest.mark.slow
@pytest.mark.parametrize("loss", ["hinge", "wgan-gp"])
def test_any_adversarial_loss_trains(loss):
    m = zoo.StyleGANLite(channels=(4, 4, 4, 4), d_width=2, w_dim=8, latent_dim=8, loss=loss)
    m.compile()
    logs = m.train_on_batch(np.random.default_rng(2).random((4, 32, 32, 1), dtype=np.float32), return_dict=True)
    assert all(np.isfinite(v) for v in logs.values())
    if loss == "wgan-gp":
        assert logs["gradient_penalty"] > 0


@pytest.mark.slow
def test_ema_averages_mapping_and_synthesis_and_every_output_comes_from_it(tmp_path):
    m = zoo.StyleGANLite(channels=(4, 4, 4, 4), d_width=2, w_dim=8, latent_dim=8, ema_decay=0.9)
    m.compile(learning_rate=1e-2)
    assert [n for n, _ in m.averaged_networks()] == [m.mapping, m.synthesis]
    images = np.random.default_rng(3).random((4, 32, 32, 1), dtype=np.float32)
    assert_hand_computed_average(m, 0.9, 3, lambda: m.train_on_batch(images))
    z = m.latents(3, seed=1)
    noise = m.noise_inputs(3, seed=1)
    ws = tf.tile(m.mapping_ema(z)[:, None, :], [1, m.synthesis.num_ws, 1])
    want = np.clip(m.synthesis_ema(ws, list(noise.values())).numpy(), 0, 1)
    np.testing.assert_allclose(m.sample(3, seed=1), want, atol=1e-6)
    raw = np.clip(
        m.synthesis(tf.tile(m.mapping(z)[:, None, :], [1, m.synthesis.num_ws, 1]), list(noise.values())), 0, 1
    )
    assert not np.allclose(m.sample(3, seed=1), raw)  # the trained networks stay apart
    np.testing.assert_allclose(m.endpoints()["mapping"](z=z)["w"], m.mapping_ema(z).numpy(), atol=1e-6)
    # The averages are part of the saved model.
    m.save_weights(tmp_path / "m.weights.h5")
    again = zoo.StyleGANLite(channels=(4, 4, 4, 4), d_width=2, w_dim=8, latent_dim=8, ema_decay=0.9)
    again.load_weights(tmp_path / "m.weights.h5")
    np.testing.assert_array_equal(again.sample(3, seed=1), m.sample(3, seed=1))


def test_augmentation_reaches_real_and_generated_images_the_discriminator_sees(monkeypatch):
    m = zoo.StyleGANLite(channels=(4, 4, 4, 4), d_width=2, w_dim=8, latent_dim=8, augment="translation,cutout")
    m.compile()
    seen = []
    original = m.augmented
    monkeypatch.setattr(m, "augmented", lambda images: seen.append(images.shape) or original(images))
    m.train_step(tf.constant(np.random.default_rng(4).random((4, 32, 32, 1), dtype=np.float32)))
    assert len(seen) == 3  # real, generated for the discriminator, generated for the generator
