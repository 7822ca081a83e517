"""The classifiers a time-series user would try instead of a recurrent network, fitted on the same
training split and scored on the same test split (aeon's implementations; no TensorFlow here):

    1-NN Euclidean    the nearest training sequence, point by point
    1-NN DTW          the nearest under dynamic time warping (full window): the UCR archive's reference
    ROCKET            10,000 random convolution kernels + a ridge classifier (Dempster et al. 2020), seed 0

Each sequence is z-normalised per channel over time first, as the network does inside itself.
"""

from __future__ import annotations

import time

import numpy as np

PROTOCOL = (
    "aeon: 1-NN Euclidean, 1-NN DTW (full window), ROCKET (10,000 kernels, ridge, seed 0); each sequence "
    "z-normalised per channel, fitted on the training split, scored on the test split"
)


def _znorm(x):
    x = np.asarray(x, np.float64)
    centre = x.mean(axis=1, keepdims=True)
    spread = x.std(axis=1, keepdims=True)
    return (x - centre) / np.where(spread > 0, spread, 1.0)


def classification_baselines(train_x, train_y, test_x, test_y):
    """{"nn_euclidean": {...}, "nn_dtw": {...}, "rocket": {...}, "baselines_protocol": ...}: each test
    accuracy and its fit+predict seconds; a baseline aeon cannot run says why instead."""
    try:
        from aeon.classification.convolution_based import RocketClassifier
        from aeon.classification.distance_based import KNeighborsTimeSeriesClassifier
    except ImportError as exc:  # pragma: no cover - a dependency
        return {"baselines_protocol": f"not measured: aeon cannot be imported ({exc})"}
    # aeon reads [N, channels, T]
    train, test = (np.transpose(_znorm(x), (0, 2, 1)) for x in (train_x, test_x))
    makers = {
        "nn_euclidean": lambda: KNeighborsTimeSeriesClassifier(n_neighbors=1, distance="euclidean"),
        "nn_dtw": lambda: KNeighborsTimeSeriesClassifier(n_neighbors=1, distance="dtw"),
        "rocket": lambda: RocketClassifier(n_kernels=10_000, random_state=0, n_jobs=1),
    }
    result = {}
    for name, make in makers.items():
        start = time.perf_counter()
        predicted = make().fit(train, np.asarray(train_y)).predict(test)
        result[name] = {
            "test_accuracy": float(np.mean(predicted == np.asarray(test_y))),
            "seconds": round(time.perf_counter() - start, 2),
        }
    result["baselines_protocol"] = PROTOCOL
    return result
