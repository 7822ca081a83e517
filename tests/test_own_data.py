"""Your own data, end to end: folders read like the ecosystem reads them, streamed and exactly
resumable; every image trainer builds to the data; evaluation, monitoring, calibration and vis use
the run's own data and say so; bad input gets one line and exit 2."""

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT
from shapes import CLASSES, write_folder

import zoo
from zoo.data import ImageSet, from_recipe, load_images, scale_images, training_batches
from zoo.errors import DataError
from zoo.evaluation import features


@pytest.fixture(scope="session")
def shapes32(tmp_path_factory):
    """32x32 RGB, classes named circle/square/triangle, PNG and JPEG, no test part."""
    return write_folder(tmp_path_factory.mktemp("data") / "shapes32", per_class=16, size=32)


def run(*args, cwd, timeout=600):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


def one_line_error(result):
    assert result.returncode == 2, result.stdout + result.stderr
    lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


# ---- folders ------------------------------------------------------------------------------------
def test_named_class_folders_png_and_jpeg(shapes32):
    train, test = load_images(f"folder:{shapes32}", "train"), load_images(f"folder:{shapes32}", "test")
    assert train.class_names == CLASSES and train.image_shape == (32, 32, 3)
    assert len(train) + len(test) == 48 and np.bincount(test.labels).tolist() == [3, 3, 3]  # 20% of each class
    assert len(set(train.labels[:6].tolist())) > 1  # a fixed shuffled order: any prefix mixes the classes
    assert not set(train.paths()) & set(test.paths())
    images = train.images
    assert images.dtype == np.uint8 and images.shape == (len(train), 32, 32, 3)
    recipe = train.recipe()
    assert recipe["path"] == str(shapes32.resolve()) and recipe["fingerprint"].startswith("sha256:")
    assert recipe["class_names"] == list(CLASSES) and "stratified" in recipe["split"]


def test_recipe_resolves_from_another_folder_and_refuses_a_changed_one(shapes32, tmp_path, monkeypatch):
    recipe = load_images(f"folder:{shapes32}", "train").recipe()
    monkeypatch.chdir(tmp_path)
    again = from_recipe(json.loads(json.dumps(recipe)), "test")
    np.testing.assert_array_equal(again.images, load_images(f"folder:{shapes32}", "test").images)
    copy = shutil.copytree(shapes32, tmp_path / "copy")
    moved = {**recipe, "path": str(copy)}
    from_recipe(moved, "train")  # same contents elsewhere: same fingerprint
    (copy / "circle" / "circle_000.png").write_bytes((copy / "square" / "square_001.jpg").read_bytes())
    with pytest.raises(DataError, match="changed since the run was trained"):
        from_recipe(moved, "train")


def test_grey_rgba_and_sizes(tmp_path):
    from PIL import Image

    root = tmp_path / "mixed"
    write_folder(root, per_class=4, size=28, colour=False, formats=("png", "bmp"))
    grey = load_images(f"folder:{root}", "all")
    assert grey.image_shape == (28, 28, 1)  # every file grey: one channel
    Image.fromarray(np.full((30, 30, 4), 200, np.uint8), "RGBA").save(root / "circle" / "rgba.png")
    with pytest.raises(DataError, match=r"differ in size .*--image-size"):
        load_images(f"folder:{root}", "all")
    resized = load_images(f"folder:{root}", "all", image_size=16)
    assert resized.image_shape == (16, 16, 3) and resized.images.shape == (13, 16, 16, 3)  # a colour file: RGB


