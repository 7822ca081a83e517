"""Multi-step forecasting of a real time series (many-to-one: a window of history -> the next
`horizon` values at once), with the naive and seasonal-naive forecasts it has to beat.

Data: yearly sunspot numbers 1700-2008 (`sunspots`, period ~11 years) or monthly Mauna Loa CO2
1958-2001 (`co2`, period 12), both bundled with statsmodels. Time split: the first
`train_fraction` of the series trains; forecasts are scored from every origin in the rest
(rolling origin, the history before each origin is known). Scaling (mean, std) comes from the
training part only and is stored in the config; endpoints take and return the series' own units.
"""

from __future__ import annotations

import zoo._tensorflow  # noqa: F401  (TensorFlow, loaded quietly)

import keras
import numpy as np
import tensorflow as tf

from zoo import checks
from zoo.data import ArraySet
from zoo.errors import InputError, UnknownNameError, did_you_mean
from zoo.registry import register_architecture
from zoo.sequence.base import SequenceModel
from zoo.serving.endpoints import Endpoint, Input


def _sunspots():
    from statsmodels.datasets import sunspots

    frame = sunspots.load_pandas().data
    return frame["SUNACTIVITY"].to_numpy(np.float64), 11, "yearly sunspot numbers 1700-2008 (statsmodels)"


def _co2():
    from statsmodels.datasets import co2

    weekly = co2.load_pandas().data["co2"]
    monthly = weekly.resample("MS").mean().interpolate()
    return (
        monthly.to_numpy(np.float64),
        12,
        "monthly mean Mauna Loa CO2 (ppm) 1958-2001, weekly readings averaged, gaps interpolated (statsmodels)",
    )


SERIES = {"sunspots": _sunspots, "co2": _co2}


def load_series(name):
    """(values float64 [T], seasonal period, description) of a bundled series."""
    if name not in SERIES:
        raise UnknownNameError(
            f"unknown series '{name}'{did_you_mean(name, SERIES)}; bundled series: {', '.join(sorted(SERIES))}"
        )
    return SERIES[name]()


def windows(values, window, horizon, start, stop):
    """Every (history [window], future [horizon]) pair whose future starts at an origin in [start, stop]."""
    origins = range(max(start, window), stop + 1)
    inputs = np.stack([values[t - window : t] for t in origins])
    targets = np.stack([values[t : t + horizon] for t in origins])
    return inputs, targets, np.asarray(list(origins))


def load_forecasting(name, split, window, horizon, train_fraction=0.8):
    """ArraySet of scaled (history [window, 1], future [horizon]) pairs: training windows lie wholly
    in the training part; test windows start at every origin after it. `info` holds the series,
    the split point, the scaling and the period."""
    values, period, description = load_series(name)
    train_end = int(round(len(values) * train_fraction))
    if train_end - window - horizon < 8 or len(values) - train_end < horizon:
        raise InputError(
            f"series '{name}' ({len(values)} values) is too short for window {window} and horizon {horizon}"
        )
    mean, std = float(values[:train_end].mean()), float(values[:train_end].std())
    if split == "train":
        inputs, targets, _ = windows(values, window, horizon, window, train_end - horizon)
    else:
        inputs, targets, _ = windows(values, window, horizon, train_end, len(values) - horizon)
    info = {
        "values": values,
        "train_end": train_end,
        "train_fraction": float(train_fraction),
        "period": period,
        "mean": mean,
        "std": std,
        "description": description,
    }
    scale = lambda x: ((x - mean) / std).astype(np.float32)  # noqa: E731
    return ArraySet(name, split, scale(inputs)[..., None], scale(targets), info)


def pinball(targets, outputs, levels):
    """Per-level pinball (quantile) loss [N, H, Q] of `outputs` [N, H, Q] for `targets` [N, H]."""
    diff = targets[..., None] - outputs
    tau = tf.constant(levels, outputs.dtype)
    return tf.maximum(tau * diff, (tau - 1.0) * diff)


def errors(forecasts, actual):
    diff = np.asarray(forecasts, np.float64) - np.asarray(actual, np.float64)
    return {"mae": float(np.mean(np.abs(diff))), "rmse": float(np.sqrt(np.mean(diff**2)))}


