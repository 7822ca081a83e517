"""Argument checks of the Python API, in one place: each returns the value in its canonical type or
raises `InputError` with one line naming the argument. Tensors are checked by the endpoints'
declared inputs (`zoo.serving.endpoints.Endpoint.validate`); these cover the scalars and choices around them.
"""

from __future__ import annotations

import numbers
from pathlib import Path

import numpy as np

from zoo.errors import InputError


def _is_int(value):
    return isinstance(value, (numbers.Integral, np.integer)) and not isinstance(value, (bool, np.bool_))


def count(value, what="number of samples", at_least=1):
    """A whole number >= `at_least` (not a bool, not a float such as 2.5)."""
    if not _is_int(value) or value < at_least:
        raise InputError(f"{what} must be an integer >= {at_least}, got {value!r}")
    return int(value)


def boolean(value, what):
    """True or False (not 1, not "yes")."""
    if not isinstance(value, (bool, np.bool_)):
        raise InputError(f"{what} must be True or False, got {value!r}")
    return bool(value)


#: the most images one `sample` call returns: memory stays bounded (50,000 images of 64x64x3 float32
#: are 2.5 GB); larger sets are drawn as several calls with different seeds
MAX_SAMPLES = 100_000


def sample_count(n):
    """A number of samples to draw at once: a whole number in [1, MAX_SAMPLES]."""
    n = count(n)
    if n > MAX_SAMPLES:
        raise InputError(
            f"number of samples {n:,} is more than one call draws ({MAX_SAMPLES:,}, to keep memory bounded); "
            f"draw a larger set as several calls with different seeds"
        )
    return n


def seed(value):
    """A random seed: a whole number in [0, 2^32)."""
    if not _is_int(value) or not 0 <= value < 2**32:
        raise InputError(f"seed must be an integer in [0, 2^32), got {value!r}")
    return int(value)