def test_corrupt_and_empty_folders_are_named(tmp_path):
    root = write_folder(tmp_path / "bad", per_class=2, size=8)
    (root / "square" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    with pytest.raises(DataError, match="broken.png"):
        load_images(f"folder:{root}", "train")
    (tmp_path / "empty" / "a").mkdir(parents=True)
    with pytest.raises(DataError, match="no images"):
        load_images(f"folder:{tmp_path / 'empty'}", "train")


def test_train_only_folder_is_split_and_test_folder_is_used(tmp_path):
    root = write_folder(tmp_path / "split", per_class=8, size=8, split=True)
    test = load_images(f"folder:{root}", "test")
    assert len(test) == 6 and test.recipe()["split"] == "the folder's own train/ and test/ parts"
    shutil.rmtree(root / "test")  # zoo.generate's layout: train/ only
    train, test = load_images(f"folder:{root}", "train"), load_images(f"folder:{root}", "test")
    assert len(train) + len(test) == 18 and len(test) == 3


def test_streamed_batches_equal_in_memory_batches_and_resume_exactly(shapes32):
    streamed = load_images(f"folder:{shapes32}", "train")
    memory = ImageSet("copy", "train", streamed.images, streamed.labels)

    def epochs(data, start, stop):
        ds, steps = training_batches(data, 8, seed=3, initial_epoch=start, epochs=stop, labels=True)
        return [(x.numpy(), y.numpy()) for x, y in ds], steps

    full, steps = epochs(streamed, 0, 3)
    mem, _ = epochs(memory, 0, 3)
    resumed, _ = epochs(streamed, 2, 3)
    assert steps == 4 and len(full) == 12
    for (a, la), (b, lb) in zip(full, mem):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(la, lb)
    for (a, _), (b, _) in zip(full[8:], resumed):
        np.testing.assert_array_equal(a, b)


def test_tfds_by_name_streams_and_records_its_version():
    import tensorflow_datasets as tfds

    with tfds.testing.mock_data(num_examples=24, policy=tfds.testing.MockPolicy.USE_CODE):
        train = load_images("tfds:cifar10", "train")
        recipe = train.recipe()
        ds, steps = training_batches(train, 8, seed=0, initial_epoch=0, epochs=2, labels=True)
        batches = [(x.numpy(), y.numpy()) for x, y in ds]
        again = [(x.numpy(), y.numpy()) for x, y in training_batches(train, 8, 0, 1, 2, labels=True)[0]]
        test = from_recipe(recipe, "test")  # downloads off: the prepared (here: mocked) files
    assert train.image_shape == (32, 32, 3) and recipe["version"] == "3.0.2" and recipe["dataset"] == "tfds:cifar10"
    assert steps == 3 and len(batches) == 6 and batches[0][0].shape == (8, 32, 32, 3) and batches[0][0].max() <= 1
    for (a, _), (b, _) in zip(batches[3:], again):  # epoch 1 alone equals epoch 1 of the run
        np.testing.assert_array_equal(a, b)
    assert len(test) == 24


# ---- feature networks -----------------------------------------------------------------------------
def test_feature_network_choice_follows_the_data(shapes32, tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))  # no Inception weights here
    monkeypatch.delenv("ZOO_INCEPTION_WEIGHTS", raising=False)
    digits = {"dataset": "mnist5k", "image_shape": [28, 28, 1]}
    assert features.choose(digits).name == "classifier-mnist"
    padded = features.choose({"dataset": "mnist5k-32", "image_shape": [32, 32, 1]})
    assert padded.crop == (28, 28, 32, 32)
    own = load_images(f"folder:{shapes32}", "train").recipe()
    with pytest.raises(DataError, match="no feature network fits .*train.classifier --dataset"):
        features.choose(own)
    with pytest.raises(DataError, match="takes 28x28x1 images, but the data are 32x32x3"):
        features.choose(own, "classifier-mnist")
    with pytest.raises(DataError, match="not on this machine"):
        features.choose(own, "inception")
    assert features.for_monitor(own) is None  # the monitor then watches data-free signals only


def test_inception_path_with_a_random_weight_stand_in(tmp_path, monkeypatch):
    """The (c) protocol's code path: keras.applications.InceptionV3 replaced by a small random
    network with the same call signature (the real weights are never downloaded here)."""
    import keras

    def stand_in(include_top, pooling, weights, input_shape):
        assert (include_top, pooling, weights, input_shape) == (False, "avg", None, (299, 299, 3))
        inputs = keras.Input(input_shape)
        x = keras.layers.Conv2D(4, 3, strides=8)(inputs)
        return keras.Model(inputs, keras.layers.GlobalAveragePooling2D()(x))

    monkeypatch.setattr(keras.applications, "InceptionV3", stand_in)
    import h5py
    from keras.src.legacy.saving import legacy_h5_format

    weights = tmp_path / features.INCEPTION_FILE  # the legacy .h5 layout keras.applications downloads
    with h5py.File(weights, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, stand_in(False, "avg", None, (299, 299, 3)))
    monkeypatch.setenv("ZOO_INCEPTION_WEIGHTS", str(weights))
    network = features.choose({"dataset": "folder:/x", "image_shape": [32, 32, 3]})
    assert isinstance(network, features.InceptionFeatures) and "299x299" in network.protocol()
    grey = network.features(np.random.default_rng(0).random((3, 28, 28, 1), dtype=np.float32))
    assert grey.shape == (3, 4) and network.class_names == ()


