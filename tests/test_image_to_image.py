"""Paired image-to-image GANs (zoo.gan.image_to_image): SRGAN and pix2pix, their data (zoo.data.pairing)
and their commands."""

import json

import numpy as np
import pytest
from conftest import run_cli
from test_cli import one_error_line

import zoo
from zoo.data.pairing import Paired, downscale, edges, load_pairs_folder, luminance, make_inputs, mask
from zoo.errors import DataError, InputError

rng = np.random.default_rng(0)


# ---- the pairings against hand-made examples ------------------------------------------------------
def test_downscale_averages_blocks():
    image = np.zeros((1, 4, 4, 1), np.float32)
    image[0, :2, :2, 0] = [[1, 0], [0, 1]]  # top-left block mean 0.5
    image[0, 2:, 2:, 0] = 1.0  # bottom-right block mean 1
    np.testing.assert_allclose(np.asarray(downscale(image, 2))[0, :, :, 0], [[0.5, 0], [0, 1]])
    with pytest.raises(DataError, match="multiples of 4"):
        downscale(np.zeros((1, 6, 6, 1), np.float32), 4)


def test_edges_mark_a_step_and_nothing_in_flat_areas():
    image = np.zeros((1, 8, 8, 1), np.float32)
    image[0, :, 4:] = 1.0  # a vertical 0 -> 1 step between columns 3 and 4
    found = np.asarray(edges(image))[0, :, :, 0]
    np.testing.assert_allclose(found[:, 3:5], 1.0)  # Sobel: 1 + 2 + 1 = 4 across the step, /4
    np.testing.assert_allclose(found[:, :2], 0.0)
    np.testing.assert_allclose(found[:, 6:], 0.0)


def test_grey_is_the_luminance_and_mask_blanks_the_centre():
    colours = np.array([[[[1, 0, 0], [0, 1, 0]], [[0, 0, 1], [1, 1, 1]]]], np.float32)
    np.testing.assert_allclose(np.asarray(luminance(colours))[0, :, :, 0], [[0.299, 0.587], [0.114, 1.0]], atol=1e-6)
    image = rng.random((2, 8, 8, 3), dtype=np.float32)
    masked = np.asarray(mask(image))
    np.testing.assert_array_equal(masked[:, 2:6, 2:6], 0.5)
    outside = np.ones((8, 8), bool)
    outside[2:6, 2:6] = False
    np.testing.assert_array_equal(masked[:, outside], image[:, outside])
    assert np.asarray(make_inputs("grey", image)).shape == (2, 8, 8, 1)


def write_pairs(root, names_a, names_b, size=8):
    from PIL import Image

    for side, names in (("A", names_a), ("B", names_b)):
        (root / side).mkdir(parents=True, exist_ok=True)
        for i, name in enumerate(names):
            pixels = np.full((size, size), (40 * i + (0 if side == "A" else 7)) % 256, np.uint8)
            Image.fromarray(pixels).save(root / side / name)
    return root


@pytest.mark.slow
def test_real_pairs_are_matched_by_name_and_a_missing_partner_is_named(tmp_path):
    root = write_pairs(tmp_path / "ok", ["a.png", "b.png", "c.png", "d.png"], ["a.png", "b.jpg", "c.png", "d.png"])
    data = load_pairs_folder(root, "all", test_fraction=0.25)
    inputs, targets = data.arrays()
    assert isinstance(data, Paired) and len(data) == 4 and data.recipe()["pairs"] == 4
    np.testing.assert_allclose(np.abs(targets - inputs), 7 / 255, atol=3 / 255)  # each input beside its own target
    assert len(load_pairs_folder(root, "test", test_fraction=0.25)) == 1
    bad = write_pairs(tmp_path / "bad", ["a.png", "b.png", "x.png"], ["a.png", "b.png"])
    with pytest.raises(DataError, match=r"A/x.png has no partner in B/"):
        load_pairs_folder(bad)
    r = run_cli("train.pix2pix", "--dataset", f"folder:{bad}", "--pairing", "pairs", "--out", str(tmp_path / "run"))
    assert "A/x.png has no partner in B/" in one_error_line(r)
    assert not (tmp_path / "run").exists()


@pytest.mark.slow
def test_sizes_a_scale_does_not_divide_are_refused_in_one_line(tmp_path):
    from shapes import write_folder

    data = write_folder(tmp_path / "odd", per_class=4, size=30)
    r = run_cli("train.srgan", "--dataset", f"folder:{data}", "--out", str(tmp_path / "run"))
    assert "30x30 cannot be downscaled x4" in one_error_line(r)
    with pytest.raises(InputError, match="divisible by 4"):
        zoo.Pix2Pix(input_shape=(30, 30, 1), output_shape=(30, 30, 1), depth=2)


