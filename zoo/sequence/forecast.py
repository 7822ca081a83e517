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
from zoo.data import Rows, RowSet
from zoo.errors import InputError, UnknownNameError, did_you_mean
from zoo.registry import register_architecture
from zoo.sequence.base import SequenceModel
from zoo.sequence.table import TABLES, led, load_table, table_columns, table_path  # noqa: F401  (TABLES: re-exported)
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
    """Every (history [window, ...], future [horizon, ...]) pair whose future starts at an origin in
    [start, stop] of `values` ([T] or [T, F])."""
    origins = range(max(start, window), stop + 1)
    inputs = np.stack([values[t - window : t] for t in origins])
    targets = np.stack([values[t : t + horizon] for t in origins])
    return inputs, targets, np.asarray(list(origins))


def _split_table(table, window, horizon, train_fraction):
    """Each series' training end: the cut is one timestamp for every series (the train_fraction
    point of all the timestamps), so no test value precedes a training one in another series."""
    stamps = np.unique(np.concatenate(table.times))
    cutoff = stamps[min(len(stamps) - 1, int(round(len(stamps) * train_fraction)))]
    ends = [int(np.searchsorted(t, cutoff)) for t in table.times]
    for name, values, end in zip(table.ids, table.series, ends):
        if end - window - horizon < 8 or len(values) - end < horizon:
            which = f"series '{name}'" if name else f"the series of {table.path}"
            raise InputError(
                f"{which} ({len(values)} values, {end} before the cut at {str(cutoff)[:19]}) is too short for "
                f"window {window} and horizon {horizon}: it needs {window + horizon + 8} before the cut and "
                f"{horizon} after"
            )
    return cutoff, ends


def load_forecasting(name, split, window, horizon, train_fraction=0.8, columns=None, sha256=None):
    """RowSet of scaled (history [window, F], future [horizon]) pairs: training windows lie wholly
    in the training part; test windows start at every origin after it. F is 1 for a bundled series,
    1 + the covariates for a table (the target first, the known-future covariates last, read
    `horizon` steps early: `led`). `info` holds the series (as in the file), the split points, the
    scaling and the period; its "recipe" part goes into the card."""
    if name in SERIES:
        values, period, description = load_series(name)
        train_end = int(round(len(values) * train_fraction))
        if train_end - window - horizon < 8 or len(values) - train_end < horizon:
            raise InputError(
                f"series '{name}' ({len(values)} values) is too short for window {window} and horizon {horizon}"
            )
        series, ends, ids, extra, known = [values[:, None]], [train_end], [""], {}, 0
    else:
        table = load_table(name, columns, sha256)
        name = name if name in TABLES else f"csv:{table.path}"  # the file by its absolute path, from any directory
        cutoff, ends = _split_table(table, window, horizon, train_fraction)
        series, ids, period, description = table.series, table.ids, table.period, table.describe()
        known = len(table_columns(name, columns)["future_covariates"])
        if known and window < horizon:
            raise InputError(f"known-future covariates need a window of at least the horizon ({horizon}), got {window}")
        if name in TABLES:
            description = f"{TABLES[name]['description']}; {description}"
        extra = {
            "columns": table_columns(name, {**(columns or {}), "freq": table.freq}),
            "path": "/".join(TABLES[name]["package"]) if name in TABLES else table.path,  # bundled: in its package
            "sha256": table.sha256,
            "cutoff": str(cutoff)[:19],
            "series_ids": list(ids) if table.id else [],
            "filled": table.filled,
        }
    training = np.concatenate([v[:end] for v, end in zip(series, ends)])
    means, stds = training.mean(axis=0), training.std(axis=0)
    if not stds[0] > 0:
        raise InputError(f"the target of '{name}' is constant over the training part: nothing to forecast")
    stds = np.where(stds > 0, stds, 1.0)  # a constant covariate is only centred
    # The examples are views of the series, scaled and laid end to end (`Rows`): a window of history and
    # the horizon after it per origin, gathered batch by batch, never copied window by window.
    stream = np.concatenate([led((v - means) / stds, known, horizon).astype(np.float32) for v in series])
    offsets = np.cumsum([0] + [len(v) for v in series[:-1]])
    starts = []
    for values, end, offset in zip(series, ends, offsets):
        start, stop = (window, end - horizon) if split == "train" else (end, len(values) - horizon)
        starts.append(offset + np.arange(max(start, window), stop + 1) - window)  # windows()'s origins
    starts = np.concatenate(starts)
    features = series[0].shape[1]
    info = {
        "series": series,
        "train_ends": ends,
        "series_names": ids,
        "train_fraction": float(train_fraction),
        "period": period,
        "mean": float(means[0]),
        "std": float(stds[0]),
        "features": int(features),
        "future_features": known,
        "description": description,
        # kept for the single bundled series (their cards and tests read them)
        "values": series[0][:, 0],
        "train_end": ends[0],
    }
    if features > 1 or extra:
        extra.update(means=[float(m) for m in means], stds=[float(s) for s in stds])
    info["recipe"] = extra  # lists and paths a table's model needs to read it back
    inputs = Rows(stream, starts, window, np.float32)
    targets = Rows(stream, starts + window, horizon, np.float32, column=0)
    return RowSet(name, split, inputs, targets, info)