# ---- every image trainer on non-digit data --------------------------------------------------------
TRAINERS = {
    "dcgan": ["--width", "4", "--latent-dim", "8"],
    "wgan_gp": ["--width", "4", "--latent-dim", "8", "--n-critic", "2"],
    "cgan": ["--width", "4", "--latent-dim", "8"],
    "stylegan": ["--latent-dim", "8", "--w-dim", "8"],
    "cyclegan": ["--width", "4", "--blocks", "1"],
    "srgan": ["--width", "4", "--blocks", "1"],
    "pix2pix": ["--width", "4"],
    "classifier": ["--width", "4", "--feature-dim", "8"],
    "row_classifier": ["--units", "4"],
    **{
        f"ae_{kind}": ["--latent-dim", "4"]
        for kind in ("vanilla", "linear", "undercomplete", "overcomplete", "sparse", "denoising", "contractive", "conv")
    },
    "vae": ["--latent-dim", "2"],
}


@pytest.fixture(scope="session")
def grey28(tmp_path_factory):
    return write_folder(tmp_path_factory.mktemp("data") / "grey28", per_class=12, size=28, colour=False)


@pytest.mark.slow
@pytest.mark.parametrize("trainer", sorted(TRAINERS))
def test_every_image_trainer_builds_to_the_users_data(trainer, shapes32, grey28, tmp_path, monkeypatch):
    import importlib

    loaded = []
    real_load = zoo.registry.load
    monkeypatch.setattr(zoo.registry, "load", lambda name: loaded.append(str(name)) or real_load(name))
    grey_only = trainer in ("row_classifier",)
    data = grey28 if grey_only else shapes32
    extra = ["--dataset-b", f"folder:{data}"] if trainer == "cyclegan" else []
    flags = [
        *TRAINERS[trainer],
        *extra,
        "--dataset",
        f"folder:{data}",
        "--epochs",
        "1",
        "--batch-size",
        "8",
        "--quiet",
        "--no-export",
        "--out",
        str(tmp_path / "run"),
    ]
    monkeypatch.chdir(tmp_path)
    if trainer.startswith("ae_") or trainer == "vae":  # the thin train.ae_<type> modules fix --type
        kind = "variational" if trainer == "vae" else trainer[3:]
        card = importlib.import_module("train.autoencoder").main(flags, kind=kind)
    else:
        card = importlib.import_module(f"train.{trainer}").main(flags)
    assert (
        card["data"]["dataset"] == f"folder:{data.resolve()}"
        and card["data"]["class_names"] is not None
        or trainer == "cyclegan"
    )
    assert data.name in card["name"] and "mnist" not in card["name"]
    assert "classifier-mnist" not in loaded  # no MNIST classifier touches non-digit data
    model = zoo.load(str(tmp_path / "run"))
    if "samples" in model.evaluation:
        assert model.sample(2, seed=0).shape == (2, *model.image_shape)
    shape = model.recipe["image_shape"]
    assert tuple(shape) == ((28, 28, 1) if grey_only else (32, 32, 3))
    calibration = model.calibration_inputs(4)
    if trainer in ("classifier",) or trainer.startswith("ae_") or trainer == "vae":
        expected = scale_images(load_images(f"folder:{data}", "train").first(4))
        first = next(iter(calibration.values()))
        np.testing.assert_array_equal(
            next(iter(first.values())) if trainer == "classifier" else calibration["encode"]["images"], expected
        )


# ---- the whole path through the real commands, from another working directory --------------------
@pytest.fixture(scope="session")
def rgb64(tmp_path_factory):
    return write_folder(
        tmp_path_factory.mktemp("data") / "rgb64", per_class=8, size=64, formats=("png", "gif"), split=True
    )