# ---- the architectures ----------------------------------------------------------------------------
@pytest.mark.parametrize("scale", [2, 4])
def test_sub_pixel_upsampling_shapes(scale):
    model = zoo.SRGAN(input_shape=(5, 6, 3), scale=scale, blocks=1, width=4, d_width=4)
    out = model.upscale(rng.random((2, 5, 6, 3), dtype=np.float32))
    assert out.shape == (2, 5 * scale, 6 * scale, 3) and 0 <= out.min() and out.max() <= 1
    with pytest.raises(InputError, match="scale must be one of 2, 4"):
        zoo.SRGAN(scale=3)


@pytest.mark.slow
def test_x4_output_downsampled_is_close_to_its_input_after_a_few_steps():
    from zoo.data import load_images, scale_images

    targets = scale_images(load_images("mnist5k", "train").first(64))
    inputs = np.asarray(downscale(targets, 4))
    model = zoo.SRGAN(input_shape=(7, 7, 1), scale=4, blocks=1, width=8, d_width=4, adversarial_weight=0.0)
    model.compile(learning_rate=2e-3)

    def consistency():
        return float(np.mean(np.abs(np.asarray(downscale(model(inputs), 4)) - inputs)))

    before = consistency()
    for i in range(40):
        model.train_step((inputs[i % 4 * 16 :][:16], targets[i % 4 * 16 :][:16]))
    after = consistency()
    assert after < 0.03 and after < before, (before, after)


@pytest.mark.slow
def test_unet_skip_connections_carry_fine_detail():
    """Random noise through a U-Net whose bottleneck is 2x2: only the skip connections can carry its
    256 independent pixels across. A few steps learn to copy it (mean |error| of noise ~0.25)."""
    model = zoo.Pix2Pix(input_shape=(16, 16, 1), output_shape=(16, 16, 1), depth=3, width=8, adversarial_weight=0.0)
    model.compile(learning_rate=1e-2)
    noise = rng.random((32, 16, 16, 1), dtype=np.float32)
    for _ in range(160):
        model.train_step((noise, noise))
    held_out = rng.random((8, 16, 16, 1), dtype=np.float32)
    assert np.mean(np.abs(model.translate(held_out) - held_out)) < 0.1


def test_patchgan_judges_the_input_output_pair():
    model = zoo.Pix2Pix(input_shape=(8, 8, 1), output_shape=(8, 8, 3), depth=1, width=4, d_width=4)
    assert model.discriminator.input_shape[-1] == 1 + 3
    inputs, outputs = rng.random((2, 8, 8, 1), dtype=np.float32), rng.random((2, 8, 8, 3), dtype=np.float32)
    same_output = [np.asarray(model.patch_logits(x, outputs)) for x in (inputs, inputs[::-1])]
    assert not np.allclose(*same_output)  # the same output judged differently for another input
    sr = zoo.SRGAN(input_shape=(4, 4, 1), scale=2, blocks=1, width=2, d_width=2)
    assert sr.discriminator.input_shape[-1] == 1  # SRGAN's critic sees the high-resolution image alone


def test_feature_loss_uses_a_network_the_model_does_not_own():
    import keras

    x, y = rng.random((4, 4, 4, 1), dtype=np.float32), rng.random((4, 8, 8, 1), dtype=np.float32)
    model = zoo.SRGAN(input_shape=(4, 4, 1), scale=2, blocks=1, width=2, d_width=2, feature_weight=1.0)
    with pytest.raises(InputError, match="needs a feature network"):
        model.compile()
    phi = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(3, 3), keras.layers.Flatten()])
    model.use_feature_network(phi)
    model.compile(learning_rate=1e-2)
    outputs = np.clip(np.asarray(model.generator(x)), 0, 1)
    expected = np.mean(np.abs(np.asarray(phi(outputs)) - np.asarray(phi(y))))  # by hand, before the step
    logs = model.train_step((x, y))
    assert float(logs["feature_loss"]) == pytest.approx(expected, rel=1e-4) and expected > 0
    assert len(model.weights) == len(registry_twin(model).weights)  # φ is not saved with the model


def registry_twin(model):
    from zoo import registry

    return registry.build(model.architecture, model.get_config())


def test_colourisation_keeps_the_grey_inputs_luminance():
    model = zoo.Pix2Pix(input_shape=(8, 8, 1), output_shape=(8, 8, 3), depth=1, width=4, keep_luminance=True)
    grey = rng.random((3, 8, 8, 1), dtype=np.float32) * 0.6 + 0.2
    colour = np.asarray(model.generator(grey))
    np.testing.assert_allclose(np.asarray(luminance(colour)), grey, atol=1e-5)
    with pytest.raises(InputError, match="1-channel inputs and 3-channel outputs"):
        zoo.Pix2Pix(input_shape=(8, 8, 1), output_shape=(8, 8, 1), depth=1, keep_luminance=True)


