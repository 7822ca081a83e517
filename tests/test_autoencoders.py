"""The autoencoder family: each regulariser against a hand computation, corruption only in
training, the linear AE <-> PCA subspace, endpoints, anomaly threshold, bad input, export parity."""

import math

import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.autoencoders import TYPES
from zoo.autoencoders.contractive import sigmoid_jacobian_norm
from zoo.autoencoders.denoising import apply_corruption, psnr
from zoo.autoencoders.dense import pca_comparison
from zoo.autoencoders.sparse import kl_sparsity
from zoo.autoencoders.vae import gaussian_kl
from zoo.data import ImageSet
from zoo.errors import InputError

SHAPE = (8, 8, 1)


def tiny(kind, **overrides):
    config = {"image_shape": SHAPE, "latent_dim": 4, "seed": 1}
    if kind not in ("conv", "overcomplete", "sparse", "contractive", "linear"):
        config["hidden"] = (16,)
    if kind == "conv":
        config["width"] = 4
    config.update(overrides)
    return TYPES[kind](**config)


def images(n=6, seed=0):
    return np.random.default_rng(seed).random((n, *SHAPE), dtype=np.float32)


# --- regularisers against hand computations ---------------------------------------------------
def test_kl_sparsity_matches_hand_formula():
    code = np.array([[0.1, 0.5, 0.9], [0.3, 0.1, 0.7]], np.float32)
    rho = 0.05
    rho_hat = code.mean(0)  # 0.2, 0.3, 0.8
    expected = sum(rho * math.log(rho / q) + (1 - rho) * math.log((1 - rho) / (1 - q)) for q in rho_hat)
    assert float(kl_sparsity(tf.constant(code), rho)) == pytest.approx(expected, rel=1e-5)
    assert float(kl_sparsity(tf.fill([4, 3], rho), rho)) == pytest.approx(0.0, abs=1e-6)  # at the target: no penalty


def test_sparse_penalties_in_the_loss():
    x = images()
    kl = tiny("sparse", sparsity_weight=2.0)
    code = kl.encoder(x)
    terms, logs = kl.loss_terms(tf.constant(x))
    assert float(terms["sparsity"]) == pytest.approx(2.0 * float(kl_sparsity(code, 0.05)), rel=1e-5)
    assert float(logs["mean_activation"]) == pytest.approx(float(np.mean(code)), rel=1e-5)
    l1 = tiny("sparse", sparsity="l1", sparsity_weight=0.5)
    terms, _ = l1.loss_terms(tf.constant(x))
    assert float(terms["sparsity"]) == pytest.approx(0.5 * np.abs(np.asarray(l1.encoder(x))).sum(1).mean(), rel=1e-5)


def test_contractive_penalty_equals_finite_difference_jacobian():
    model = tiny("contractive", latent_dim=3)
    x = images(2, seed=3)
    flat = x.reshape(2, -1).astype(np.float64)
    encode = lambda v: np.asarray(model.encoder(v.reshape(-1, *SHAPE).astype(np.float32)), np.float64)  # noqa: E731
    eps = 1e-3
    for i in range(2):
        jac = np.zeros((3, flat.shape[1]))
        for d in range(flat.shape[1]):
            up, down = flat[i].copy(), flat[i].copy()
            up[d] += eps
            down[d] -= eps
            jac[:, d] = (encode(up)[0] - encode(down)[0]) / (2 * eps)
        analytic = float(sigmoid_jacobian_norm(model.encoder(x[i : i + 1]), model.code_kernel)[0])
        assert analytic == pytest.approx(float(np.sum(jac**2)), rel=1e-3)
    terms, _ = model.loss_terms(tf.constant(x))
    assert float(terms["contraction"]) == pytest.approx(
        0.1 * float(np.mean(model.jacobian_norm(model.encoder(x)))), rel=1e-5
    )


def test_contractive_refuses_an_encoder_without_an_exact_jacobian():
    with pytest.raises(InputError, match="one-layer sigmoid"):
        tiny("contractive", hidden=(8,))


