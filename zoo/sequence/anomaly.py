"""Anomalies in a series: a recurrent autoencoder of windows, trained on a normal stretch, scores
each window by its reconstruction error; a point's score is the mean score of the windows that
cover it.

    windows [N, W, F] -> encoder (cell x depth) -> code -> repeated W times -> decoder cell -> [N, W, F]

Series (`--dataset`):
    aeon:KDD-TSAD_135   the SIGKDD 2021 / UCR anomaly archive series 135 (heart rate, internal
                        bleeding) inside aeon's wheel: a normal training part (1,200 points) and a
                        labelled test series (7,501 points, one anomaly of 12 points)
    csv:FILE            a TimeEval-style table (`--target` value column(s), comma-separated, and
                        `--label` the 0/1 anomaly column): the first `TRAIN_FRACTION` of the rows is
                        the training part and must be labelled normal; the whole file is scored

Scored on the test series against its labels: ROC AUC and the best F1 over thresholds (per point),
and the UCR archive's hit (does the highest score fall within the anomaly, widened by 100 points
each side?), beside three classical detectors on the same windows (`classical_detectors`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from zoo.data import ArraySet
from zoo.errors import DataError, InputError, UnknownNameError

TRAIN_FRACTION = 0.2  # of a CSV's rows: the normal training stretch
UCR_MARGIN = 100  # points either side of the anomaly that still count as a hit (the archive's rule)
SETS = {"KDD-TSAD_135": "135_UCR_Anomaly_InternalBleeding16"}


def check_name(name, target="value", label="is_anomaly"):
    """Refuse, before TensorFlow loads, a name that cannot load."""
    scheme, _, arg = str(name).partition(":")
    if scheme == "aeon":
        if arg not in SETS:
            raise UnknownNameError(
                f"unknown anomaly series '{arg}'; aeon ships {', '.join(SETS)} with labels (its Daphnet excerpt has "
                "no labelled anomaly)"
            )
        return
    if scheme != "csv" or not arg:
        raise UnknownNameError(
            f"unknown anomaly series '{name}'; give aeon:KDD-TSAD_135 or csv:FILE (a value and a 0/1 label column)"
        )
    from zoo.sequence.table import header

    path = Path(arg).expanduser()
    names = header(path)
    for flag, columns in (("--target", target.split(",")), ("--label", [label])):
        for column in columns:
            if column not in names:
                raise DataError(
                    f"{flag} {column}: {path.name} has no column '{column}'; its columns: {', '.join(names)}"
                )


def read_series(name, target="value", label="is_anomaly"):
    """(train [T1, F], test [T2, F], test labels [T2] of 0/1, description, facts) of a named series."""
    check_name(name, target, label)
    scheme, _, arg = str(name).partition(":")
    if scheme == "aeon":
        import aeon

        folder = Path(aeon.__file__).parent / "datasets" / "data" / arg
        stem = SETS[arg]
        train = _timeeval(folder / f"{stem}_TRAIN.csv", "value", "is_anomaly")
        test = _timeeval(folder / f"{stem}_TEST.csv", "value", "is_anomaly")
        description = (
            f"{arg} ({stem}, the UCR anomaly archive of SIGKDD 2021, inside aeon's wheel): the normal training file "
            f"and the labelled test file"
        )
        return train[0], test[0], test[1], description, {}
    from zoo.sequence.table import sha256_of

    path = Path(arg).expanduser().resolve()
    values, labels = _timeeval(path, target, label)
    cut = int(len(values) * TRAIN_FRACTION)
    if labels[:cut].any():
        first = int(np.argmax(labels[:cut]))
        raise DataError(
            f"{path.name}: the training part (the first {TRAIN_FRACTION:.0%} of the rows, up to line {cut + 1}) must "
            f"be normal, but line {first + 2} is labelled anomalous"
        )
    description = f"{path.name}: trained on its first {TRAIN_FRACTION:.0%} ({cut} rows), scored on all {len(values)}"
    return values[:cut], values, labels, description, {"path": str(path), "sha256": sha256_of(path)}


def _timeeval(path, target, label):
    """(values [T, F], labels [T]) of a CSV; a non-numeric or empty cell and a label other than 0/1
    are refused naming the line."""
    import pandas as pd

    try:
        frame = pd.read_csv(path)
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise DataError(f"{path} is not a readable CSV file ({type(exc).__name__})") from None
    from zoo.sequence.table import numeric_columns

    values = numeric_columns(frame, target.split(","), path)
    labels = pd.to_numeric(frame[label], errors="coerce").to_numpy()
    odd = ~np.isin(labels, (0, 1))
    if odd.any():
        row = int(np.argmax(odd))
        raise DataError(
            f"{path.name} line {row + 2}: label column '{label}' holds '{frame[label].iat[row]}', not 0 or 1"
        )
    if len(values) < 10:
        raise DataError(f"{path.name} has {len(values)} rows: too short to window")
    return values, labels.astype(np.int8)


def windows(values, window):
    """All `window`-long windows of `values` [T, F], stride 1: [T - window + 1, window, F]."""
    values = np.asarray(values)
    if len(values) < window:
        raise InputError(f"a series of {len(values)} points is shorter than the window of {window}")
    return np.lib.stride_tricks.sliding_window_view(values, window, axis=0).transpose(0, 2, 1)


def point_scores(window_scores, window):
    """Per-point scores [T] from per-window scores [T - W + 1]: the mean over the windows that cover
    each point ("reverse windowing", as TimeEval does)."""
    window_scores = np.asarray(window_scores, np.float64)
    total = len(window_scores) + window - 1
    sums = np.convolve(window_scores, np.ones(window))[:total]
    counts = np.convolve(np.ones(len(window_scores)), np.ones(window))[:total]
    return sums / counts


def load_windows(name, split, window, target="value", label="is_anomaly", sha256=None):
    """ArraySet of scaled windows: "train" the training part's windows (inputs = targets, an
    autoencoder's), "test" the test series' windows; `info` holds the raw series, labels, scaling."""
    if split not in ("train", "test"):
        raise UnknownNameError(f"unknown split '{split}'; choose train or test")
    train, test, labels, description, facts = read_series(name, target, label)
    if sha256 and facts.get("sha256") != sha256:
        raise DataError(f"{facts.get('path', name)} changed since the model was trained on it")
    if len(train) < 2 * window:
        raise DataError(f"{name}: the training part has {len(train)} points, too few for windows of {window}")
    means, stds = train.mean(axis=0), train.std(axis=0)
    stds = np.where(stds > 0, stds, 1.0)
    raw = train if split == "train" else test
    scaled = windows(((raw - means) / stds).astype(np.float32), window)
    if facts:
        name = f"csv:{facts['path']}"
    info = {
        "series": raw,
        "labels": None if split == "train" else labels,
        "features": int(train.shape[1]),
        "description": description,
        "train_points": int(len(train)),
        "test_points": int(len(test)),
        "recipe": {
            **facts,
            "means": [float(m) for m in means],
            "stds": [float(s) for s in stds],
            **({"columns": {"target": target, "label": label}} if facts else {}),
        },
    }
    return ArraySet(name, split, scaled, scaled, info)


# --- scoring --------------------------------------------------------------------------------------
def detection_metrics(scores, labels):
    """ROC AUC and best F1 (over every threshold) of per-point `scores` against 0/1 `labels`, and the
    UCR archive's hit: the highest score within the anomaly widened by max(100, its length) points."""
    from sklearn.metrics import precision_recall_curve, roc_auc_score

    scores, labels = np.asarray(scores, np.float64), np.asarray(labels)
    precision, recall, _ = precision_recall_curve(labels, scores)
    f1 = np.where(precision + recall > 0, 2 * precision * recall / np.maximum(precision + recall, 1e-12), 0.0)
    where = np.flatnonzero(labels)
    margin = max(UCR_MARGIN, int(where[-1] - where[0] + 1))
    top = int(np.argmax(scores))
    return {
        "auc_roc": float(roc_auc_score(labels, scores)),
        "best_f1": float(f1.max()),
        "ucr_hit": bool(where[0] - margin <= top <= where[-1] + margin),
        "top_point": top,
    }


