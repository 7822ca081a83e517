"""Conditional GAN and WGAN-GP on tiny configs: steps, n_critic, labels, endpoints, export."""

import numpy as np
import pytest

import zoo
from export import export_model
from zoo.errors import InputError

IMAGES = np.random.default_rng(0).random((20, 8, 8, 1), dtype=np.float32)
LABELS = (np.arange(20) % 10).astype(np.int32)


def tiny_cgan(**kw):
    return zoo.ConditionalGAN(latent_dim=8, image_shape=(8, 8, 1), width=4, **kw)


def tiny_wgan(**kw):
    return zoo.WGANGP(latent_dim=8, image_shape=(8, 8, 1), width=4, **kw)


def weights(net):
    return [np.array(v) for v in net.trainable_variables]


@pytest.mark.slow
@pytest.mark.parametrize("n_critic", [1, 3])
def test_wgan_gp_runs_n_critic_updates_per_generator_update(n_critic):
    model = tiny_wgan(n_critic=n_critic)
    model.compile()
    model.fit(IMAGES[: 6 * n_critic], batch_size=2 * n_critic, epochs=1, verbose=0)  # 3 train steps
    assert int(model.g_optimizer.iterations) == 3
    assert int(model.d_optimizer.iterations) == 3 * n_critic


def test_wgan_gp_critic_has_no_dropout_or_batchnorm_and_logs_the_estimate():
    model = tiny_wgan(n_critic=2)
    kinds = {type(layer).__name__ for layer in model.discriminator.layers}
    assert not kinds & {"BatchNormalization"} and model.dropout == 0.0
    assert model.discriminator.layers[-1].activation.__name__ == "linear"
    model.compile()
    logs = model.train_on_batch(IMAGES[:4], return_dict=True)
    assert {"wasserstein", "gradient_penalty", "d_loss", "g_loss"} <= set(logs)
    beta = model.g_optimizer.beta_1, model.g_optimizer.beta_2
    assert beta == (0.0, 0.9)


def test_cgan_step_changes_both_networks_including_label_embeddings():
    model = tiny_cgan()
    model.compile(learning_rate=1e-2)
    g0, d0 = weights(model.generator), weights(model.discriminator)
    model.train_on_batch(IMAGES[:10], LABELS[:10])
    assert all(not np.allclose(a, np.array(b)) for a, b in zip(g0, model.generator.trainable_variables))
    assert all(not np.allclose(a, np.array(b)) for a, b in zip(d0, model.discriminator.trainable_variables))


def test_cgan_samples_change_with_the_label_only():
    model = tiny_cgan()
    z = model.latents(2, seed=1)
    sample = model.endpoints()["sample"]
    a = sample(z=z, label=np.array([3, 3], np.int32))["images"]
    b = sample(z=z, label=np.array([5, 5], np.int32))["images"]
    assert not np.allclose(a, b)
    np.testing.assert_array_equal(a, sample(z=z, label=np.array([3, 3], np.int32))["images"])
    assert model.sample(12, seed=0).shape == (12, 8, 8, 1)


@pytest.mark.parametrize(
    "label, message",
    [(np.array([10]), r"must lie in \[0, 9\]"), (np.array([-1]), "must lie in"), (np.array([1.5]), "must be integer")],
)
def test_cgan_rejects_bad_labels(label, message):
    model = tiny_cgan()
    with pytest.raises(InputError, match=message):
        model.endpoints()["sample"](z=model.latents(1), label=label)


def test_cgan_exports_with_an_int32_label_input(tmp_path):
    import onnx

    report = export_model(tiny_cgan(), tmp_path, "cg")
    proto = onnx.load(str(tmp_path / "cg.sample.onnx"))
    types = {i.name: i.type.tensor_type.elem_type for i in proto.graph.input}
    assert types == {"z": onnx.TensorProto.FLOAT, "label": onnx.TensorProto.INT32}
    assert max(report["litert"]["parity"]["sample"].values()) <= 1e-4


def test_cgan_class_accuracy_uses_the_requested_labels():
    class Oracle:  # a "classifier" that calls everything a 0
        def probabilities(self, images):
            return np.eye(10)[np.zeros(len(images), int)]

    scores = tiny_cgan().class_accuracy(Oracle(), per_class=3)
    assert scores["class_accuracy"] == pytest.approx(0.1)
    assert scores["class_accuracy_per_class"]["0"] == 1.0 and scores["class_accuracy_per_class"]["7"] == 0.0