def test_vae_kl_for_known_mean_and_sigma():
    mean = tf.constant([[1.0, 0.0]])
    sigma = np.array([[1.0, 0.5]])
    log_var = tf.constant(np.log(sigma**2), tf.float32)
    # KL = 1/2 sum(sigma^2 + mu^2 - 1 - ln sigma^2) = 1/2 (1 + (0.25 - 1 - ln 0.25))
    expected = 0.5 * (1.0 + (0.25 - 1.0 - math.log(0.25)))
    assert float(gaussian_kl(mean, log_var)[0]) == pytest.approx(expected, rel=1e-6)
    assert float(gaussian_kl(tf.zeros([1, 3]), tf.zeros([1, 3]))[0]) == pytest.approx(0.0, abs=1e-7)


def test_reconstruction_term_is_summed_binary_cross_entropy():
    model = tiny("vanilla")
    x = images(3)
    logits = np.asarray(model.decoder(model.encoder(x)), np.float64).reshape(3, -1)
    p = 1 / (1 + np.exp(-logits))
    flat = x.reshape(3, -1)
    expected = np.mean(-(flat * np.log(p) + (1 - flat) * np.log(1 - p)).sum(1))
    terms, _ = model.loss_terms(tf.constant(x))
    assert float(terms["reconstruction"]) == pytest.approx(expected, rel=1e-4)


def test_overcomplete_has_more_code_units_than_pixels_and_is_regularised():
    model = zoo.autoencoders.OvercompleteAutoencoder()
    assert model.latent_dim > model.pixels
    assert model.dropout > 0 and model.weight_decay > 0
    model.compile()
    assert model.optimizer.weight_decay == pytest.approx(model.weight_decay)


# --- corruption only in training -----------------------------------------------------------------
def test_corruption_formulas():
    x = np.array([[0.2, 0.9, 0.5, 0.0]], np.float32)
    u = np.array([[0.05, 0.5, 0.01, 0.9]], np.float32)
    n = np.array([[1.0, 1.0, -1.0, -2.0]], np.float32)
    np.testing.assert_allclose(apply_corruption(x, "gaussian", 0.3, u, n), [[0.5, 1.0, 0.2, 0.0]], atol=1e-6)
    np.testing.assert_allclose(apply_corruption(x, "salt-and-pepper", 0.1, u, n), [[1.0, 0.9, 0.0, 0.0]])
    assert psnr(x[None, ..., None], x[None, ..., None] + 0.1) == pytest.approx(20.0, abs=1e-4)


@pytest.mark.parametrize("corruption", ["gaussian", "salt-and-pepper"])
def test_denoising_corrupts_in_train_step_only(corruption):
    model = tiny("denoising", corruption=corruption, corruption_level=0.3)
    x = images(4)
    seen = []
    model.encoder.call = (
        lambda call: lambda inputs, *a, **k: seen.append(np.asarray(inputs)) or call(inputs, *a, **k)
    )(model.encoder.call)
    model.compile(jit_compile=False)
    model.run_eagerly = True
    model.train_step(tf.constant(x))
    assert np.abs(seen[-1] - x).max() > 0.1  # the encoder saw a corrupted batch
    seen.clear()
    tf.config.run_functions_eagerly(True)  # the spy reads NumPy values: the API's escape hatch
    try:
        first, second = model.reconstruct(x), model.reconstruct(x)
    finally:
        tf.config.run_functions_eagerly(False)
    np.testing.assert_array_equal(first, second)  # inference is deterministic...
    np.testing.assert_allclose(seen[0], x)  # ...and sees the clean input
    loss_clean = float(model.reconstruction_error(tf.constant(x), model.decoder(model.encoder(x)))[0])
    assert np.isfinite(loss_clean)


def test_denoising_loss_targets_the_clean_input():
    model = tiny("denoising", corruption_level=0.5)
    model.corrupt = lambda images: tf.zeros_like(images)  # whatever the corruption, the target stays clean
    x = images(3)
    terms, _ = model.loss_terms(tf.constant(x))
    expected = model.reconstruction_error(tf.constant(x), model.decoder(model.encoder(np.zeros_like(x))))
    assert float(terms["reconstruction"]) == pytest.approx(float(np.mean(expected)), rel=1e-5)