def test_content_only_twin_never_touches_the_critic_and_ema_is_what_runs():
    x, y = rng.random((4, 4, 4, 1), dtype=np.float32), rng.random((4, 8, 8, 1), dtype=np.float32)
    twin = zoo.SRGAN(input_shape=(4, 4, 1), scale=2, blocks=1, width=2, d_width=2, adversarial_weight=0.0)
    twin.compile(learning_rate=1e-2)
    critic = [w.copy() for w in twin.discriminator.get_weights()]
    logs = twin.train_step((x, y))
    assert "d_loss" not in logs and all(np.array_equal(a, b) for a, b in zip(critic, twin.discriminator.get_weights()))
    model = zoo.SRGAN(input_shape=(4, 4, 1), scale=2, blocks=1, width=2, d_width=2, ema_decay=0.9)
    model.compile(learning_rate=1e-2)
    for _ in range(3):
        model.train_step((x, y))
    ema = np.clip(np.asarray(model.generator_ema(x)), 0, 1)
    np.testing.assert_allclose(model.upscale(x), ema, atol=1e-6)
    assert not np.allclose(ema, np.clip(np.asarray(model.generator(x)), 0, 1))


def test_tiled_inference_matches_the_endpoint_on_each_tile_and_refuses_without_tile():
    model = zoo.SRGAN(input_shape=(8, 8, 1), scale=2, blocks=1, width=4, d_width=4)
    big = rng.random((1, 16, 24, 1), dtype=np.float32)
    with pytest.raises(InputError, match="tile=True"):
        model.upscale(big)
    out = model.upscale(big, tile=True)
    assert out.shape == (1, 32, 48, 1)
    corner = model.upscale(big[:, :8, :8])  # the top-left tile's corner pixels come from that tile
    np.testing.assert_allclose(out[:, :4, :4], corner[:, :4, :4], atol=1e-6)
    with pytest.raises(InputError, match=r"\[0.0, 1.0\]"):
        model.upscale(big * 3, tile=True)


# ---- the real commands ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def srgan_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("srgan") / "run"
    flags = ["--limit", "64", "--batch-size", "16", "--width", "4", "--blocks", "1", "--quiet", "--seed", "3"]
    # No export here: every shipped entry, srgan-mnist and the pix2pix ones included, is exported with the
    # default command and replayed without TensorFlow by test_export's shipped_exports test.
    r = run_cli("train.srgan", "--epochs", "1", *flags, "--no-export", "--out", str(out))
    assert r.returncode == 0, r.stderr
    return out, flags


@pytest.mark.slow
def test_srgan_command_cards_quality_next_to_bicubic(srgan_run):
    out, _ = srgan_run
    card = json.loads((out / "card.json").read_text())
    metrics = card["metrics"]
    assert card["name"] == "srgan-mnist" and card["data"]["pairing"] == "downscale4"
    for part in (metrics, metrics["baseline"]):
        assert {"l1", "psnr", "ssim", "fid", "label_accuracy"} <= set(part)
    assert metrics["baseline"]["method"].startswith("bicubic") and 0.9 < metrics["label_accuracy_ground_truth"] <= 1
    (lanczos,) = metrics["more_baselines"]
    assert lanczos["method"].startswith("Lanczos") and {"psnr", "ssim", "fid", "label_accuracy"} <= set(lanczos)
    assert 0 < metrics["fid_floor"] < metrics["baseline"]["fid"]  # real against real beats any upscaler's guess


