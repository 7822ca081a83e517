"""The one catalogue: architecture names -> classes, pretrained names -> card + weights.

A pretrained entry is two files in `zoo/pretrained/` (keras-hub's preset idea, timm's one list):
  <name>.json          the model card: architecture, config, weights file + sha256, data, the exact
                       training command and seed, measured metrics
  <name>.weights.h5    the weights, loaded as weights (no code runs from either file)
The class to build is looked up by the card's architecture name in `ARCHITECTURES`, which only
code in this package fills, so a card can never make `load` import or run anything else.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from zoo.errors import UnknownNameError, WeightsError, did_you_mean

PRETRAINED_DIR = Path(__file__).resolve().parent / "pretrained"
ARCHITECTURES = {}


def register_architecture(name):
    """Class decorator: make a model class buildable by architecture name (and Keras-serializable)."""

    def decorate(cls):
        import keras

        if name in ARCHITECTURES and ARCHITECTURES[name] is not cls:
            raise ValueError(f"architecture '{name}' registered twice")
        ARCHITECTURES[name] = keras.saving.register_keras_serializable(package="zoo")(cls)
        cls.architecture = name
        return cls

    return decorate


def build(architecture, config=None):
    """A fresh (untrained) model of a registered architecture."""
    if architecture not in ARCHITECTURES:
        raise UnknownNameError(
            f"unknown architecture '{architecture}'{did_you_mean(architecture, ARCHITECTURES)}; "
            f"known: {', '.join(sorted(ARCHITECTURES))}"
        )
    return ARCHITECTURES[architecture](**(config or {}))


def _card_path(name):
    return PRETRAINED_DIR / f"{name}.json"


def available():
    """Names of the pretrained entries shipped with the package, sorted."""
    return sorted(p.name[: -len(".json")] for p in PRETRAINED_DIR.glob("*.json"))


def card(name):
    """The model card (a dict) of a pretrained entry."""
    path = _card_path(name)
    if not path.is_file():
        names = available()
        raise UnknownNameError(f"no pretrained model '{name}'{did_you_mean(name, names)}; available: {', '.join(names) or 'none'}")
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise WeightsError(f"model card {path} is unreadable ({exc})") from None


def sha256(path, chunk=1 << 20):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


def weights_path(name, entry=None):
    """Path of an entry's weight file after checking that it exists and matches the card's sha256."""
    entry = entry or card(name)
    path = PRETRAINED_DIR / entry["weights"]["file"]
    if not path.is_file():
        raise WeightsError(f"weights of '{name}' are missing: {path} (reinstall the package)")
    actual = sha256(path)
    if actual != entry["weights"]["sha256"]:
        raise WeightsError(
            f"weights of '{name}' fail their sha256 check ({path}: {actual[:12]}…, card says "
            f"{entry['weights']['sha256'][:12]}…); the file is corrupted or was replaced"
        )
    return path


def load(name):
    """The pretrained model `name`, built from its card and loaded with its verified weights.

    `name` may also be a training output folder (holding card.json and model.weights.h5, as
    `python -m train.<model>` leaves it). The card is attached as `model.card`.
    Raises UnknownNameError or WeightsError.
    """
    import zoo  # noqa: F401  (importing the package registers every architecture)

    folder = Path(str(name))
    if not _card_path(name).is_file() and (folder / "card.json").is_file():
        try:
            entry = json.loads((folder / "card.json").read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise WeightsError(f"{folder / 'card.json'} is unreadable ({exc})") from None
        path = folder / "model.weights.h5"
        if not path.is_file():
            raise WeightsError(f"no weights in {folder} (model.weights.h5 is missing)")
    else:
        entry = card(name)
        path = weights_path(name, entry)
    model = build(entry["architecture"], entry["config"])
    try:
        model.load_weights(str(path))
    except Exception as exc:  # h5py / Keras raise several types for a damaged or mismatched file
        raise WeightsError(f"weights of '{name}' could not be loaded from {path}: {exc}") from None
    model.card = entry
    return model
