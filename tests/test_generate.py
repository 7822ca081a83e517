"""zoo.generate: labelled synthetic datasets, reproducible by seed, read back by zoo.data and TFDS."""

import json

import numpy as np
import pytest

import zoo
from zoo.data import load_images
from zoo.errors import DataError, InputError
from zoo.generate import generate, write_dataset


def test_counts_labels_and_reproducibility():
    data = generate("cgan-mnist", per_class=3, seed=5)
    assert data.images.shape == (30, 28, 28, 1) and data.images.dtype == np.uint8
    np.testing.assert_array_equal(np.bincount(data.labels), [3] * 10)
    again = generate("cgan-mnist", per_class=3, seed=5)
    np.testing.assert_array_equal(data.images, again.images)
    assert not np.array_equal(data.images, generate("cgan-mnist", per_class=3, seed=6).images)
    some = generate("cgan-mnist", per_class=2, seed=5, classes=[7, 9])
    assert some.labels.tolist() == [7, 7, 9, 9]
    # The generator makes the digits it is asked for (classifier-mnist reads them back).
    if "classifier-mnist" in zoo.available():
        read = zoo.load("classifier-mnist").probabilities(data.images / 255.0).argmax(1)
        assert np.mean(read == data.labels) > 0.8


@pytest.mark.slow
def test_cli_writes_a_dataset_that_loads_back(tmp_path, cli):
    out = tmp_path / "synthetic"
    r = cli("zoo.generate", "cgan-mnist", "--per-class", "2", "--seed", "1", "--out", str(out))
    assert r.returncode == 0, r.stderr
    info = json.loads((out / "dataset_info.json").read_text())
    assert info["seed"] == 1 and info["per_class"] == 2 and info["generator"] == "cgan-mnist"
    assert info["weights_sha256"] == zoo.card("cgan-mnist")["weights"]["sha256"]
    back = load_images(f"folder:{out}", "all")  # train/ only: zoo.data splits it, "all" is every image
    expected = generate("cgan-mnist", per_class=2, seed=1)
    key = lambda images, labels: sorted(zip(labels.tolist(), (im.tobytes() for im in images)))  # noqa: E731
    assert key(back.images, back.labels) == key(expected.images, expected.labels)
    assert (
        back.class_names == tuple("0123456789") and len(load_images(f"folder:{out}", "test")) == 10
    )  # 1 of 2 per class
    import tensorflow_datasets as tfds

    builder = tfds.folder_dataset.ImageFolder(str(out))
    assert builder.info.splits["train"].num_examples == 20
    again = cli("zoo.generate", "cgan-mnist", "--per-class", "2", "--out", str(out))
    assert again.returncode == 2 and "not empty" in again.stderr


def test_bad_requests_are_clear_errors(tmp_path, tiny):
    with pytest.raises(InputError, match="not a conditional generator"):
        generate(tiny(), per_class=2)
    with pytest.raises(DataError, match="no images"):
        load_images(f"folder:{tmp_path}", "train")
    data = load_images("digits", "test")
    write_dataset(data, tmp_path / "copy", {"note": "test"})
    np.testing.assert_array_equal(load_images(f"folder:{tmp_path / 'copy'}", "test").images.shape, data.images.shape)
