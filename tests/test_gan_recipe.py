"""The small-data GAN recipe: the generator's moving average (EMA) and differentiable augmentation."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import ROOT, tiny_dcgan

import zoo
from zoo import checkpoint, registry
from zoo.errors import InputError
from zoo.gan import augment as aug

REAL = np.random.default_rng(0).random((32, 8, 8, 1)).astype(np.float32)


def fixed(value):
    """A `draw` that returns `value` everywhere (to place a transform exactly)."""
    return lambda shape: tf.fill(tf.stack(shape) if not isinstance(shape, tuple) else shape, value)


def test_ema_weights_are_the_hand_computed_average_and_what_sampling_uses():
    model = tiny_dcgan(ema_decay=0.9)
    model.compile()
    average = [w.numpy().astype(np.float64) for w in model.generator.weights]
    for w, a in zip(model.generator_ema.weights, average):
        np.testing.assert_array_equal(w.numpy(), a)  # starts as a copy
    for step in range(1, 5):
        model.train_step(tf.constant(REAL[:16]))
        decay = min(0.9, (1 + step) / (10 + step))  # warm-up: t = generator steps taken so far
        average = [decay * a + (1 - decay) * w.numpy() for a, w in zip(average, model.generator.weights)]
    for got, want in zip(model.generator_ema.weights, average):
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-6)
    z = model.latents(3, seed=5)
    np.testing.assert_array_equal(model.sample(3, seed=5), model.generator_ema(z, training=False).numpy())
    assert not np.allclose(model.sample(3, seed=5), model.generator(z, training=False).numpy())
    endpoint = model.endpoints()["sample"](z=z)["images"]
    np.testing.assert_array_equal(endpoint, model.generator_ema(z, training=False).numpy())


def test_translation_and_cutout_place_pixels_exactly():
    image = np.arange(64, dtype=np.float32).reshape(1, 8, 8, 1)
    # u = 0.99 -> offset floor(0.99 * 3) - 1 = +1 in both axes: out[i, j] = in[i - 1, j - 1], zeros enter
    shifted = aug.translation(tf.constant(image), fixed(0.99)).numpy()[0, ..., 0]
    want = np.zeros((8, 8), np.float32)
    want[1:, 1:] = image[0, :-1, :-1, 0]
    np.testing.assert_array_equal(shifted, want)
    unchanged = aug.translation(tf.constant(image), fixed(0.5)).numpy()  # offset 0
    np.testing.assert_array_equal(unchanged, image)
    holed = aug.cutout(tf.ones((1, 8, 8, 1)), fixed(0.5)).numpy()[0, ..., 0]  # centre (4, 4), side 4
    assert holed.sum() == 64 - 16 and holed[2:6, 2:6].sum() == 0


def test_augmentation_is_differentiable_seeded_and_applied_to_real_and_fake_alike(monkeypatch):
    model = tiny_dcgan(augment="translation,cutout,color")
    model.compile()
    z = model.latents(4, seed=1)
    with tf.GradientTape() as tape:
        score = tf.reduce_sum(model.critic(model.generator(z, training=True)))
    grads = tape.gradient(score, model.generator.trainable_variables)
    assert all(g is not None and np.all(np.isfinite(g)) for g in grads)
    assert sum(float(tf.reduce_sum(tf.abs(g))) for g in grads) > 0  # the generator learns through it

    def twice(seed):
        gen = keras.random.SeedGenerator(seed)
        draw = lambda shape: keras.random.uniform(shape, seed=gen)  # noqa: E731
        return aug.augment(tf.constant(REAL[:4]), model.augment_policy, draw).numpy()

    np.testing.assert_array_equal(twice(3), twice(3))
    assert not np.array_equal(twice(3), twice(4))

    seen = []
    original = model.augmented
    monkeypatch.setattr(model, "augmented", lambda images: seen.append(images.shape) or original(images))
    model.train_step(tf.constant(REAL[:16]))
    assert len(seen) == 3  # the real batch, the fakes for the discriminator, the fakes for the generator


def test_no_augmentation_or_randomness_inside_the_exported_graph():
    model = tiny_dcgan(ema_decay=0.99, augment="translation,cutout,color", augment_target=0.6)
    model.compile()
    endpoint = model.endpoints()["sample"]
    graph = tf.function(endpoint.fn).get_concrete_function(*endpoint.tensor_specs()).graph
    types = {op.type for op in graph.get_operations()}
    assert not {t for t in types if "Random" in t or t in ("Einsum", "RngReadAndSkip")}, types
    z = model.latents(4, seed=0)
    np.testing.assert_array_equal(endpoint(z=z)["images"], endpoint(z=z)["images"])


def test_adaptive_probability_moves_towards_the_target_and_is_checkpointed(tmp_path):
    model = tiny_dcgan(augment="translation", augment_target=0.6)
    model.compile()
    model.augment_probability.assign(0.5)
    confident = tf.fill((8, 1), 5.0)  # every real image called real: r = 1 > 0.6, p must rise
    model.adapt_augmentation(confident)
    assert float(model.augment_probability) == pytest.approx(0.5 + 1 / 500)
    model.adapt_augmentation(-confident)
    model.adapt_augmentation(-confident)
    assert float(model.augment_probability) == pytest.approx(0.5 - 1 / 500)
    checkpoint.save(tmp_path / "c.npz", model, epoch=1)
    fresh = tiny_dcgan(augment="translation", augment_target=0.6)
    fresh.compile()
    checkpoint.restore(tmp_path / "c.npz", fresh)
    assert float(fresh.augment_probability) == pytest.approx(0.5 - 1 / 500)


def test_r1_penalty_is_the_hand_computed_input_gradient_and_reaches_the_loss():
    model = tiny_dcgan(r1_gamma=10.0, dropout=0.0)  # no dropout: the same D in both computations
    model.compile()
    assert (model.d_optimizer.beta_1, model.d_optimizer.beta_2) == (0.0, 0.99)  # StyleGAN2's Adam with R1
    real = tf.constant(REAL[:16])
    with tf.GradientTape() as tape:
        tape.watch(real)
        scores = tf.reduce_sum(model.discriminator(real, training=True))
    want = np.mean(np.sum(np.square(tape.gradient(scores, real).numpy()), axis=(1, 2, 3)))
    fake = model.generator(model.latents(16, seed=1))
    logs = model.discriminator_step(real, fake)
    assert float(logs["r1_penalty"]) == pytest.approx(want, rel=1e-4)
    # The same step without R1 has a loss lower by exactly (gamma / 2) E|grad|^2.
    plain = tiny_dcgan(dropout=0.0)
    plain.compile()
    plain.discriminator.set_weights(model.discriminator.get_weights())
    model_again = tiny_dcgan(r1_gamma=10.0, dropout=0.0)
    model_again.compile()
    model_again.discriminator.set_weights(model.discriminator.get_weights())
    with_r1 = model_again.discriminator_step(real, fake)
    without = plain.discriminator_step(real, fake)
    gap = float(with_r1["d_loss"]) - float(without["d_loss"])
    assert gap == pytest.approx(5.0 * float(with_r1["r1_penalty"]), rel=1e-3)


def test_spectral_norm_keeps_the_discriminator_about_1_lipschitz_and_ttur_gives_it_its_own_rate():
    model = tiny_dcgan(spectral_norm=True, r1_gamma=1.0)
    model.compile(learning_rate=1e-3, d_learning_rate=4e-3)
    assert float(model.g_optimizer.learning_rate) == pytest.approx(1e-3)
    assert float(model.d_optimizer.learning_rate) == pytest.approx(4e-3)
    wrapped = [layer for layer in model.discriminator.layers if isinstance(layer, keras.layers.SpectralNormalization)]
    assert len(wrapped) == 3  # both convolutions and the last dense layer
    for _ in range(6):
        model.train_step(tf.constant(REAL[:16]))
    model.discriminator(tf.constant(REAL[:4]), training=True)  # a training call normalises the kernels
    for layer in wrapped:
        kernel = layer.kernel.numpy().reshape(-1, layer.kernel.shape[-1])
        assert np.linalg.norm(kernel, 2) == pytest.approx(1.0, abs=0.05), layer.name
    unnormalised = tiny_dcgan()
    assert np.linalg.norm(unnormalised.discriminator.layers[0].kernel.numpy().reshape(-1, 4), 2) != pytest.approx(1.0)
    # The monitor's feature space is the input of the (wrapped) last layer; the config rebuilds it.
    assert model.discriminator_features(REAL[:4]).shape == (4, 4 * 2 * 2 * 2)
    again = zoo.DCGAN.from_config(model.get_config())
    assert again.spectral_norm and len(again.discriminator.weights) == len(model.discriminator.weights)
    assert "spectral_norm" not in tiny_dcgan().get_config()  # off: the configs of shipped cards are unchanged


@pytest.mark.slow
def test_batch_norm_trains_on_batch_statistics_and_samples_with_the_moving_ones():
    model = tiny_dcgan(batch_norm=True, ema_decay=0.9)
    model.compile(learning_rate=1e-3)
    norms = [layer for layer in model.generator.layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert len(norms) == 3 and len(model.generator_ema.weights) == len(model.generator.weights)
    for _ in range(4):
        model.train_step(tf.constant(REAL[:16]))
    assert not np.allclose(norms[0].moving_variance.numpy(), 1.0)  # the training steps updated the statistics
    z = model.latents(8, seed=0)
    # Training mode normalises by this batch's statistics; sampling does not depend on the batch.
    assert not np.allclose(model.generator(z, training=True)[:4], model.generator(z[:4], training=True))
    together = model.endpoints()["sample"](z=z)["images"]
    apart = np.concatenate([model.endpoints()["sample"](z=z[i : i + 1])["images"] for i in range(8)])
    np.testing.assert_allclose(together, apart, atol=1e-6)
    again = zoo.DCGAN.from_config(model.get_config())
    assert again.batch_norm and len(again.generator.weights) == len(model.generator.weights)
    assert "batch_norm" not in tiny_dcgan().get_config()  # off: the configs of shipped cards are unchanged


@pytest.mark.slow
def test_resume_with_the_whole_recipe_is_bit_identical(tmp_path):
    config = dict(
        ema_decay=0.9,
        augment="translation,cutout,color",
        augment_target=0.6,
        r1_gamma=1.0,
        spectral_norm=True,
        batch_norm=True,
    )
    straight = tiny_dcgan(**config)
    straight.compile()
    straight.fit(REAL, batch_size=16, epochs=2, shuffle=False, verbose=0)

    keras.utils.set_random_seed(1234)
    first = tiny_dcgan(**config)
    first.compile()
    first.fit(REAL, batch_size=16, epochs=1, shuffle=False, verbose=0)
    checkpoint.save(tmp_path / "c.npz", first, epoch=1)
    resumed = tiny_dcgan(**config)
    resumed.compile()
    checkpoint.restore(tmp_path / "c.npz", resumed)
    resumed.fit(REAL, batch_size=16, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(straight.variables, resumed.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=a.path)


def test_bad_recipe_settings_are_refused():
    with pytest.raises(InputError, match="unknown augmentation"):
        tiny_dcgan(augment="translation,flip")
    with pytest.raises(InputError, match="needs an augmentation policy"):
        tiny_dcgan(augment_target=0.6)
    with pytest.raises(InputError, match="ema_decay"):
        tiny_dcgan(ema_decay=1.0)
    with pytest.raises(InputError, match="r1_gamma"):
        tiny_dcgan(r1_gamma=-1.0)


def test_the_trainer_flags_reach_the_model_and_default_to_the_recipe():
    import argparse

    from train import dcgan, harness

    parser = argparse.ArgumentParser()
    dcgan.add_arguments(parser)
    args = parser.parse_args([])
    assert harness.gan_recipe(args) == {"ema_decay": 0.999, "augment": "", "augment_target": None, "r1_gamma": 1.0}
    args = parser.parse_args(["--augment", "none", "--ema-decay", "0"])
    assert harness.gan_recipe(args)["augment"] == "" and harness.gan_recipe(args)["ema_decay"] == 0
    with pytest.raises(SystemExit):
        parser.parse_args(["--augment", "flip"])


def test_lr_d_defaults_to_the_trainers_factor_and_a_run_from_before_the_flag_resumes_at_lr():
    import argparse

    from train import dcgan, harness, wgan_gp

    def parsed(trainer, *flags):
        parser = argparse.ArgumentParser()
        parser.add_argument("--lr", type=float, default=1e-3)
        trainer.add_arguments(parser)
        return harness.resolve_flags(parser.parse_args(list(flags)))

    assert parsed(dcgan).lr_d == 1e-3  # DCGAN: one rate
    assert parsed(wgan_gp, "--lr", "5e-4").lr_d == 1e-3  # WGAN-GP: TTUR, the critic at twice --lr
    assert parsed(wgan_gp, "--lr", "5e-4", "--lr-d", "5e-4").lr_d == 5e-4
    before = {"lr": 5e-4}  # the args of a run saved before --lr-d: its critic trained at --lr
    harness.check_resume(before, parsed(wgan_gp, "--lr", "5e-4", "--lr-d", "5e-4", "--no-batch-norm"), "run")
    with pytest.raises(harness.UsageError, match=r"--resume with --lr-d 0.001, but the run in run used --lr-d 0.0005"):
        harness.check_resume(before, parsed(wgan_gp, "--lr", "5e-4", "--no-batch-norm"), "run")


def test_generator_batch_norm_is_on_by_default_and_a_run_from_before_the_flag_resumes_without_it():
    import argparse

    from train import dcgan, harness, wgan_gp

    def parsed(trainer, *flags):
        parser = argparse.ArgumentParser()
        trainer.add_arguments(parser)
        return parser.parse_args(list(flags))

    assert parsed(dcgan).batch_norm and parsed(wgan_gp).batch_norm
    assert not parsed(dcgan, "--no-batch-norm").batch_norm and not parsed(wgan_gp, "--no-batch-norm").batch_norm
    before = {}  # the args of a run saved before --batch-norm: its generator had none
    harness.check_resume(before, parsed(dcgan, "--no-batch-norm"), "run")
    with pytest.raises(
        harness.UsageError, match=r"--resume with --batch-norm, but the run in run used --no-batch-norm"
    ):
        harness.check_resume(before, parsed(dcgan), "run")
    with pytest.raises(
        harness.UsageError, match=r"--resume with --no-batch-norm, but the run in run used --batch-norm"
    ):
        harness.check_resume({"batch_norm": True}, parsed(wgan_gp, "--no-batch-norm"), "run")


def test_offered_augmentations_match_the_transforms():
    from zoo.choices import AUGMENTATIONS

    assert AUGMENTATIONS == tuple(aug.TRANSFORMS)


@pytest.mark.slow
def test_evaluate_scores_the_raw_generator_apart_from_its_average(tmp_path):
    """python -m zoo.evaluate RUN --raw-generator: the trained generator's own figures, said in the protocol."""
    import json
    import subprocess
    import sys

    from zoo.evaluation.evaluate import use_raw_generator

    with pytest.raises(InputError, match="keeps a moving average"):
        use_raw_generator(tiny_dcgan(ema_decay=0.0), "tiny")
    model = tiny_dcgan(ema_decay=0.9)
    model.compile()
    model.train_step(tf.constant(REAL[:16]))
    z = model.latents(2, seed=0)
    use_raw_generator(model, "tiny")
    np.testing.assert_array_equal(model.sample(2, seed=0), model.generator(z, training=False).numpy())

    out = tmp_path / "raw.json"
    r = subprocess.run(
        [sys.executable, "-m", "zoo.evaluate", "dcgan-mnist", "--raw-generator", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    raw = json.loads(out.read_text())
    assert "moving average" in raw["protocol"]["generator"] and "moving average" in r.stdout
    card = registry.card("dcgan-mnist")["metrics"]  # the same protocol, on the average the entry samples with
    assert raw["protocol"]["samples"] == card["protocol"]["samples"] and raw["fid"] != pytest.approx(card["fid"])


def test_the_ablation_configs_start_from_the_recipe_before_batch_norm_and_override_its_flags():
    import importlib.util

    spec = importlib.util.spec_from_file_location("gan_recipe", ROOT / "benchmarks" / "gan_recipe.py")
    ablation = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ablation)
    assert ablation.flags("dcgan", "default") == ["--no-batch-norm"]
    assert ablation.flags("dcgan", "bn") == ["--batch-norm"]
    assert ablation.flags("wgan_gp", "default") == ["--lr-d", "5e-4", "--no-batch-norm"]
    assert ablation.flags("wgan_gp", "ttur") == ["--no-batch-norm", "--lr-d", "1e-3"]
    assert ablation.flags("wgan_gp", "bn-ttur") == ["--batch-norm", "--lr-d", "1e-3"]


def test_the_small_data_study_gives_every_fraction_the_same_steps_and_valid_trainer_flags():
    import importlib.util
    import sys

    sys.path.insert(0, str(ROOT / "benchmarks"))
    spec = importlib.util.spec_from_file_location("small_data", ROOT / "benchmarks" / "small_data.py")
    study = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(study)
    plans = {f: study.plan(3219, f, 2000) for f in (1, 0.25, 0.1)}
    assert [images for images, _ in plans.values()] == [3219, 805, 322]
    for images, epochs in plans.values():  # about the same number of generator steps for every fraction
        assert abs(epochs * -(-images // 32) - 2000) <= 60
    from train import dcgan

    parser = dcgan.trainer.parser()
    parsed = {arm: parser.parse_args(["--dataset", "emoji", *flags]) for arm, flags in study.ARMS.items()}
    assert parsed["none"].augment == "" and parsed["none"].augment_adaptive is None
    assert parsed["diffaugment"].augment == parsed["adaptive"].augment == study.POLICY
    assert parsed["adaptive"].augment_adaptive == 0.6


def test_the_100_shot_faces_study_reads_its_faces_through_the_folder_path_and_checks_its_judge(tmp_path):
    """benchmarks/few_shot_faces.py: the 100 faces of lfw_subset go through the user's folder reader
    at 32x32; the judge reads non-faces far above the floor of two halves of the faces."""
    import importlib.util
    import sys

    sys.path.insert(0, str(ROOT / "benchmarks"))
    spec = importlib.util.spec_from_file_location("few_shot_faces", ROOT / "benchmarks" / "few_shot_faces.py")
    study = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(study)
    faces, non_faces = study.real_sets(study.write_faces(tmp_path / "data"))
    assert faces.shape == non_faces.shape == (100, 32, 32, 1)
    reference = study.floor_of(faces, non_faces)
    assert reference["non_faces"] > 4 * reference["floor"] and reference["noise_0.05"] > reference["floor"]
    record = {
        "budget": 2000,
        "arm": "none",
        "seed": 0,
        "swd": 44.0,
        "nearest": 0.15,
        "steps": 2000,
        "train_seconds": 60,
    }
    rendered = study.table([record, {**record, "arm": "diffaugment", "swd": 66.0}], reference)
    assert "| diffaugment | 66.0 (66.0) | +50% |" in rendered and "Floor (two halves of the 100 faces)" in rendered
