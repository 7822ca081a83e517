"""The classifiers a time-series user would try instead of a recurrent network, fitted on the same
training split and scored on the same test split (aeon's implementations; no TensorFlow here):

    1-NN Euclidean    the nearest training sequence, point by point
    1-NN DTW          the nearest under dynamic time warping (full window): the UCR archive's reference
    ROCKET            10,000 random convolution kernels + a ridge classifier (Dempster et al. 2020), seed 0

Each sequence is z-normalised per channel over time first where the network does so inside itself
(its `instance_norm`, the default), else the baselines read raw values too.
"""

from __future__ import annotations

import time

import numpy as np

RAW = "raw values (as the network, trained without instance normalisation, reads them)"
PROTOCOL = (
    "aeon: 1-NN Euclidean, 1-NN DTW (full window), ROCKET (10,000 kernels, ridge, seed 0); each sequence "
    "z-normalised per channel, fitted on the training split, scored on the test split"
)


def _znorm(x, normalise=True):
    x = np.asarray(x, np.float64)
    if not normalise:
        return x
    centre = x.mean(axis=1, keepdims=True)
    spread = x.std(axis=1, keepdims=True)
    return (x - centre) / np.where(spread > 0, spread, 1.0)


def classification_baselines(train_x, train_y, test_x, test_y, normalise=True):
    """{"nn_euclidean": {...}, "nn_dtw": {...}, "rocket": {...}, "baselines_protocol": ...}: each test
    accuracy and its fit+predict seconds; a baseline aeon cannot run says why instead."""
    try:
        from aeon.classification.convolution_based import RocketClassifier
        from aeon.classification.distance_based import KNeighborsTimeSeriesClassifier
    except ImportError as exc:  # pragma: no cover - a dependency
        return {"baselines_protocol": f"not measured: aeon cannot be imported ({exc})"}
    makers = {
        "nn_euclidean": lambda: KNeighborsTimeSeriesClassifier(n_neighbors=1, distance="euclidean"),
        "nn_dtw": lambda: KNeighborsTimeSeriesClassifier(n_neighbors=1, distance="dtw"),
        "rocket": lambda: RocketClassifier(n_kernels=10_000, random_state=0, n_jobs=1),
    }
    result = {}
    if isinstance(train_x, list):  # sequences of different lengths ([T_i, F] each)
        return _unequal_lengths(makers, train_x, train_y, test_x, test_y, normalise)
    # aeon reads [N, channels, T]
    train, test = (np.transpose(_znorm(x, normalise), (0, 2, 1)) for x in (train_x, test_x))
    for name, make in makers.items():
        start = time.perf_counter()
        predicted = make().fit(train, np.asarray(train_y)).predict(test)
        result[name] = {
            "test_accuracy": float(np.mean(predicted == np.asarray(test_y))),
            "seconds": round(time.perf_counter() - start, 2),
        }
    raw = PROTOCOL.replace("each sequence z-normalised per channel", f"sequences read as {RAW}")
    result["baselines_protocol"] = PROTOCOL if normalise else raw
    return result


UNEQUAL_PROTOCOL = (
    "aeon, on sequences of different lengths, each z-normalised per channel over its own steps: 1-NN DTW "
    "(full window) on the sequences as they are; ROCKET (10,000 kernels, ridge, seed 0) on them zero-padded at "
    "the end to the longest (ROCKET needs one length); 1-NN Euclidean not measured (it needs one length)"
)


def _unequal_lengths(makers, train_x, train_y, test_x, test_y, normalise=True):
    """The baselines that can read sequences of different lengths: DTW as they are, ROCKET padded."""
    train = [_znorm(x[None], normalise)[0].T for x in train_x]  # aeon reads a list of [channels, T_i]
    test = [_znorm(x[None], normalise)[0].T for x in test_x]
    longest = max(x.shape[1] for x in train + test)

    def padded(xs):
        out = np.zeros((len(xs), xs[0].shape[0], longest))
        for i, x in enumerate(xs):
            out[i, :, : x.shape[1]] = x
        return out

    result = {"nn_euclidean": {"not_measured": "1-NN Euclidean needs sequences of one length"}}
    for name, (fit_on, predict_on) in {"nn_dtw": (train, test), "rocket": (padded(train), padded(test))}.items():
        start = time.perf_counter()
        predicted = makers[name]().fit(fit_on, np.asarray(train_y)).predict(predict_on)
        result[name] = {
            "test_accuracy": float(np.mean(predicted == np.asarray(test_y))),
            "seconds": round(time.perf_counter() - start, 2),
        }
    protocol = (
        UNEQUAL_PROTOCOL
        if normalise
        else UNEQUAL_PROTOCOL.replace("each z-normalised per channel over its own steps", f"read as {RAW}")
    )
    result["baselines_protocol"] = protocol
    return result