# --- linear AE spans PCA's subspace --------------------------------------------------------------
@pytest.mark.slow
def test_linear_autoencoder_learns_the_principal_subspace():
    rng = np.random.default_rng(0)
    basis = np.linalg.qr(rng.standard_normal((64, 3)))[0]
    scales = np.array([0.30, 0.20, 0.12])
    data = 0.5 + (rng.standard_normal((2048, 3)) * scales) @ basis.T * 0.5 + 0.005 * rng.standard_normal((2048, 64))
    data = np.clip(data, 0, 1).astype(np.float32).reshape(-1, *SHAPE)
    model = tiny("linear", latent_dim=3)
    model.centre_on(data.reshape(len(data), -1).mean(0))
    model.compile(learning_rate=3e-3)
    model.fit(data, epochs=40, batch_size=64, verbose=0, shuffle=True)
    check = pca_comparison(model, data[:1536], data[1536:])
    assert check["largest_principal_angle_degrees"] < 3.0
    assert check["mse_ratio_ae_to_pca"] < 1.05


# --- endpoints, anomaly threshold, bad input ----------------------------------------------------------
@pytest.mark.parametrize("kind", sorted(TYPES))
def test_every_endpoint_shape(kind):
    model = tiny(kind)
    n = 5
    x = images(n)
    eps = model.endpoints()
    expected = {"encode", "decode", "reconstruct", "anomaly_score"} | ({"sample"} if kind == "variational" else set())
    assert set(eps) == expected
    code = model.encode(x)
    assert code.shape == (n, 4)
    assert model.decode(code).shape == (n, *SHAPE)
    out = eps["reconstruct"](images=x)["reconstruction"]
    assert out.shape == (n, *SHAPE)
    if kind != "linear":
        assert out.min() >= 0 and out.max() <= 1
    scores = eps["anomaly_score"](images=x)
    assert scores["score"].shape == (n,) and scores["is_anomaly"].dtype == np.int32
    np.testing.assert_allclose(scores["score"], ((out - x) ** 2).reshape(n, -1).mean(1), rtol=1e-5)
    decoded = eps["decode"](code=code)
    assert decoded["images_uint8"].dtype == np.uint8
    if kind == "variational":
        encoded = eps["encode"](images=x)
        assert encoded["mean"].shape == encoded["log_variance"].shape == (n, 4)
        assert model.sample(3, seed=0).shape == (3, *SHAPE)
        np.testing.assert_array_equal(model.sample(3, seed=7), model.sample(3, seed=7))
        assert model.interpolate(x[0], x[1], steps=5).shape == (5, *SHAPE)


def test_calibrated_threshold_and_roc_auc():
    model = tiny("vanilla").attach_recipe({"dataset": "toy", "held_out_class": 1})
    x = images(40)
    labels = np.tile([0, 1], 20).astype(np.int32)
    x[labels == 1] = 1.0 - x[labels == 1]  # any difference will do: scores are real reconstruction errors
    test_set = ImageSet("toy", "test", np.rint(x * 255).astype(np.uint8), labels)
    threshold = model.calibrate_on(test_set)
    (cal_x, cal_y), _ = model.held_out_split(test_set)
    scores = model.anomaly_score(cal_x[cal_y != 1])
    assert threshold == pytest.approx(np.percentile(scores, 99), rel=1e-6)
    flagged = model.endpoints()["anomaly_score"](images=cal_x)["is_anomaly"]
    np.testing.assert_array_equal(flagged, (model.anomaly_score(cal_x) > threshold).astype(np.int32))
    metrics = model.held_out_metrics(test_set)
    assert 0.0 <= metrics["anomaly"]["roc_auc"] <= 1.0
    assert metrics["anomaly"]["held_out_class"] == 1 and metrics["test_examples"] == 20


@pytest.mark.parametrize(
    "bad, message",
    [
        (np.zeros((2, 28, 28, 1), np.float32), "shape"),
        (np.zeros((2, 8, 8), np.float32), "shape"),
        (np.zeros((2, 8, 8, 1), "U1"), "numeric"),
        (np.full((2, 8, 8, 1), np.nan, np.float32), "NaN"),
        (np.zeros((0, 8, 8, 1), np.float32), "empty"),
        (np.full((2, 8, 8, 1), 2.0, np.float32), r"\[0.0, 1.0\]"),
    ],
)
def test_bad_input_is_a_clear_error(bad, message):
    model = tiny("conv")
    for call in (model.reconstruct, model.encode, model.anomaly_score):
        with pytest.raises(InputError, match=message):
            call(bad)