def classical_detectors(train, test, window, seed=0):
    """Per-point scores [T] of the test series from the detectors one would try first, on the same
    windows: a rolling z-score (each point against the mean and std of the `window` points before
    it), an isolation forest fitted on the training windows (scikit-learn, 200 trees), and the
    matrix-profile discord (aeon's STOMP: each window's distance to its nearest non-overlapping
    neighbour in the test series)."""
    import pandas as pd
    from sklearn.ensemble import IsolationForest

    train, test = np.asarray(train, np.float64), np.asarray(test, np.float64)
    means, stds = train.mean(axis=0), np.where(train.std(axis=0) > 0, train.std(axis=0), 1.0)
    scaled_train, scaled_test = (train - means) / stds, (test - means) / stds
    frame = pd.DataFrame(scaled_test)
    rolling = frame.rolling(window, min_periods=2)
    z = ((frame - rolling.mean().shift(1)) / rolling.std().shift(1)).abs().to_numpy()
    z = np.nan_to_num(z, nan=0.0, posinf=0.0).max(axis=1)
    forest = IsolationForest(n_estimators=200, random_state=seed)
    forest.fit(windows(scaled_train, window).reshape(-1, window * train.shape[1]))
    isolation = -forest.score_samples(windows(scaled_test, window).reshape(-1, window * test.shape[1]))
    result = {"rolling_zscore": z, "isolation_forest": point_scores(isolation, window)}
    if test.shape[1] == 1:
        result["matrix_profile_discord"] = point_scores(matrix_profile(scaled_test[:, 0], window), window)
    return result


def matrix_profile(values, window, block=1024):
    """The matrix profile of a univariate series (Yeh et al. 2016): for each window, the z-normalised
    Euclidean distance to its nearest neighbour among the windows that do not overlap it by more than
    a quarter (the usual exclusion zone). The largest value is the series' top discord. Exact, by
    blocks of the correlation matrix (O(n^2 W) work, O(block * n) memory)."""
    subsequences = windows(np.asarray(values, np.float64)[:, None], window)[..., 0]
    centred = subsequences - subsequences.mean(axis=1, keepdims=True)
    norms = np.linalg.norm(centred, axis=1, keepdims=True)
    unit = np.divide(centred, norms, out=np.zeros_like(centred), where=norms > 1e-12)
    n, zone = len(unit), max(1, window // 4)
    profile = np.empty(n)
    for start in range(0, n, block):
        stop = min(n, start + block)
        correlation = unit[start:stop] @ unit.T
        rows = np.arange(start, stop)[:, None]
        correlation[np.abs(rows - np.arange(n)[None]) < zone] = -np.inf  # trivial matches excluded
        profile[start:stop] = np.sqrt(np.maximum(2 * window * (1 - correlation.max(axis=1)), 0.0))
    return profile