@pytest.mark.slow
def test_srgan_on_colour_emoji_x4_from_16_to_64(tmp_path):
    """python -m train.srgan --dataset emoji: 16x16 -> 64x64 RGB, beside bicubic and Lanczos, judged by
    classifier-emoji (the upscaled images averaged to its 32x32)."""
    out = tmp_path / "run"
    r = run_cli(
        "train.srgan", "--dataset", "emoji", "--epochs", "1", "--limit", "32", "--batch-size", "16",
        "--width", "4", "--blocks", "1", "--quiet", "--no-export", "--out", str(out),
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    card = json.loads((out / "card.json").read_text())
    assert card["name"] == "srgan-emoji" and card["config"]["input_shape"] == [16, 16, 3]
    metrics = card["metrics"]
    assert [metrics["baseline"]["method"][:7], metrics["more_baselines"][0]["method"][:7]] == ["bicubic", "Lanczos"]
    assert "classifier-emoji" in metrics["protocol"]["fid"] and 0.5 < metrics["label_accuracy_ground_truth"] <= 1
    model = zoo.load(str(out))
    assert model.upscale(np.zeros((2, 16, 16, 3), np.float32)).shape == (2, 64, 64, 3)
    with pytest.raises(InputError):
        model.upscale(np.zeros((2, 16, 16, 1), np.float32))


def test_lanczos_keeps_flat_images_flat_and_differs_from_bicubic():
    from zoo.gan.srgan import bicubic, lanczos

    flat = np.full((1, 8, 8, 3), 0.25, np.float32)
    np.testing.assert_allclose(lanczos(flat, (32, 32)), 0.25, atol=1e-5)
    rng = np.random.default_rng(0)
    noise = rng.random((2, 8, 8, 3), dtype=np.float32)
    a, b = lanczos(noise, (32, 32)), bicubic(noise, (32, 32))
    assert a.shape == (2, 32, 32, 3) and 0.005 < np.abs(a - b).mean() < 0.1


@pytest.mark.slow
def test_srgan_resume_is_exact(srgan_run, tmp_path):
    """The module's 1-epoch run resumed to 2 epochs equals a straight 2-epoch run (critic, optimizers,
    EMA and data order all restored)."""
    import shutil

    out, flags = srgan_run
    resumed, straight = tmp_path / "resumed", tmp_path / "straight"
    shutil.copytree(out, resumed, ignore=shutil.ignore_patterns(".lock"))
    r = run_cli("train.srgan", "--epochs", "2", *flags, "--no-export", "--out", str(resumed), "--resume")
    assert r.returncode == 0, r.stderr
    r = run_cli("train.srgan", "--epochs", "2", *flags, "--no-export", "--out", str(straight))
    assert r.returncode == 0, r.stderr
    a, b = zoo.load(str(resumed)), zoo.load(str(straight))
    for x, y in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(x, y)


@pytest.mark.slow
def test_srgan_fine_tunes_from_a_run_on_other_data_and_draws_its_pairs(srgan_run, tmp_path):
    out, flags = srgan_run
    tuned = tmp_path / "tuned"
    r = run_cli(
        "train.srgan", "--epochs", "1", *flags, "--dataset", "digits", "--from-pretrained", str(out), "--no-export",
        "--out", str(tuned),
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    card = json.loads((tuned / "card.json").read_text())
    assert card["name"] == "srgan-digits" and card["training"]["started_from"]
    r = run_cli("zoo.vis", str(out), "--kind", "pairs", "--out", str(tmp_path / "pairs.png"))
    assert r.returncode == 0 and (tmp_path / "pairs.png").stat().st_size > 1000, r.stderr


@pytest.mark.slow
def test_pix2pix_grey_photos_command_and_evaluate(tmp_path):
    out = tmp_path / "run"
    r = run_cli(
        "train.pix2pix",
        *("--dataset", "photos", "--pairing", "grey", "--depth", "3", "--width", "4", "--limit", "64"),
        *("--batch-size", "16", "--epochs", "1", "--quiet", "--no-export", "--out", str(out)),
    )
    assert r.returncode == 0, r.stderr
    card = json.loads((out / "card.json").read_text())
    assert card["name"] == "pix2pix-grey-photos" and card["config"]["output_shape"] == [32, 32, 3]
    metrics = card["metrics"]
    assert metrics["baseline"]["method"].startswith("the grey input") and "fid" not in metrics
    assert metrics["protocol"]["fid"].startswith("not measured")  # no feature network fits photo patches
    r = run_cli("zoo.evaluate", str(out))
    assert r.returncode == 0 and "psnr" in r.stdout, r.stderr


@pytest.mark.slow
def test_pix2pix_edges_on_colour_emoji_command_says_no_baseline_and_reads_categories(tmp_path):
    """python -m train.pix2pix --dataset emoji --pairing edges: a 1-channel sketch -> the 32x32 RGB emoji,
    no classical baseline (a sketch has none), FID and the category read in classifier-emoji features."""
    out = tmp_path / "run"
    r = run_cli(
        "train.pix2pix", "--dataset", "emoji", "--image-size", "32", "--pairing", "edges", "--depth", "2",
        "--width", "4", "--limit", "32", "--batch-size", "16", "--epochs", "1", "--quiet", "--no-export",
        "--out", str(out),
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    card = json.loads((out / "card.json").read_text())
    assert card["name"] == "pix2pix-edges-emoji" and card["config"]["input_shape"] == [32, 32, 1]
    metrics = card["metrics"]
    assert "baseline" not in metrics and "classifier-emoji" in metrics["protocol"]["fid"]
    assert {"fid", "fid_floor", "label_accuracy", "label_accuracy_ground_truth"} <= set(metrics)