def mase_scale(values, train_end, period):
    """MASE's denominator (Hyndman & Koehler 2006): the in-sample MAE of the seasonal-naive forecast
    (naive when the series has no period) over the training part."""
    m = period or 1
    train = np.asarray(values[:train_end], np.float64)
    return float(np.mean(np.abs(train[m:] - train[:-m])))


def pinball(targets, outputs, levels):
    """Per-level pinball (quantile) loss [N, H, Q] of `outputs` [N, H, Q] for `targets` [N, H]."""
    diff = targets[..., None] - outputs
    tau = tf.constant(levels, outputs.dtype)
    return tf.maximum(tau * diff, (tau - 1.0) * diff)


def errors(forecasts, actual, scale=None):
    """MAE and RMSE, and MASE when each forecast's scale ([N], its series' `mase_scale`) is given."""
    diff = np.asarray(forecasts, np.float64) - np.asarray(actual, np.float64)
    found = {"mae": float(np.mean(np.abs(diff))), "rmse": float(np.sqrt(np.mean(diff**2)))}
    if scale is not None:
        found["mase"] = float(np.mean(np.abs(diff) / np.asarray(scale, np.float64)[:, None]))
    return found


def _is_frame(value):
    return type(value).__name__ == "DataFrame" and hasattr(value, "columns")