def test_bad_config_is_a_clear_error():
    with pytest.raises(InputError, match="corruption"):
        tiny("denoising", corruption="blur")
    with pytest.raises(InputError, match="multiples of 4"):
        tiny("conv", image_shape=(10, 10, 1))
    with pytest.raises(InputError, match="sparsity"):
        tiny("sparse", sparsity="l2")


# --- export parity --------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("kind", ["variational", "conv"])
def test_export_parity(kind, tmp_path):
    from export import export_model

    report = export_model(tiny(kind), tmp_path, f"tiny-{kind}")
    names = {"encode", "decode", "reconstruct", "anomaly_score"} | ({"sample"} if kind == "variational" else set())
    assert set(report["endpoints"]) == names
    for endpoint in names:
        for diffs in (
            report["savedmodel"]["parity"][endpoint],
            report["onnx"][endpoint]["parity"],
            report["litert"]["parity"][endpoint],
        ):
            assert diffs and max(diffs.values()) <= 1e-4
    from conftest import portable_check

    portable_check(tmp_path, f"tiny-{kind}")  # every .tflite / .onnx / .ort also runs without TensorFlow


def test_latent_scatter_renders_for_any_code_size(tmp_path):
    from zoo import vis

    x = images(30)
    ours, how, pca = vis.latent_projection(tiny("variational", latent_dim=2), x)
    assert ours.shape == pca.shape == (30, 2) and how == "2-D code"
    ours, how, _ = vis.latent_projection(tiny("vanilla"), x)
    assert ours.shape == (30, 2) and "principal components" in how
    with pytest.raises(ValueError, match="does not apply to a classifier"):
        vis.latent_projection(zoo.Classifier(image_shape=SHAPE), x)


# --- the trainer -----------------------------------------------------------------------------------
@pytest.mark.slow
def test_cli_trains_a_tiny_anomaly_detector_and_loads_it(tmp_path, cli):
    import json

    out = tmp_path / "run"
    r = cli(
        "train.ae_denoising",
        "--epochs",
        "1",
        "--limit",
        "256",
        "--hidden",
        "32",
        "--latent-dim",
        "4",
        "--holdout-class",
        "3",
        "--out",
        str(out),
        "--no-export",
        "--quiet",
    )
    assert r.returncode == 0, r.stderr
    card = json.loads((out / "card.json").read_text())
    assert card["name"] == "ae-denoising-mnist" and card["data"]["held_out_class"] == 3
    assert card["data"]["examples"]["train"] == 256  # --limit 256 of the training digits without the threes
    metrics = card["metrics"]
    assert 0 < metrics["test_mse"] < 1 and metrics["test_examples"] == 900
    assert metrics["anomaly"]["held_out_class"] == 3 and 0 <= metrics["anomaly"]["roc_auc"] <= 1
    assert metrics["denoising"]["psnr_noisy_db"] > 0
    model = zoo.load(str(out))
    assert model.threshold == pytest.approx(metrics["anomaly"]["threshold"])
    assert (out / "samples" / "epoch_001.png").is_file()


@pytest.mark.slow
@pytest.mark.parametrize(
    "args, message",
    [
        # (--beta for another type: test_cli's test_flag_combinations_are_refused_without_tensorflow)
        (["train.autoencoder", "--type", "vanila"], "invalid choice"),
        (["train.ae_conv", "--holdout-class", "42"], "no such label"),
        (["train.ae_sparse", "--sparsity-target", "1.5"], "must lie in (0, 1)"),
    ],
)
def test_cli_bad_flags_fail_cleanly_without_a_folder(args, message, tmp_path, cli):
    out = tmp_path / "run"
    r = cli(*args, "--out", str(out), "--epochs", "1")
    assert r.returncode == 2
    assert message in r.stderr and len(r.stderr.strip().splitlines()) <= 2
    assert not out.exists()
