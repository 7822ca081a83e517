"""The series autoencoder: windows of a series in, their reconstruction out; the reconstruction
error is the anomaly score (`zoo.sequence.anomaly` has the data, the scoring and the baselines).

    windows [N, W, F] (scaled) -> encoder: recurrent stack -> last state -> repeated W times
                               -> decoder: one recurrent layer (sequences) -> Dense(F) per step

Trained on a normal stretch only (the semi-supervised setting of the UCR anomaly archive). The
threshold is the 99th percentile of the training series' point scores (`calibrate_on`); scores and the
threshold are in the scaled units (per-feature mean and std of the training part).
"""

from __future__ import annotations

import zoo._tensorflow  # noqa: F401  (TensorFlow, loaded quietly)

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from zoo import checks
from zoo.errors import InputError
from zoo.registry import register_architecture
from zoo.sequence import anomaly
from zoo.sequence.base import SequenceModel
from zoo.serving.endpoints import Endpoint, Input

THRESHOLD_PERCENTILE = 99.0


@register_architecture("series-autoencoder")
class SeriesAutoencoder(SequenceModel):
    vis_kinds = ("anomalies", "curves")
    return_sequences = False
    task_metric_names = ()
    litert_variants = ("float16",)
    litert_variants_note = "dynamic-range and int8 files are not offered: the score is a small reconstruction error"

    def __init__(self, window=64, features=1, **kwargs):
        self.window, self.features = int(window), int(features)
        if self.window < 2 or self.features < 1:
            raise InputError(f"window must be at least 2 and features at least 1, got {window}, {features}")
        super().__init__(**kwargs)
        self.anomaly_threshold = self.add_weight(
            shape=(), initializer=keras.initializers.Constant(np.inf), trainable=False, name="anomaly_threshold"
        )

    def get_config(self):
        return {**super().get_config(), "window": self.window, "features": self.features}

    @property
    def mobile_length(self):
        return self.window

    def input_layers(self):
        return [keras.Input((self.window, self.features))]

    def head(self):
        kind = layers.GRU if self.cell == "gru" else layers.LSTM
        return [
            layers.RepeatVector(self.window, name="repeat"),
            kind(self.units, return_sequences=True, unroll=self.unroll, name="decoder"),
            layers.Dense(self.features, name="reconstruction"),
        ]

    def per_example_loss(self, targets, outputs):
        return tf.reduce_mean(tf.square(targets - outputs), axis=[1, 2])

    def task_metrics(self, targets, outputs):
        return {}

    # --- the run's scaling (its recipe, not the architecture) ---------------------------------------
    @property
    def means(self):
        return np.asarray((self.recipe or {}).get("means", [0.0] * self.features), np.float32)

    @property
    def stds(self):
        return np.asarray((self.recipe or {}).get("stds", [1.0] * self.features), np.float32)

    @property
    def threshold(self):
        return float(self.anomaly_threshold.numpy())

    def endpoints(self):
        spec = Input((None, self.window, self.features), "float32", example=self._example)

        def scaled(windows):
            return (windows - self.means) / self.stds

        def anomaly_score(windows):
            x = scaled(windows)
            score = tf.reduce_mean(tf.square(x - self(x)), axis=[1, 2])
            return {"score": score, "is_anomaly": tf.cast(score > self.anomaly_threshold, tf.int32)}

        def reconstruct(windows):
            return {"reconstruction": self(scaled(windows)) * self.stds + self.means}

        return {
            "anomaly_score": Endpoint(
                "anomaly_score",
                anomaly_score,
                {"windows": spec},
                doc=f"windows [N, {self.window}, {self.features}] of the series (raw values) -> reconstruction MSE "
                "in training-scaled units, and 1 where it exceeds the calibrated threshold",
                outputs=("score", "is_anomaly"),
            ),
            "reconstruct": Endpoint(
                "reconstruct",
                reconstruct,
                {"windows": spec},
                doc="windows (raw values) -> their reconstruction (raw values)",
                outputs=("reconstruction",),
            ),
        }

    def _example(self, rng, shape):
        return self.means + self.stds * rng.standard_normal((shape[0], self.window, self.features))

    # --- NumPy API ---------------------------------------------------------------------------------
    api = ("anomaly_score", "point_scores", "detect")

    def _series(self, series):
        series = checks.array(series, "series")
        if series.ndim == 1 and self.features == 1:
            series = series[:, None]
        if series.ndim != 2 or series.shape[1] != self.features:
            raise InputError(f"series must be [T] or [T, {self.features}] values, got shape {list(series.shape)}")
        if len(series) < self.window:
            raise InputError(f"a series of {len(series)} points is shorter than the model's window of {self.window}")
        return series

    def anomaly_score(self, windows):
        """Reconstruction MSE `[N]` of windows `[N, window, features]` (raw values)."""
        return self.endpoint("anomaly_score").batched(windows=windows)["score"]

    def point_scores(self, series):
        """Per-point scores `[T]` of a series `[T]` or `[T, F]`: every window (stride 1) scored, each
        point given the mean score of the windows that cover it."""
        series = self._series(series)
        return anomaly.point_scores(self.anomaly_score(anomaly.windows(series, self.window)), self.window)

    def detect(self, series):
        """Boolean `[T]`: the points whose score exceeds the calibrated threshold."""
        return self.point_scores(series) > self.threshold

    # --- data, calibration, figures ----------------------------------------------------------------
    def data(self, split):
        recipe = self.recipe or {}
        columns = recipe.get("columns") or {}
        return anomaly.load_windows(
            recipe["dataset"],
            split,
            self.window,
            columns.get("target", "value"),
            columns.get("label", "is_anomaly"),
            sha256=recipe.get("sha256"),
        )

    def calibration_inputs(self, n=64):
        if self.recipe is None:
            return {}
        windows = self.data("train").info["series"]
        sample = anomaly.windows(windows, self.window)[:n].astype(np.float32)
        return {"anomaly_score": {"windows": sample}, "reconstruct": {"windows": sample}}

    def calibrate_on(self, test_set):
        """The threshold: the 99th percentile of the training series' point scores (normal data only;
        the labelled test series is never used to set it). Point scores average windows, so they are
        smaller than the largest window scores: `detect` compares points with a points' threshold."""
        train = self.data("train").info["series"]
        self.anomaly_threshold.assign(float(np.percentile(self.point_scores(train), THRESHOLD_PERCENTILE)))

    def held_out_metrics(self, test_set):
        series, labels = test_set.info["series"], test_set.info["labels"]
        train = self.data("train").info["series"]
        mine = self.point_scores(series)
        flagged = mine > self.threshold
        result = {
            "model": anomaly.detection_metrics(mine, labels),
            "threshold": self.threshold,
            "points_flagged": int(flagged.sum()),
            "anomalous_points_flagged": int(flagged[labels == 1].sum()),
            "test_points": int(len(labels)),
            "anomalous_points": int(labels.sum()),
            "protocol": f"{test_set.info['description']}; windows of {self.window}, stride 1, a point's score the "
            "mean of its windows'; AUC and best F1 per point; ucr_hit: the top score within the anomaly "
            f"+/- max({anomaly.UCR_MARGIN}, its length); threshold: the {THRESHOLD_PERCENTILE:g}th percentile of "
            "the training series' point scores",
        }
        for name, scores in anomaly.classical_detectors(train, series, self.window).items():
            result[name] = anomaly.detection_metrics(scores, labels)
        return result