@register_architecture("forecaster")
class Forecaster(SequenceModel):
    """history `[N, T, F]` (T >= window, any length; F = 1, or the target then its covariates) -> the
    next `horizon` values of the target `[N, horizon]`. With `future_features` K > 0, the last K
    covariates are known in advance (calendar, promotions, prices set ahead): the forecast also
    reads their values over the horizon, `future [N, horizon, K]`."""

    task_metric_names = ("mae_scaled",)

    def __init__(
        self, window=24, horizon=10, instance_norm=True, quantiles=(), features=1, future_features=0, **kwargs
    ):
        self.window, self.horizon, self.instance_norm = int(window), int(horizon), bool(instance_norm)
        self.quantiles = checks.quantiles(quantiles)
        self.features, self.future_features = int(features), int(future_features)
        if self.features < 1:
            raise InputError(f"features must be at least 1, got {features}")
        if not 0 <= self.future_features < self.features:
            raise InputError(f"future_features must lie in [0, {self.features - 1}], got {future_features}")
        if self.future_features and self.window < self.horizon:
            raise InputError(f"known-future covariates need a window >= the horizon, got {window} < {horizon}")
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
    means = property(
        lambda self: np.asarray(self._fact("means", [self.mean]), np.float32), doc="per-feature training means"
    )
    stds = property(lambda self: np.asarray(self._fact("stds", [self.std]), np.float32), doc="per-feature stds")
    columns = property(lambda self: self._fact("columns", None), doc="a table's columns (time, target, covariates...)")
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
            **({"features": self.features} if self.features != 1 else {}),
            **({"future_features": self.future_features} if self.future_features else {}),
        }

    @property
    def mobile_length(self):
        return self.window

    def input_layers(self):
        return [keras.Input((self.fixed_length, self.features))]

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
        if self.quantiles:  # [N, H, Q]: every level mapped back alike, by the target's (feature 0) statistics
            return out * spread[:, :, :1] + centre[:, :, :1]
        return out * spread[:, :, 0] + centre[:, :, 0]

    def network_input(self, history, future):
        """history [N, T, F] and the known-future covariates over the horizon [N, H, K] -> the history
        the network reads, those covariates `horizon` steps early (as `led` lays out the training data)."""
        k, h = self.future_features, self.horizon
        if not k:
            return history
        early = tf.concat([history[:, h:, -k:], future], axis=1)
        return tf.concat([history[:, :, :-k], early], axis=-1)

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
        k = self.future_features

        def forecast(history, future=None):
            scaled = (history - self.means) / self.stds
            if k:
                scaled = self.network_input(scaled, (future - self.means[-k:]) / self.stds[-k:])
            out = self(scaled) * self.std + self.mean
            if not self.quantiles:
                return {"forecast": out}
            return {"forecast": self.point(out), "quantiles": out}

        inputs = {
            "history": Input(
                (None, self.fixed_length, self.features), "float32", example=self._example, min_length=self.window
            )
        }
        if k:
            inputs["future"] = Input((None, self.horizon, k), "float32", example=self._future_example)
        names = self._feature_names()

        return {
            "forecast": Endpoint(
                "forecast",
                forecast,
                inputs,
                doc=f"the last T >= {self.window} values of the series [N, T, {self.features}]"
                + (f" ({', '.join(names)})" if self.features > 1 else "")
                + (f" and the next {self.horizon} of {', '.join(names[-k:])} [N, {self.horizon}, {k}]" if k else "")
                + f" -> the next {self.horizon} values [N, {self.horizon}]"
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
        shape = (shape[0], self.fixed_length or self.window + 6, self.features)  # not the training window's length
        return self.means + self.stds * rng.standard_normal(shape)

    def _future_example(self, rng, shape):
        k = self.future_features
        return self.means[-k:] + self.stds[-k:] * rng.standard_normal((shape[0], self.horizon, k))

    def _feature_names(self):
        c = self.columns or {}
        return (
            [c.get("target", "target"), *c.get("covariates", []), *c.get("future_covariates", [])] if c else ["series"]
        )

    def forecast(self, history, quantiles=False, future=None):
        """The next `horizon` values of the target after `history`: for one series [T] (one feature)
        or [T, F] (F > 1: the target then its covariates, as trained), for several [N, T] (one
        feature) or [N, T, F]; or a pandas DataFrame with the training columns (and the id column, if
        the model was trained with one: one forecast per id, in order of appearance). With
        `quantiles=True` (a model trained with quantile levels), every level: [..., horizon, Q].
        A model trained with known-future covariates needs `future`: their values over the horizon,
        [horizon, K] for one series (or [horizon] when K = 1), [N, horizon, K] for several, or a
        DataFrame with those columns (and the id): the first `horizon` rows of each series."""
        if not isinstance(quantiles, (bool, np.bool_)):
            raise InputError(f"quantiles must be True or False, got {quantiles!r}")
        if quantiles and not self.quantiles:
            raise InputError("this forecaster was trained for point forecasts only (no quantile levels)")
        if _is_frame(history):
            history, single = self._from_frame(history), False
            shape = history.shape
        else:
            history = checks.array(history, "history")
            shape = history.shape
            single = history.ndim == 1 or (history.ndim == 2 and self.features > 1)
            if single:
                history = history[None]
            if history.ndim == 2:
                history = history[..., None]
        if history.ndim != 3 or history.shape[-1] != self.features:
            want = (
                "[T], [N, T] or [N, T, 1] values of one series"
                if self.features == 1
                else f"[T, {self.features}] or [N, T, {self.features}] ({', '.join(self._feature_names())})"
            )
            raise InputError(f"history must be {want}, got shape {list(shape)}")
        if history.shape[1] < self.window:
            read_as = (
                f" (shape {list(shape)} read as {shape[0]} series of {shape[1]} values)"
                if len(shape) == 2 and self.features == 1
                else ""
            )
            raise InputError(
                f"history of {history.shape[1]} values is too short: the model forecasts from at least "
                f"{self.window} values of {self.features} feature{'s' if self.features > 1 else ''}{read_as}"
            )
        inputs = {"history": history}
        if self.future_features or future is not None:
            inputs["future"] = self._future(future, len(history), single)
        result = self.endpoint("forecast").batched(**inputs)["quantiles" if quantiles else "forecast"]
        return result[0] if single else result

    def _future(self, future, n, single):
        """The known-future covariates over the horizon as [n, horizon, K], checked."""
        k, h = self.future_features, self.horizon
        if not k:
            raise InputError("this forecaster reads no known-future covariates: call it without `future`")
        names = ", ".join(self._feature_names()[-k:])
        if future is None:
            raise InputError(f"this forecaster needs `future`: the next {h} values of {names}")
        if _is_frame(future):
            future = self._from_frame(future, self._feature_names()[-k:], first=h)
        else:
            future = checks.array(future, "future")
            future = future[None] if single else future
            future = future[..., None] if future.ndim == 2 and k == 1 else future
        if future.shape != (n, h, k):
            raise InputError(
                f"future must hold the next {h} values of {names} per series: [{n}, {h}, {k}], got {list(future.shape)}"
            )
        return future

    def _from_frame(self, frame, wanted=None, first=None):
        """[N, T, F] from a DataFrame with the training columns (or `wanted`); several ids: the last T
        rows of each, T the shortest id's length (with `first`: the first `first` rows of each)."""
        c = self.columns
        if not c:
            raise InputError("this forecaster was trained on a bundled series, not a table: pass an array")
        wanted = wanted or self._feature_names()
        missing = [name for name in wanted + ([c["id"]] if c.get("id") else []) if name not in frame.columns]
        if missing:
            raise InputError(f"history frame has no column {', '.join(repr(m) for m in missing)}; it needs {wanted}")
        if c.get("time") in frame.columns:
            frame = frame.sort_values(c["time"], kind="stable")
        groups = [frame] if not c.get("id") else [g for _, g in frame.groupby(c["id"], sort=False)]
        try:
            blocks = [g[wanted].to_numpy(np.float64) for g in groups]
        except (TypeError, ValueError):
            raise InputError(f"history frame columns {wanted} must hold numbers") from None
        if any(np.isnan(b).any() for b in blocks):
            raise InputError("history frame has missing values; fill them as the training data were filled")
        if first:
            if min(len(b) for b in blocks) < first:
                raise InputError(f"future frame needs {first} rows per series, got {min(len(b) for b in blocks)}")
            return np.stack([b[:first] for b in blocks])
        length = min(len(b) for b in blocks)
        return np.stack([b[len(b) - length :] for b in blocks])

    vis_kinds = ("forecast", "curves")
    api = ("forecast",)

    def data(self, split):
        return load_forecasting(
            self.dataset,
            split,
            self.window,
            self.horizon,
            self.train_fraction,
            columns=self.columns,
            sha256=self._fact("sha256", None),
        )

    def calibration_inputs(self, n=64):
        info = self.data("train").info
        series, end = info["series"][0], info["train_ends"][0]
        return {"forecast": self.inputs_at(series, np.arange(self.window, end - self.horizon + 1)[:n])}

    def inputs_at(self, series, origins):
        """The endpoint's inputs for forecasts of `series` [T, F] (as in the file) from `origins`: the
        history windows and, with known-future covariates, their values over the horizon."""
        origins = np.asarray(origins)
        history = series[origins[:, None] - self.window + np.arange(self.window)].astype(np.float32)
        if not self.future_features:
            return {"history": history}
        future = series[origins[:, None] + np.arange(self.horizon), -self.future_features :]
        return {"history": history, "future": future.astype(np.float32)}

    def forecast_from(self, series, origins, quantiles=False):
        """Forecasts of `series` [T, F] from each of `origins`, reading what the model may know there."""
        found = self.inputs_at(series, origins)
        history = found["history"] if self.features > 1 else found["history"][..., 0]
        return self.forecast(history, quantiles=quantiles, future=found.get("future"))

    def held_out_metrics(self, test_set):
        """MAE / RMSE / MASE of every forecast from every origin after the training part, against the
        naive (last value repeated) and seasonal-naive (same phase one period earlier) forecasts and
        the classical models of `zoo.sequence.classical` (each configured on the validation part of
        each series' training values; they read the target only, except ARX and the direct linear
        forecast, which read the covariates)."""
        from zoo.sequence.classical import PROTOCOL, classical_forecasts

        info = test_set.info
        period = info["period"]
        rows = []  # per series: (series [T, F], actual, origins, train_end)
        for values, end in zip(info["series"], info["train_ends"]):
            origins = np.arange(max(end, self.window), len(values) - self.horizon + 1)
            actual = values[origins[:, None] + np.arange(self.horizon), 0]
            rows.append((values, actual, origins, end))
        actual = np.concatenate([r[1] for r in rows])
        scale = np.concatenate([np.full(len(o), mase_scale(v[:, 0], end, period)) for v, _, o, end in rows])
        measure = lambda forecasts: errors(forecasts, actual, scale)  # noqa: E731
        probabilistic = {}
        ours = np.concatenate([self.forecast_from(r[0], r[2], bool(self.quantiles)) for r in rows])
        if self.quantiles:  # one pass: every level, the median among them
            levels = ours  # [origins, horizon, Q]
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
        steps = np.arange(self.horizon)
        naive = np.concatenate([np.repeat(v[o - 1, 0][:, None], self.horizon, axis=1) for v, _, o, _ in rows])
        held = sum(len(v) - end for v, _, _, end in rows)
        many = f" of {len(rows)} series" if len(rows) > 1 else ""
        result = {
            "protocol": f"rolling origin over the held-out {held} values{many} "
            f"({len(actual)} origins x {self.horizon} steps), "
            f"history {self.window}; scaling fitted on the training part; MASE: MAE over the in-sample "
            f"{'seasonal-naive (period ' + str(period) + ')' if period else 'naive'} MAE of each series' training part",
            "model": measure(ours),
            "naive": measure(naive),
        }
        if period:
            seasonal = np.concatenate([v[o[:, None] - period + steps % period, 0] for v, _, o, _ in rows])
            result[f"seasonal_naive_period_{period}"] = measure(seasonal)
        k = self.future_features
        chosen = [  # ARX reads the known-future covariates, the direct linear forecast every column
            classical_forecasts(v[:, 0], end, o, self.horizon, period, v[:, -k:] if k else None, columns=v)
            for v, _, o, end in rows
        ]
        for family in chosen[0]:
            forecasts = np.concatenate([c[family].forecasts for c in chosen])
            configs = [c[family].config for c in chosen]
            config = configs[0] if len(set(configs)) == 1 else "per series: " + ", ".join(configs)
            result[family] = {**measure(forecasts), "config": config}
        result["classical_protocol"] = (
            PROTOCOL
            + (
                "; arx: AR(p) plus the known-future covariates at each forecast step, least squares, p chosen alike"
                if k
                else ""
            )
            + (
                "; linear: one least-squares regression per forecast step on the last p values of every column "
                "(target and covariates)"
                + (" and the known-future covariates at that step" if k else "")
                + ", p chosen alike"
                if self.features > 1
                else ""
            )
        )
        result.update(probabilistic)
        return result