def number(value, what, low=None, high=None):
    """A finite real number within [low, high] (either bound optional)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.integer, np.floating)):
        raise InputError(f"{what} must be a number, got {value!r}")
    value = float(value)
    if not np.isfinite(value) or (low is not None and value < low) or (high is not None and value > high):
        bounds = (
            f"in [{low}, {high}]"
            if low is not None and high is not None
            else (f">= {low}" if low is not None else f"<= {high}" if high is not None else "finite")
        )
        raise InputError(f"{what} must be a finite number {bounds}, got {value!r}")
    return value


def choice(value, choices, what):
    """One of `choices` (strings), with close matches suggested."""
    from zoo.errors import did_you_mean

    if not isinstance(value, str) or value not in choices:
        raise InputError(f"unknown {what} {value!r}; choose from {', '.join(choices)}" + did_you_mean(value, choices))
    return value


def array(value, what):
    """`np.asarray(value)`, refusing ragged nesting and objects in one line."""
    try:
        result = np.asarray(value)
    except (ValueError, TypeError) as exc:
        raise InputError(f"{what} is not a rectangular numeric array ({exc.__class__.__name__})") from None
    if result.dtype == object:
        raise InputError(f"{what} must be a numeric array, got Python objects")
    return result


def augmentation_policy(text):
    """'translation,cutout' -> ('translation', 'cutout'); '', 'none' or () -> () (no TensorFlow needed,
    so the trainers check --augment before importing it)."""
    from zoo.choices import AUGMENTATIONS

    if isinstance(text, (list, tuple)):
        text = ",".join(text)
    names = tuple(part.strip() for part in str(text or "").split(",") if part.strip() and part.strip() != "none")
    unknown = [n for n in names if n not in AUGMENTATIONS]
    if unknown:
        raise InputError(f"unknown augmentation {unknown}; choose from {', '.join(AUGMENTATIONS)} (comma-separated)")
    return tuple(dict.fromkeys(names))


# --- command-line flag types and output paths: one line, exit 2, checked before any work ----------
def _checked(convert, ok, expected, bound):
    """An argparse type: `convert(text)`, refused in one line unless `ok(value)`."""
    import argparse

    def parse(text):
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}, got '{text}'") from None
        if not ok(value):
            raise argparse.ArgumentTypeError(f"must be {bound}, got {text}")
        return value

    return parse


positive_int = _checked(int, lambda v: v > 0, "a positive integer", "a positive integer")
positive_float = _checked(float, lambda v: 0 < v < float("inf"), "a positive number", "a positive finite number")
non_negative_float = _checked(float, lambda v: 0 <= v < float("inf"), "a number", "0 or a positive finite number")
seed_flag = _checked(int, lambda v: 0 <= v < 2**31, "a whole number", "in [0, 2^31)")
zero_to_one = _checked(float, lambda v: 0 <= v < 1, "a number in [0, 1)", "in [0, 1)")
dropout_rate = zero_to_one
fraction = _checked(float, lambda v: 0 < v < 1, "a number between 0 and 1", "strictly between 0 and 1")
probability = _checked(float, lambda v: 0 < v <= 1, "a number in (0, 1]", "in (0, 1]")
semitones = _checked(int, lambda v: 0 <= v <= 6, "a whole number of semitones", "0 to 6")
pixel_shift = _checked(int, lambda v: 0 <= v <= 13, "a whole number of pixels", "0 to 13 (half a 28-pixel digit)")


def _nearest_existing(path):
    path = Path(path).absolute()
    while not path.exists():
        path = path.parent
    return path


def _can_create_in(folder):
    import tempfile

    try:
        tempfile.TemporaryFile(dir=folder).close()
        return True
    except OSError:
        return False


def output_file(path, suffix=None, what="--out"):
    """A file the command may (over)write: the right suffix, not a folder, its folder exists and
    takes new files. Raises InputError; checked before any model is loaded or anything computed."""
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{what} '{path}' is a folder; name a file")
    if suffix and path.suffix.lower() != suffix:
        raise InputError(f"{what} must name a {suffix} file, got '{path}'")
    folder = path.absolute().parent
    if not folder.is_dir():
        raise InputError(f"{what}: folder {path.parent} does not exist")
    if not _can_create_in(folder):
        raise InputError(f"{what}: cannot write in folder {path.parent}")
    return path


def output_folder(path, empty=False, what="--out"):
    """A folder the command may create or write into (`empty`: it must not hold anything yet)."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise InputError(f"{what} '{path}' is a file, not a folder")
    if empty and path.is_dir() and any(path.iterdir()):
        raise InputError(f"{what} '{path}' exists and is not empty; choose another folder")
    base = _nearest_existing(path)
    if not base.is_dir():
        raise InputError(f"{what}: cannot write to '{path}': '{base}' is a file, not a folder")
    if not _can_create_in(base):
        raise InputError(f"{what}: cannot write to '{path}': '{base}' is not writable")
    return path


def quantiles(levels):
    """Quantile levels: strictly increasing, inside (0, 1), including the median 0.5 (the point
    forecast); () for a point forecaster."""
    levels = tuple(float(q) for q in levels)
    if levels and (any(not 0 < q < 1 for q in levels) or list(levels) != sorted(set(levels)) or 0.5 not in levels):
        raise InputError(
            f"quantiles must be increasing levels strictly between 0 and 1 including 0.5, got {list(levels)}"
        )
    return levels


def quantile_levels(text):
    """--quantiles: a comma list of levels, checked by `quantiles`."""
    import argparse

    try:
        levels = [float(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated numbers such as 0.1,0.5,0.9, got '{text}'"
        ) from None
    try:
        return quantiles(levels)
    except InputError as error:
        raise argparse.ArgumentTypeError(str(error).replace("quantiles must be", "must be")) from None


def augment_flag(text):
    """--augment: 'none' or a comma list of zoo.choices.AUGMENTATIONS, as the model stores it."""
    import argparse

    try:
        return ",".join(augmentation_policy(text))
    except InputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def flag(parser, check, *args, **kwargs):
    """`check(*args, **kwargs)`, or the parser's one-line usage error (exit 2) on InputError."""
    try:
        return check(*args, **kwargs)
    except InputError as exc:
        parser.error(str(exc))
