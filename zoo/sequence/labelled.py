"""Labelled sequences for classification: the UCR/UEA archive sets that ship inside `aeon`'s wheel
(offline), or your own file.

    aeon:GunPoint            the published TRAIN/TEST split, as the UCR/UEA archive gives it
    csv:FILE                 one row per sequence: a label column (--label, default "label") and the
                             remaining numeric columns, in order, as the time steps (univariate)
    npz:FILE                 arrays X [N, T] or [N, T, F] and y [N] (and X_test, y_test if the file
                             has its own test split)

A file without its own test split is split per class (20% test, seed 0). Labels are kept as the
file writes them (class names, sorted -> ids 0..K-1).

Sequences of different lengths (aeon's JapaneseVowels; a CSV row that ends in empty cells; an npz
X whose rows end in NaN) load as a RaggedSet: zero-padded at the end to the longest sequence of
either split, with each one's length, which the model turns into a mask (padding is never read as
data). Empty or NaN cells anywhere but at the end of a sequence are refused, naming the line.
No TensorFlow here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from zoo.data import ArraySet, RaggedSet
from zoo.errors import DataError, UnknownNameError

TEST_FRACTION = 0.2
SCHEMES = ("aeon", "csv", "npz")


def check_name(name, label="label"):
    """Refuse, without loading anything heavy, a name that cannot load."""
    scheme, _, arg = str(name).partition(":")
    if scheme not in SCHEMES or not arg:
        raise UnknownNameError(
            f"unknown sequence dataset '{name}'; give aeon:NAME (a UCR/UEA set inside aeon, e.g. aeon:GunPoint), "
            "csv:FILE (one row per sequence, a label column) or npz:FILE (arrays X and y)"
        )
    if scheme == "aeon":
        return
    path = Path(arg).expanduser()
    if not path.is_file():
        raise DataError(f"{scheme.upper()} file {path} does not exist or is not a file")
    if scheme == "csv":
        from zoo.sequence.table import header

        names = header(path)
        if label not in names:
            raise DataError(f"--label {label}: {path.name} has no column '{label}'; its columns: {', '.join(names)}")


def _aeon(name):
    try:
        from aeon.datasets import load_classification
    except ImportError:  # pragma: no cover - a dependency
        raise DataError("aeon is not installed: pip install aeon") from None
    import aeon

    folder = Path(aeon.__file__).parent / "datasets" / "data" / name
    if not folder.is_dir():
        shipped = sorted(
            p.name
            for p in (Path(aeon.__file__).parent / "datasets" / "data").iterdir()
            if (p / f"{p.name}_TRAIN.ts").is_file()
        )
        raise UnknownNameError(
            f"aeon:{name} does not ship inside aeon (no download here); offline: {', '.join(shipped)}"
        )
    parts = {}
    for split in ("train", "test"):
        X, y = load_classification(name, split=split, extract_path=str(folder.parent))
        if isinstance(X, list):  # unequal lengths: one [channels, T_i] array per sequence
            sequences = [np.asarray(x, np.float64).T for x in X]
        else:
            sequences = np.transpose(np.asarray(X, np.float64), (0, 2, 1))
        parts[split] = (sequences, np.asarray(y).astype(str))
    description = f"UCR/UEA {name} (inside aeon {aeon.__version__}): the archive's own train/test split"
    return parts, description


def _csv(path, label):
    import pandas as pd

    frame = pd.read_csv(path)
    if label not in frame.columns:
        raise DataError(
            f"--label {label}: {path.name} has no column '{label}'; its columns: {', '.join(frame.columns)}"
        )
    labels = frame[label].astype(str).to_numpy()
    steps = frame.drop(columns=label)
    if steps.shape[1] < 2:
        raise DataError(f"{path.name}: one row per sequence needs at least 2 value columns beside '{label}'")
    from zoo.sequence.table import numeric_columns

    empty = steps.isna().to_numpy()  # empty cells: a shorter sequence where they end the row
    lengths = _lengths(empty, lambda row: f"{path.name} line {row + 2}")
    values = numeric_columns(steps.fillna(0), steps.columns, path)  # any other non-number is refused
    if (lengths == values.shape[1]).all():
        return {"all": (values[..., None], labels)}, f"{path.name}: one row per sequence"
    sequences = [values[i, :n, None] for i, n in enumerate(lengths)]
    return {"all": (sequences, labels)}, f"{path.name}: one row per sequence, rows ending in empty cells shorter"


def _lengths(missing, where):
    """Each row's length where `missing` [N, T] marks the cells after its end; a gap inside a row
    (a missing cell before a present one) or a row of fewer than 2 values is refused."""
    present = ~missing
    lengths = present.sum(axis=1)
    inside = present[:, ::-1].cumsum(axis=1)[:, ::-1] > 0  # a value at this step or later
    gaps = np.argwhere(missing & inside)
    if len(gaps):
        row, step = gaps[0]
        raise DataError(
            f"{where(row)}: step {step + 1} is empty but later steps are not (only a sequence's end may be)"
        )
    short = np.flatnonzero(lengths < 2)
    if len(short):
        raise DataError(f"{where(short[0])}: a sequence needs at least 2 values, this one has {lengths[short[0]]}")
    return lengths


def _npz(path):
    try:
        arrays = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as exc:
        raise DataError(f"{path.name} is not a NumPy .npz file ({exc})") from None
    if "X" not in arrays or "y" not in arrays:
        raise DataError(f"{path.name} must hold arrays X and y; it holds {', '.join(arrays.files) or 'nothing'}")

    def pair(x, y):
        key, x = x, np.asarray(arrays[x], np.float64)
        x = x[..., None] if x.ndim == 2 else x
        if x.ndim != 3 or len(x) != len(arrays[y]):
            raise DataError(f"{path.name}: X must be [N, T] or [N, T, F] with one label per row in y")
        if np.isinf(x).any():
            raise DataError(f"{path.name}: {key} holds infinite values")
        labels = np.asarray(arrays[y]).astype(str)
        missing = np.isnan(x)
        if not missing.any():
            return x, labels
        if (missing.any(axis=2) != missing.all(axis=2)).any():
            raise DataError(f"{path.name}: {key} has steps where some channels are NaN and others not")
        lengths = _lengths(missing.all(axis=2), lambda row: f"{path.name}: {key} row {row}")
        return [x[i, :n] for i, n in enumerate(lengths)], labels  # NaN ending a row: a shorter sequence

    if "X_test" in arrays and "y_test" in arrays:
        return {"train": pair("X", "y"), "test": pair("X_test", "y_test")}, f"{path.name}: its own test split"
    return {"all": pair("X", "y")}, f"{path.name}"


def _stratified(x, y, seed=0):
    rng = np.random.default_rng(seed)
    test = np.zeros(len(y), bool)
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        test[idx[: max(1, int(round(len(idx) * TEST_FRACTION)))]] = True

    def rows(mask):
        return x[mask] if isinstance(x, np.ndarray) else [x[i] for i in np.flatnonzero(mask)]

    return {"train": (rows(~test), y[~test]), "test": (rows(test), y[test])}


def load_labelled(name, split, label="label"):
    """ArraySet of float32 sequences [N, T, F] and int32 labels for `split` ("train" or "test");
    `info` holds the class names and where the split comes from."""
    if split not in ("train", "test"):
        raise UnknownNameError(f"unknown split '{split}'; choose train or test")
    check_name(name, label)
    scheme, _, arg = name.partition(":")
    if scheme == "aeon":
        parts, description = _aeon(arg)
    else:
        path = Path(arg).expanduser().resolve()
        parts, description = _csv(path, label) if scheme == "csv" else _npz(path)
        name = f"{scheme}:{path}"
    split_note = "the file's own split"
    if "all" in parts:
        parts = _stratified(*parts["all"])
        split_note = f"per class, {TEST_FRACTION:.0%} test, seed 0"
    if scheme == "aeon":
        split_note = "the archive's published split"
    classes = sorted({str(c) for c in parts["train"][1]} | {str(c) for c in parts["test"][1]})
    if len(classes) < 2:
        raise DataError(f"{name} has one class ({classes[0] if classes else 'none'}): nothing to classify")
    ragged = any(isinstance(parts[s][0], list) for s in parts)
    if ragged:
        features = {x.shape[1] for s in parts for x in parts[s][0]}
        if len(features) > 1:
            raise DataError(f"{name}: sequences have different numbers of channels ({sorted(features)})")
    else:
        shapes = {s: parts[s][0].shape[1:] for s in parts}
        if shapes["train"] != shapes["test"]:
            raise DataError(f"{name}: train sequences are {shapes['train']} but test ones {shapes['test']}")
    x, y = parts[split]
    if len(x) == 0:
        raise DataError(f"{name} has no {split} sequences")
    ids = np.array([classes.index(c) for c in y], np.int32)
    if ragged:
        every = [len(seq) for s in parts for seq in parts[s][0]]
        steps, features = max(every), x[0].shape[1]
        lengths = np.array([len(seq) for seq in x], np.int32)
        padded = np.zeros((len(x), steps, features), np.float32)
        for i, seq in enumerate(x):
            padded[i, : len(seq)] = seq
        x = padded
    else:
        steps, features = x.shape[1:]
    info = {
        "class_names": classes,
        "steps": int(steps),
        "features": int(features),
        "description": description,
        "split": split_note,
        "examples_train": int(len(parts["train"][1])),
        "examples_test": int(len(parts["test"][1])),
        "recipe": {"class_names": classes, "label": label} if scheme == "csv" else {"class_names": classes},
    }
    if scheme != "aeon":
        from zoo.sequence.table import sha256_of

        info["recipe"].update(path=str(path), sha256=sha256_of(path))
    if ragged:
        info.update(variable_length=True, min_length=int(min(every)), max_length=int(max(every)))
        info["recipe"].update(variable_length=True, padding="zeros at the end, to the longest sequence; masked")
        return RaggedSet(name, split, x, ids, info, lengths)
    return ArraySet(name, split, x.astype(np.float32), ids, info)


def check_unchanged(recipe):
    """A model reading its training file back refuses one whose contents changed."""
    if recipe and recipe.get("sha256"):
        from zoo.sequence.table import sha256_of

        path = Path(recipe["path"])
        if not path.is_file():
            raise DataError(f"the training file {path} is gone")
        if sha256_of(path) != recipe["sha256"]:
            raise DataError(f"{path} changed since the model was trained")