@register_architecture("forecaster")
class Forecaster(SequenceModel):
    """history `[N, T, 1]` (T >= window, any length) -> the next `horizon` values `[N, horizon]`."""

    task_metric_names = ("mae_scaled",)

    def __init__(self, window=24, horizon=10, instance_norm=True, quantiles=(), **kwargs):
        self.window, self.horizon, self.instance_norm = int(window), int(horizon), bool(instance_norm)
        self.quantiles = checks.quantiles(quantiles)
        super().__init__(**kwargs)

    # The series, its split and its scaling are the run's data recipe, not the architecture.
    def attach_recipe(self, recipe):
        if recipe and not float(recipe.get("std", 1.0)) > 0:
            raise InputError(f"scaling std must be positive, got {recipe.get('std')}")
        return super().attach_recipe(recipe)

    def _fact(self, key, default):
        return (self.recipe or {}).get(key, default)

    mean = property(lambda self: float(self._fact("mean", 0.0)), doc="training-part mean of the series (the scaling)")
    std = property(lambda self: float(self._fact("std", 1.0)), doc="training-part standard deviation (the scaling)")
    period = property(lambda self: self._fact("period", None), doc="seasonal period of the series")
    dataset = property(lambda self: self._fact("dataset", "sunspots"), doc="the bundled series")
    train_fraction = property(
        lambda self: float(self._fact("train_fraction", 0.8)), doc="share of the series in training"
    )

    def get_config(self):
        return {
            **super().get_config(),
            "window": self.window,
            "horizon": self.horizon,
            "instance_norm": self.instance_norm,
            "quantiles": list(self.quantiles),
        }

    @property
    def mobile_length(self):
        return self.window

    def input_layers(self):
        return [keras.Input((self.fixed_length, 1))]

    def head(self):
        if not self.quantiles:
            return [keras.layers.Dense(self.horizon, name="forecast")]
        q = len(self.quantiles)
        return [keras.layers.Dense(self.horizon * q, name="forecast"), keras.layers.Reshape((self.horizon, q))]

    def ordered(self, raw):
        """[N, H, Q] raw outputs -> quantiles that cannot cross: the lowest, then positive steps
        (softplus, written as log(1 + exp) so every runtime has it as builtin ops)."""
        levels = [raw[..., 0]]
        for k in range(1, len(self.quantiles)):
            levels.append(levels[-1] + tf.math.log(1.0 + tf.exp(raw[..., k])))
        return tf.stack(levels, axis=-1)

    @property
    def median_index(self):
        return self.quantiles.index(0.5)

    def call(self, history, training=False):
        """Scaled history -> scaled forecast. With instance_norm (RevIN, Kim et al. 2022), each window
        is centred and scaled by its own mean and std before the network and the forecast mapped back:
        a series whose level and amplitude drift beyond the training range (the sunspot cycles after
        1947 peak higher than any before) stays in the range the network was trained on."""
        history = tf.cast(history, tf.float32)  # a mixed precision policy would hand it over in bfloat16
        if not self.instance_norm:
            return self.scaled_forecast(history, training)
        centre = tf.reduce_mean(history, axis=1, keepdims=True)
        spread = tf.sqrt(tf.reduce_mean(tf.square(history - centre), axis=1, keepdims=True) + 1e-5)
        out = self.scaled_forecast((history - centre) / spread, training)
        if self.quantiles:  # [N, H, Q]: every level mapped back alike
            return out * spread + centre
        return out * spread[:, :, 0] + centre[:, :, 0]

    def scaled_forecast(self, history, training):
        out = self.network(history, training=training)
        return self.ordered(out) if self.quantiles else out

    def point(self, outputs):
        """The point forecast [N, H] in `outputs`: the median when the model forecasts quantiles."""
        return outputs[..., self.median_index] if self.quantiles else outputs

    def per_example_loss(self, targets, outputs):
        if not self.quantiles:
            return tf.reduce_mean(tf.square(targets - outputs), axis=1)
        return tf.reduce_mean(pinball(targets, outputs, self.quantiles), axis=[1, 2])

    def task_metrics(self, targets, outputs):
        return {"mae_scaled": tf.reduce_mean(tf.abs(targets - self.point(outputs)))}

    def endpoints(self):
        def forecast(history):
            scaled = (history - self.mean) / self.std
            out = self(scaled) * self.std + self.mean
            if not self.quantiles:
                return {"forecast": out}
            return {"forecast": self.point(out), "quantiles": out}

        return {
            "forecast": Endpoint(
                "forecast",
                forecast,
                {
                    "history": Input(
                        (None, self.fixed_length, 1), "float32", example=self._example, min_length=self.window
                    )
                },
                doc=f"the last T >= {self.window} values of the series [N, T, 1] -> the next {self.horizon} "
                f"values [N, {self.horizon}]"
                + (
                    f" (the median) and quantiles [N, {self.horizon}, {len(self.quantiles)}] at levels "
                    f"{', '.join(f'{q:g}' for q in self.quantiles)}"
                    if self.quantiles
                    else ""
                ),
                outputs=("forecast", "quantiles") if self.quantiles else ("forecast",),
            )
        }

    def _example(self, rng, shape):
        shape = (shape[0], self.fixed_length or self.window + 6, 1)  # a length other than the training window
        return self.mean + self.std * rng.standard_normal(shape)

    def forecast(self, history, quantiles=False):
        """The next `horizon` values after `history` ([T] one series, or [N, T] / [N, T, 1] several);
        with `quantiles=True` (a model trained with quantile levels), every level: [..., horizon, Q]."""
        if not isinstance(quantiles, (bool, np.bool_)):
            raise InputError(f"quantiles must be True or False, got {quantiles!r}")
        if quantiles and not self.quantiles:
            raise InputError("this forecaster was trained for point forecasts only (no quantile levels)")
        history = checks.array(history, "history")
        shape, single = history.shape, history.ndim == 1
        if single:
            history = history[None]
        if history.ndim == 2:
            history = history[..., None]
        if history.ndim != 3 or history.shape[-1] != 1:
            raise InputError(
                f"history must be [T], [N, T] or [N, T, 1] values of one series, got shape {list(np.shape(history))}"
            )
        if history.shape[1] < self.window:
            read_as = (
                f" (shape {list(shape)} read as {shape[0]} series of {shape[1]} values)" if len(shape) == 2 else ""
            )
            raise InputError(
                f"history of {history.shape[1]} values is too short: the model forecasts one series (1 feature) "
                f"from at least {self.window} values{read_as}"
            )
        result = self.endpoints()["forecast"].batched(history=history)["quantiles" if quantiles else "forecast"]
        return result[0] if single else result

    vis_kinds = ("forecast", "curves")
    api = ("forecast",)

    def data(self, split):
        return load_forecasting(self.dataset, split, self.window, self.horizon, self.train_fraction)

    def calibration_inputs(self, n=64):
        train = load_forecasting(self.dataset, "train", self.window, self.horizon, self.train_fraction)
        return {"forecast": {"history": (train.inputs[:n] * self.std + self.mean).astype(np.float32)}}

    def held_out_metrics(self, test_set):
        """MAE / RMSE of every forecast from every origin after the training part, against the naive
        (last value repeated) and seasonal-naive (same phase one period earlier) forecasts and the
        classical models of `zoo.sequence.classical` (each configured on the validation years)."""
        from zoo.sequence.classical import PROTOCOL, classical_forecasts

        values, train_end, period = test_set.info["values"], test_set.info["train_end"], test_set.info["period"]
        inputs, actual, origins = windows(values, self.window, self.horizon, train_end, len(values) - self.horizon)
        probabilistic = {}
        if not self.quantiles:
            ours = self.forecast(inputs)
        else:  # one pass: every level, the median among them
            levels = self.forecast(inputs, quantiles=True)  # [origins, horizon, Q]
            ours = levels[..., self.median_index]
            low, high = self.quantiles[0], self.quantiles[-1]
            inside = (actual >= levels[..., 0]) & (actual <= levels[..., -1])
            loss = np.asarray(pinball(tf.constant(actual, tf.float32), tf.constant(levels, tf.float32), self.quantiles))
            probabilistic = {
                "quantiles": {
                    "levels": list(self.quantiles),
                    "interval": f"{low:g}-{high:g} ({100 * (high - low):.0f}% nominal)",
                    "coverage": float(inside.mean()),
                    "mean_width": float(np.mean(levels[..., -1] - levels[..., 0])),
                    "pinball_per_level": [float(v) for v in loss.mean(axis=(0, 1))],
                }
            }
        naive = np.repeat(values[origins - 1][:, None], self.horizon, axis=1)
        steps = np.arange(self.horizon)
        seasonal = values[origins[:, None] - period + steps % period]
        result = {
            "protocol": f"rolling origin over the held-out {len(values) - train_end} values "
            f"({len(origins)} origins x {self.horizon} steps), "
            f"history {self.window}; scaling fitted on the first {train_end} values",
            "model": errors(ours, actual),
            "naive": errors(naive, actual),
            f"seasonal_naive_period_{period}": errors(seasonal, actual),
        }
        for name, choice in classical_forecasts(values, train_end, origins, self.horizon, period).items():
            result[name] = {**errors(choice.forecasts, actual), "config": choice.config}
        result["classical_protocol"] = PROTOCOL
        result.update(probabilistic)
        return result