@pytest.mark.slow
def test_cli_train_evaluate_vis_export_on_a_colour_folder(rgb64, tmp_path):
    work, elsewhere = tmp_path / "work", tmp_path / "elsewhere"
    work.mkdir(), elsewhere.mkdir()
    gan = ["--width", "4", "--latent-dim", "8", "--batch-size", "6", "--epochs", "2", "--no-export"]
    trained = run("train.dcgan", "--dataset", f"folder:{rgb64}", *gan, "--out", "gan", cwd=work)
    assert trained.returncode == 0, trained.stderr
    card = json.loads((work / "gan" / "card.json").read_text())
    assert card["name"] == "dcgan-rgb64" and card["data"]["image_shape"] == [64, 64, 3]
    assert (
        "feature_spread" in card["training"]["history"][-1] and "label_entropy" not in card["training"]["history"][-1]
    )
    judge = run(
        "train.classifier",
        "--dataset",
        f"folder:{rgb64}",
        "--width",
        "4",
        "--batch-size",
        "6",
        "--epochs",
        "1",
        "--no-export",
        "--out",
        "judge",
        cwd=work,
    )
    assert judge.returncode == 0, judge.stderr

    # Evaluation from another folder, without and with a feature network for this data.
    line = one_line_error(run("zoo.evaluate", str(work / "gan"), "--samples", "20", cwd=elsewhere))
    assert "no feature network fits" in line and "--feature-network" in line
    scored = run(
        "zoo.evaluate",
        str(work / "gan"),
        "--samples",
        "20",
        "--feature-network",
        str(work / "judge"),
        "--json",
        "m.json",
        cwd=elsewhere,
    )
    assert scored.returncode == 0, scored.stderr
    metrics = json.loads((elsewhere / "m.json").read_text())
    assert metrics["protocol"]["reference"].startswith(f"folder:{rgb64.resolve()} 'test' split, 6 images")
    assert "classifier-rgb64" in metrics["protocol"]["feature_network"] and metrics["fid"] >= 0
    assert "inception_score" in metrics and metrics["protocol"]["inception_score"]  # the judge's classes are the data's
    line = one_line_error(
        run("zoo.evaluate", str(work / "gan"), "--feature-network", "classifier-mnist", cwd=elsewhere)
    )
    assert "takes 28x28x1 images, but the data are 64x64x3" in line
    line = one_line_error(run("zoo.evaluate", str(work / "gan"), "--feature-network", "no-such-net", cwd=elsewhere))
    assert "unknown --feature-network 'no-such-net'" in line

    drawn = run("zoo.vis", str(work / "judge"), "--kind", "gradcam", "--out", "cam.png", cwd=elsewhere)
    assert drawn.returncode == 0 and (elsewhere / "cam.png").stat().st_size > 0, drawn.stderr

    exported = run("export", str(work / "judge"), "--format", "all", "--out", "ex", cwd=elsewhere)
    assert exported.returncode == 0, exported.stderr
    report = json.loads((elsewhere / "ex" / "classifier-rgb64.export.json").read_text())
    assert "path" in report["litert_quantized"]["int8"]


@pytest.mark.slow
def test_bad_folders_and_names_get_one_line(tmp_path, shapes32):
    (tmp_path / "empty" / "cats").mkdir(parents=True)
    line = one_line_error(run("train.dcgan", "--dataset", f"folder:{tmp_path / 'empty'}", "--out", "r", cwd=tmp_path))
    assert "no images" in line and not (tmp_path / "r").exists()
    bad = shutil.copytree(shapes32, tmp_path / "bad")
    (bad / "circle" / "x.jpg").write_bytes(b"garbage")
    line = one_line_error(run("train.dcgan", "--dataset", f"folder:{bad}", "--out", "r", cwd=tmp_path))
    assert "x.jpg" in line and not (tmp_path / "r").exists()


@pytest.mark.slow
def test_a_run_named_like_a_shipped_entry_is_not_exported_under_its_name(tmp_path):
    from conftest import tiny_dcgan

    run_dir = tmp_path / "dcgan"
    run_dir.mkdir()
    model = tiny_dcgan()
    model.save_weights(str(run_dir / "model.weights.h5"))
    card = {
        "name": "dcgan-mnist",
        "architecture": "dcgan",
        "config": model.get_config(),
        "data": {"dataset": "mnist5k", "kind": "images", "image_shape": [8, 8, 1], "class_names": list("0123456789")},
    }
    (run_dir / "card.json").write_text(json.dumps(card))
    line = one_line_error(run("export", str(run_dir), "--format", "onnx", "--out", "ex", cwd=tmp_path))
    assert "--as NAME" in line and not (tmp_path / "ex").exists()
    named = run("export", str(run_dir), "--format", "onnx", "--out", "ex", "--as", "my-gan", cwd=tmp_path)
    assert named.returncode == 0 and (tmp_path / "ex" / "my-gan.sample.onnx").is_file(), named.stderr


