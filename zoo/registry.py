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
import os
from pathlib import Path

from zoo.errors import UnknownNameError, WeightsError, did_you_mean

#: where shipped entries live: the package's own folder, or ZOO_PRETRAINED_DIR (your own model store,
#: e.g. where `python -m train.publish` writes for a team)
PRETRAINED_DIR = Path(os.environ.get("ZOO_PRETRAINED_DIR") or Path(__file__).resolve().parent / "pretrained")
ARCHITECTURES = {}
#: the model modules: importing each registers its architectures (a new family adds its module here)
FAMILIES = (
    "zoo.gan.dcgan",
    "zoo.gan.wgan_gp",
    "zoo.gan.cgan",
    "zoo.gan.cyclegan",
    "zoo.gan.stylegan",
    "zoo.gan.srgan",
    "zoo.gan.pix2pix",
    "zoo.gan.text2image",
    "zoo.classifier",
    "zoo.autoencoders",
    "zoo.sequence",
)


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


def register_architectures():
    """Import every model module (and so TensorFlow), which registers every architecture."""
    import importlib

    for module in FAMILIES:
        importlib.import_module(module)


def build(architecture, config=None):
    """A fresh (untrained) model of a registered architecture."""
    register_architectures()
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
        raise UnknownNameError(
            f"no pretrained model '{name}'{did_you_mean(name, names)}; available: {', '.join(names) or 'none'}"
        )
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


def is_path(name):
    """The rule that keeps names and paths apart: a reference with a path separator, or one that
    names an existing folder, is a path; anything else is an entry name. A bare word that is both
    a shipped entry and a folder here is refused as ambiguous (write ./NAME for the folder)."""
    text = str(name)
    separated = "/" in text or os.sep in text or text in (".", "..") or text.startswith("~")
    if separated:
        return True
    if Path(text).is_dir():
        if _card_path(text).is_file():
            raise UnknownNameError(f"'{text}' is both a shipped entry and a folder here: write ./{text} for the folder")
        return True
    return False


def is_entry(name):
    """True when `name` refers to a shipped entry (not a folder); see `is_path`."""
    return not is_path(name) and _card_path(str(name)).is_file()


def read_run(folder):
    """(card, weights path) of a training output folder, the weights checked against the card's
    sha256 (cards written before the check was recorded load unchecked)."""
    folder = Path(folder).expanduser()
    card_file, path = folder / "card.json", folder / "model.weights.h5"
    if not card_file.is_file():
        if (folder / "checkpoint.npz").is_file():
            raise WeightsError(f"the run in {folder} has not finished (no card.json yet); continue it with --resume")
        raise UnknownNameError(f"{folder} is not a training run or zoo entry (no card.json)")
    try:
        entry = json.loads(card_file.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise WeightsError(f"{card_file} is unreadable ({exc})") from None
    if not path.is_file():
        raise WeightsError(f"no weights in {folder} (model.weights.h5 is missing)")
    expected = (entry.get("weights") or {}).get("sha256")
    if expected and sha256(path) != expected:
        raise WeightsError(
            f"{path} does not match its card's sha256 ({expected[:12]}…): the weights were replaced or damaged"
        )
    return entry, path


def running_run(folder):
    """True for a run folder holding a checkpoint but no finished weights yet (a run still training):
    `--from-pretrained` starts from its checkpoint."""
    folder = Path(folder).expanduser()
    return not (folder / "model.weights.h5").is_file() and (folder / "checkpoint.npz").is_file()


def source_config(name):
    """The architecture config of what `--from-pretrained` names, read without TensorFlow: an
    entry's card, a finished run's card.json, or the record of a run folder holding only a
    checkpoint (the source `zoo.transfer.load_source` then loads)."""
    if is_path(name):
        folder = Path(name).expanduser()
        if running_run(folder):
            from zoo import checkpoint

            return checkpoint.read_meta(folder / "checkpoint.npz")["config"]
        entry, _ = read_run(folder)
        return migrate(entry)["config"]
    return migrate(card(name))["config"]


def load(name):
    """The pretrained model `name`, built from its card and loaded with its verified weights.

    `name` may also be a training output folder (holding card.json and model.weights.h5, as
    `python -m train.<model>` leaves it; see `is_path` for how the two are told apart). The card is
    attached as `model.card` and its data recipe as `model.recipe`.
    Raises UnknownNameError or WeightsError.
    """
    if is_path(name):
        entry, path = read_run(name)
    else:
        entry = card(name)
        path = weights_path(name, entry)
    entry = migrate(entry)
    try:
        model = build(entry["architecture"], entry["config"])
    except (TypeError, ValueError) as exc:  # Keras refuses unknown keyword arguments with ValueError
        raise WeightsError(f"the card of '{name}' does not fit architecture '{entry['architecture']}': {exc}") from None
    try:
        model.load_weights(str(path))
    except Exception as exc:  # h5py / Keras raise several types for a damaged or mismatched file
        raise WeightsError(f"weights of '{name}' could not be loaded from {path}: {exc}") from None
    model.card = entry
    model.attach_recipe(entry.get("data"))
    return model


# Dataset facts that cards written before the data recipe kept in the architecture config.
LEGACY_DATA_KEYS = {"dataset", "held_out_class", "domain_names", "mean", "std", "period", "train_fraction"}
SEQUENCE_ARCHITECTURES = {"forecaster", "char-lm"}  # series and text: their recipe is their loader's facts


def migrate(entry):
    """A card in the current shape: architecture arguments in `config`, the data recipe in `data`.
    Older cards (data facts in the config, data = {name, split, examples}) are converted."""
    from zoo.data import DIGIT_CLASSES, DIGIT_DATASETS, OFFLINE_SPLITS, SCALING

    data = dict(entry.get("data") or {})
    config = dict(entry["config"])
    moved = {k: config.pop(k) for k in LEGACY_DATA_KEYS & set(config)}
    if "dataset" in data:  # a recipe already; only data facts left in the config to move
        if not moved:
            return entry
        facts = {k: v for k, v in moved.items() if k not in ("dataset", "domain_names")}
        return {**entry, "config": config, "data": {**facts, **data}}
    name = data.get("name") or moved.get("dataset")

    def image_recipe(dataset):
        return {
            "dataset": dataset,
            "kind": "images",
            "image_shape": config.get("image_shape"),
            "class_names": list(DIGIT_CLASSES) if dataset in DIGIT_DATASETS else None,
            "scaling": SCALING,
            "split": OFFLINE_SPLITS.get(dataset, "as loaded"),
        }

    if entry["architecture"] == "cyclegan":
        a, b = moved.get("domain_names") or name.split("+")
        recipe = {
            "dataset": f"{a}+{b}",
            "kind": "unpaired",
            "image_shape": config.get("image_shape"),
            "scaling": SCALING,
            "a": image_recipe(a),
            "b": image_recipe(b),
        }
    elif entry["architecture"] in SEQUENCE_ARCHITECTURES:
        recipe = {"dataset": name, "kind": "arrays", **{k: v for k, v in moved.items() if k != "dataset"}}
    else:
        shape = config.get("image_shape") or [28, 28, 1]
        recipe = {**image_recipe(name), "image_shape": shape}
        if moved.get("held_out_class") is not None:
            recipe["held_out_class"] = moved["held_out_class"]
    recipe.update(examples=data.get("examples"), seed=entry.get("training", {}).get("seed"))
    return {**entry, "config": config, "data": recipe}
