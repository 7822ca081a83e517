"""Where `--dataset` names resolve: an offline name, or `scheme:ARG` for a registered source.

A source module registers its scheme here (`register_scheme`), and a recipe kind other than plain
images (`register_recipe_kind`): `zoo.data` imports every source module, so a new source costs one
module and one line there, and nothing here names it.
"""

from __future__ import annotations

from zoo.data.base import SPLITS, ImageData, Unpaired
from zoo.data.offline import EMOJI, OFFLINE, available, load_offline
from zoo.errors import DataError, UnknownNameError, did_you_mean

#: scheme -> (load(arg, split, image_size, test_fraction, split_seed), from_recipe(recipe, split))
SCHEMES = {}
#: recipe "kind" -> from_recipe(recipe, split), for data that is not one image set (paired data)
RECIPE_KINDS = {}


def register_scheme(scheme, load, from_recipe):
    """`--dataset SCHEME:ARG` reads `load(ARG, split, image_size, test_fraction, split_seed)`; a card
    whose dataset starts with `SCHEME:` is read back by `from_recipe(recipe, split)`."""
    SCHEMES[scheme] = (load, from_recipe)


def register_recipe_kind(kind, from_recipe):
    RECIPE_KINDS[kind] = from_recipe


def _scheme(name):
    scheme = name.split(":", 1)[0] if ":" in name else None
    return scheme if scheme in SCHEMES else None


def check_dataset(name):
    """Refuse, without loading anything, a dataset name that cannot load: an unknown offline name or
    scheme, or a folder that does not exist (UnknownNameError / DataError)."""
    if not isinstance(name, str):
        raise UnknownNameError(f"dataset must be a name, got {name!r}")
    scheme = _scheme(name)
    if scheme == "folder":
        from pathlib import Path

        folder = Path(name[len("folder:") :]).expanduser()
        if not folder.is_dir():
            raise DataError(f"dataset folder {folder} does not exist or is not a folder")
    elif scheme is None and name not in OFFLINE and name not in EMOJI:
        raise UnknownNameError(
            f"unknown dataset '{name}'{did_you_mean(name, available())}; "
            f"offline datasets: {', '.join(available())}, folder:DIR for your own images, or tfds:<name>"
        )


def load_images(name="mnist5k", split="train", image_size=None, test_fraction=0.2, split_seed=0) -> ImageData:
    """Split `split` ("train", "test" or "all") of a dataset: an offline name, "folder:DIR" or
    "tfds:NAME". `image_size` resizes folder images to a square side; `test_fraction` and
    `split_seed` split a folder that has no test part (stratified by class)."""
    if split not in SPLITS:
        raise UnknownNameError(f"unknown split '{split}'; choose one of {', '.join(SPLITS)}")
    if not isinstance(name, str):
        raise UnknownNameError(f"dataset must be a name, got {name!r}")
    scheme = _scheme(name)
    if scheme is not None:
        return SCHEMES[scheme][0](name[len(scheme) + 1 :], split, image_size, test_fraction, split_seed)
    check_dataset(name)
    return load_offline(name, split, image_size)


def from_recipe(recipe, split):
    """The `split` of the data a run was trained on, from the recipe in its card (any working
    directory; a folder whose contents changed since is refused)."""
    if not recipe or "dataset" not in recipe:
        raise DataError("this model's card has no data recipe: it does not say what data it was trained on")
    if recipe.get("kind", "images") == "unpaired":
        return load_unpaired(from_recipe(recipe["a"], split), from_recipe(recipe["b"], split))
    if recipe.get("kind") in RECIPE_KINDS:
        return RECIPE_KINDS[recipe["kind"]](recipe, split)
    name = recipe["dataset"]
    scheme = _scheme(name)
    if scheme is not None:
        data = SCHEMES[scheme][1](recipe, split)
    else:
        data = load_images(name, split, image_size=recipe.get("image_size"))
    if recipe.get("held_out_class") is not None and split == "train":  # the run never saw this class
        data = data.subset(data.labels != recipe["held_out_class"], f"train without label {recipe['held_out_class']}")
    return data


def load_unpaired(a, b, split="train") -> Unpaired:
    """Two datasets (names or loaded ImageData) as unpaired domains A and B."""
    a = load_images(a, split) if isinstance(a, str) else a
    b = load_images(b, split) if isinstance(b, str) else b
    if a.image_shape != b.image_shape:
        raise DataError(f"domains differ in image shape: {a.name} {a.image_shape} vs {b.name} {b.image_shape}")
    return Unpaired(a, b)