@pytest.mark.slow
def test_a_mocked_tfds_dataset_trains_and_is_scored_on_its_own_test_split(tmp_path, monkeypatch):
    import tensorflow_datasets as tfds

    from train import classifier, dcgan
    from zoo.evaluation.evaluate import evaluate

    monkeypatch.chdir(tmp_path)
    common = ["--dataset", "tfds:cifar10", "--epochs", "1", "--batch-size", "8", "--quiet", "--no-export"]
    with tfds.testing.mock_data(num_examples=24, policy=tfds.testing.MockPolicy.USE_CODE):
        card = dcgan.main([*common, "--width", "4", "--latent-dim", "8", "--out", "gan"])
        classifier.main([*common, "--width", "4", "--feature-dim", "8", "--out", "judge"])
        # mock images are noise: no judge can learn them, so its check fails and the numbers carry the warning
        result = evaluate(zoo.load("./gan"), samples=16, feature_network="./judge", accept_weak=True)
    assert (
        card["name"] == "dcgan-cifar10"
        and card["data"]["version"] == "3.0.2"
        and card["data"]["image_shape"] == [32, 32, 3]
    )
    assert result["protocol"]["reference"].startswith("tfds:cifar10 'test' split, 24 images")
    assert "classifier-cifar10" in result["protocol"]["feature_network"] and result["fid"] >= 0
    assert result["warnings"] and result["floor"]["fid"] >= 0


@pytest.mark.slow
def test_resume_finds_the_same_folder_by_any_path_and_refuses_another(tmp_path):
    """A run trained on folder:shapes resumes with folder:./shapes, ../work/shapes from another
    directory or the absolute path (the recipe holds the resolved folder); another folder is refused."""
    from PIL import Image

    work, elsewhere = tmp_path / "work", tmp_path / "elsewhere"
    rng = np.random.default_rng(0)
    for folder in (work / "shapes", work / "other"):
        for c in ("a", "b"):
            (folder / c).mkdir(parents=True)
            for i in range(10):
                Image.fromarray(rng.integers(0, 255, (8, 8, 3), dtype=np.uint8)).save(folder / c / f"{i}.png")
    elsewhere.mkdir()
    tiny = ["--width", "4", "--latent-dim", "8", "--batch-size", "8", "--quiet", "--no-export"]
    out = str(work / "run")
    assert (
        run("train.dcgan", "--dataset", "folder:shapes", *tiny, "--epochs", "1", "--out", out, cwd=work).returncode == 0
    )
    for epochs, dataset, cwd in ((2, "folder:./shapes", work), (3, "folder:../work/shapes", elsewhere)):
        r = run("train.dcgan", "--dataset", dataset, *tiny, "--epochs", str(epochs), "--resume", "--out", out, cwd=cwd)
        assert r.returncode == 0, r.stderr
    line = one_line_error(
        run("train.dcgan", "--dataset", f"folder:{work / 'other'}", *tiny, "--epochs", "4", "--resume", "--out", out,
            cwd=elsewhere)
    )  # fmt: skip
    assert "--resume with --dataset folder:" in line and "but the run in" in line


@pytest.mark.slow
def test_a_folder_too_small_to_hold_out_a_test_image_is_refused_before_training(tmp_path):
    from PIL import Image

    for c in ("a", "b"):
        (tmp_path / "tiny" / c).mkdir(parents=True)
        Image.fromarray(np.full((40, 40, 3), 100, np.uint8)).save(tmp_path / "tiny" / c / "x.jpg")
    r = run(
        "train.classifier", "--dataset", "folder:tiny", "--image-size", "32", "--epochs", "1", "--batch-size", "1",
        "--no-export", "--out", "run", cwd=tmp_path,
    )  # fmt: skip
    line = one_line_error(r)
    assert "the test split of folder:tiny is empty" in line and "at least 2 images" in line
    assert not (tmp_path / "run").exists()
