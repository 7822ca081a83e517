"""The catalogue: names, cards, sha256-checked weights, clear errors, and the shipped DCGAN."""

import json
import shutil

import numpy as np
import pytest
from conftest import tiny_dcgan

import zoo
from zoo import registry
from zoo.errors import UnknownNameError, WeightsError


@pytest.fixture
def catalogue(tmp_path, monkeypatch):
    """A pretrained folder holding one tiny entry, 'tiny-gan', with a correct card."""
    model = tiny_dcgan()
    weights = tmp_path / "tiny-gan.weights.h5"
    model.save_weights(str(weights))
    card = {
        "name": "tiny-gan",
        "architecture": "dcgan",
        "config": model.get_config(),
        "weights": {"file": weights.name, "sha256": registry.sha256(weights)},
    }
    (tmp_path / "tiny-gan.json").write_text(json.dumps(card))
    monkeypatch.setattr(registry, "PRETRAINED_DIR", tmp_path)
    return tmp_path, model


def test_load_returns_the_saved_model_with_its_card(catalogue):
    _, model = catalogue
    assert zoo.available() == ["tiny-gan"]
    loaded = zoo.load("tiny-gan")
    assert loaded.card["name"] == "tiny-gan"
    np.testing.assert_allclose(loaded.sample(3, seed=2), model.sample(3, seed=2), atol=1e-6)


def test_unknown_name_suggests_close_matches(catalogue):
    with pytest.raises(UnknownNameError, match="did you mean: tiny-gan"):
        zoo.load("tiny-gn")


def test_sha256_mismatch_is_refused(catalogue):
    folder, _ = catalogue
    path = folder / "tiny-gan.weights.h5"
    data = bytearray(path.read_bytes())
    data[-100] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(WeightsError, match="sha256"):
        zoo.load("tiny-gan")


def test_missing_weight_file_is_refused(catalogue):
    folder, _ = catalogue
    (folder / "tiny-gan.weights.h5").unlink()
    with pytest.raises(WeightsError, match="missing"):
        zoo.load("tiny-gan")


def test_card_cannot_name_an_unregistered_class(catalogue):
    folder, _ = catalogue
    card = json.loads((folder / "tiny-gan.json").read_text())
    card["architecture"] = "os.system"
    (folder / "tiny-gan.json").write_text(json.dumps(card))
    with pytest.raises(UnknownNameError, match="unknown architecture"):
        zoo.load("tiny-gan")


def test_a_training_output_folder_loads_too(catalogue, tmp_path_factory):
    folder, model = catalogue
    run = tmp_path_factory.mktemp("run")
    shutil.copy(folder / "tiny-gan.weights.h5", run / "model.weights.h5")
    shutil.copy(folder / "tiny-gan.json", run / "card.json")
    np.testing.assert_allclose(zoo.load(str(run)).sample(2), model.sample(2), atol=1e-6)


SHIPPED = "dcgan-mnist"


def test_shipped_dcgan_loads_offline_and_samples_digits():
    card = zoo.card(SHIPPED)
    for key in ("architecture", "config", "weights", "data", "training", "metrics"):
        assert key in card, key
    assert card["training"]["commands"][0].startswith("python -m train.dcgan")
    model = zoo.load(SHIPPED)
    images = model.sample(16, seed=0)
    assert images.shape == (16, 28, 28, 1) and 0 <= images.min() and images.max() <= 1
    # Digits are mostly dark background with bright strokes, not noise or a flat grey.
    assert 0.05 < images.mean() < 0.3 and (images > 0.5).mean() > 0.05
