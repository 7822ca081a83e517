"""Classical forecasts that the recurrent forecaster is measured against, in its own protocol.

Each family's configuration (an autoregression's order, an ETS form, an ARIMA order) is chosen the
way a forecaster would choose it without looking at the test years: fitted on the first part of
the training values, scored by rolling-origin MAE on the rest of them (the validation years),
the best refitted on all training values. Its parameters are then fixed, and from every test
origin it forecasts `horizon` steps from the history up to that origin (statsmodels' `apply`,
which filters new data with the fitted parameters) -- the same origins, history and horizon as
the network, which is also trained once and then only fed each origin's history.

    AutoReg  AR(p) with a constant, p in 1..MAX_LAGS                     (statsmodels AutoReg)
    ETS      level / + additive damped trend / + additive seasonality of the series' period,
             state-space exponential smoothing fitted by maximum likelihood
    ARIMA    (p, d, q) over a small grid                                  (statsmodels ARIMA)
    Theta    simple exponential smoothing plus half the training trend's slope (the standard Theta
             method, theta = 2; Hyndman & Billah 2003), alpha from a grid; not deseasonalised
    ARX      only with covariates known in advance: AR(p) plus a linear term in those covariates at
             the step forecast, least squares (the regression a forecaster would try first)
    linear   only with covariates: a direct linear forecast, one least-squares regression per step
             h of y_{t+h} on the last p values of every column (target and covariates) before t,
             plus the known-future covariates at t+h where there are some. It needs no forecast of
             the covariates (an iterated ARX would), and reads what the network reads.

Why statsmodels and not statsforecast's AutoETS/AutoARIMA/AutoTheta: statsmodels is already a
dependency (the bundled series come with it), its fitted state-space models filter new history
with fixed parameters (the protocol above), and the choice among configurations is made here on
validation values the way it is made for the network, rather than by in-sample AIC.

No TensorFlow here: the numbers can be checked on their own.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

MAX_LAGS = 24
ARIMA_ORDERS = tuple((p, d, q) for p in (1, 2, 3) for d in (0, 1) for q in (0, 1, 2))
VALIDATION_FRACTION = 0.2
PROTOCOL = (
    "autoreg AR(p), ets (level / damped trend / seasonality), arima (p,d,q), theta (SES + half the training "
    "trend, alpha on a grid): each configuration chosen by "
    "rolling-origin MAE on the last 20% of the training values (fitted on the rest), refitted on all "
    "training values, then its parameters fixed and applied to each test origin's history"
)


@dataclass(frozen=True)
class Choice:
    """A classical configuration chosen on the validation years, and its test-origin forecasts."""

    family: str
    config: str
    validation_mae: float
    forecasts: np.ndarray  # [origins, horizon]


def _autoreg(values, lags, period):
    from statsmodels.tsa.ar_model import AutoReg

    return AutoReg(values, lags=lags, trend="c").fit()


def _ets(values, form, period):
    from statsmodels.tsa.statespace.exponential_smoothing import ExponentialSmoothing

    trend, seasonal = form
    return ExponentialSmoothing(values, trend=trend, damped_trend=trend, seasonal=period if seasonal else None).fit(
        disp=0
    )


def _arima(values, order, period):
    from statsmodels.tsa.arima.model import ARIMA

    return ARIMA(values, order=order, trend="c" if order[1] == 0 else "n").fit()


@dataclass(frozen=True)
class ThetaFit:
    """The Theta method's fitted parameters: SES smoothing `alpha` and the training trend's slope."""

    alpha: float
    slope: float

    def forecasts(self, values, origins, horizon):
        values, origins = np.asarray(values, np.float64), np.asarray(origins)
        levels = np.empty(origins.max())
        level = values[0]
        for t in range(origins.max()):  # level after values[:t + 1]
            level = self.alpha * values[t] + (1 - self.alpha) * level
            levels[t] = level
        a, n = self.alpha, origins.astype(np.float64)
        h = np.arange(1, horizon + 1, dtype=np.float64)
        drift = 0.5 * self.slope * (h[None, :] - 1 + 1 / a - (1 - a) ** n[:, None] / a)
        return levels[origins - 1][:, None] + drift


def _theta(values, alpha, period):
    x = np.arange(len(values), dtype=np.float64)
    return ThetaFit(float(alpha), float(np.polyfit(x, np.asarray(values, np.float64), 1)[0]))


@dataclass(frozen=True)
class ARXFit:
    """y_t = c + sum_i phi_i y_{t-i} + beta . x_t, fitted by least squares; x [T, K] are covariates
    known in advance, so each forecast step reads their value at that step."""

    constant: float
    phi: np.ndarray
    beta: np.ndarray
    exog: np.ndarray  # [T, K], the whole series'

    def forecasts(self, values, origins, horizon):
        lags = len(self.phi)
        history = np.stack([values[t - lags : t] for t in origins])
        steps = []
        for h in range(horizon):
            step = self.constant + history[:, ::-1] @ self.phi + self.exog[origins + h] @ self.beta
            steps.append(step)
            history = np.concatenate([history[:, 1:], step[:, None]], axis=1)
        return np.stack(steps, axis=1)


def _arx(exog):
    exog = np.asarray(exog, np.float64)

    def fit(values, lags, period):
        y = np.asarray(values, np.float64)
        rows = np.arange(lags, len(y))
        design = np.column_stack([np.ones(len(rows)), *(y[rows - i] for i in range(1, lags + 1)), exog[rows]])
        coef = np.linalg.lstsq(design, y[rows], rcond=None)[0]
        return ARXFit(float(coef[0]), coef[1 : lags + 1], coef[lags + 1 :], exog)

    return fit


@dataclass(frozen=True)
class DirectFit:
    """y_{t+h} = c_h + w_h . (the last p rows of every column before t) [+ b_h . x_{t+h}], h = 1..H."""

    lags: int
    coef: np.ndarray  # [H, 1 + lags * F (+ K)]
    columns: np.ndarray  # [T, F], the whole series'
    known: np.ndarray | None  # [T, K] or None

    def forecasts(self, values, origins, horizon):
        return np.stack([_direct_design(self, origins, h) @ self.coef[h] for h in range(horizon)], axis=1)


def _direct_design(fit, origins, h):
    past = fit.columns[origins[:, None] - np.arange(1, fit.lags + 1)]  # [N, lags, F]
    parts = [np.ones((len(origins), 1)), past.reshape(len(origins), -1)]
    if fit.known is not None:
        parts.append(fit.known[origins + h])
    return np.concatenate(parts, axis=1)


def _direct(columns, known, horizon):
    columns = np.asarray(columns, np.float64)
    known = None if known is None else np.asarray(known, np.float64)

    def fit(values, lags, period):
        n = len(values)  # fitted on rows whose targets all lie in values[:n]
        rows = np.arange(lags, n - horizon + 1)
        if len(rows) <= lags * columns.shape[1] + 1:
            raise ValueError(f"too few training rows for {lags} lags")
        shell = DirectFit(lags, np.zeros(0), columns, known)
        y = np.asarray(values, np.float64)
        coef = np.stack(
            [np.linalg.lstsq(_direct_design(shell, rows, h), y[rows + h], rcond=None)[0] for h in range(horizon)]
        )
        return DirectFit(lags, coef, columns, known)

    return fit


def _ets_forms(period):
    forms = [(False, False), (True, False)]
    return forms + [(False, True), (True, True)] if period else forms


def _describe_ets(form):
    trend, seasonal = form
    return "level" + (" + damped trend" if trend else "") + (" + seasonality" if seasonal else "")


FAMILIES = {
    # name: (fit(values, config, period), candidate configs(period, n), describe(config))
    "autoreg": (_autoreg, lambda period, n: range(1, min(MAX_LAGS, n // 4) + 1), lambda p: f"AR({p})"),
    "ets": (_ets, lambda period, n: _ets_forms(period), _describe_ets),
    "arima": (_arima, lambda period, n: ARIMA_ORDERS, lambda order: f"ARIMA{order}"),
    "theta": (_theta, lambda period, n: (0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 1.0), lambda a: f"Theta(alpha={a:g})"),
}


def forecasts_from(fitted, values, origins, horizon):
    """`[len(origins), horizon]`: the fitted model's forecasts from each origin t given values[:t]
    (what `fitted.apply(values[:t]).forecast(horizon)` gives, computed in one pass)."""
    values, origins = np.asarray(values, np.float64), np.asarray(origins)
    if isinstance(fitted, (ThetaFit, ARXFit, DirectFit)):
        return fitted.forecasts(values, origins, horizon)
    if hasattr(fitted, "filter_results"):  # a state-space model (ETS, ARIMA): filter once
        run = fitted.apply(values[: origins.max()]).filter_results
        design, obs_intercept = run.design[:, :, 0], run.obs_intercept[:, 0]
        transition, state_intercept = run.transition[:, :, 0], run.state_intercept[:, 0]
        state = run.predicted_state[:, origins]  # [k_states, origins]: the state at t given values[:t]
        steps = []
        for _ in range(horizon):
            steps.append((design @ state)[0] + obs_intercept[0])
            state = transition @ state + state_intercept[:, None]
        return np.stack(steps, axis=1)
    # AutoReg: y_t = c + sum_i phi_i y_{t-i}, iterated on its own forecasts
    constant, phi = fitted.params[0], np.asarray(fitted.params[1:])
    lags = len(phi)
    history = np.stack([values[t - lags : t] for t in origins]) if lags else np.zeros((len(origins), 0))
    steps = []
    for _ in range(horizon):
        step = constant + history[:, ::-1] @ phi if lags else np.full(len(origins), constant)
        steps.append(step)
        history = np.concatenate([history[:, 1:], step[:, None]], axis=1) if lags else history
    return np.stack(steps, axis=1)


def _mae(forecasts, values, origins, horizon):
    actual = np.stack([values[t : t + horizon] for t in origins])
    return float(np.mean(np.abs(forecasts - actual)))


def choose(family, values, train_end, origins, horizon, period=None, families=FAMILIES):
    """Fit `family`'s candidates on values[:v], pick the lowest rolling-origin MAE over the
    validation origins v..train_end-horizon, refit it on values[:train_end], forecast `origins`."""
    fit, candidates, describe = families[family]
    values = np.asarray(values, np.float64)
    validation_start = int(round(train_end * (1 - VALIDATION_FRACTION)))
    validation = np.arange(validation_start, train_end - horizon + 1)
    if len(validation) < 1:
        raise ValueError(f"{train_end} training values leave no validation origin for horizon {horizon}")
    scored = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # statsmodels' convergence and frequency notes
        for config in candidates(period, validation_start):
            try:
                fitted = fit(values[:validation_start], config, period)
                mae = _mae(forecasts_from(fitted, values, validation, horizon), values, validation, horizon)
            except (np.linalg.LinAlgError, ValueError):
                continue  # a configuration this series cannot support
            if np.isfinite(mae):
                scored.append((mae, config))
        if not scored:
            raise ValueError(f"no {family} configuration could be fitted")
        best_mae, best = min(scored, key=lambda item: item[0])
        fitted = fit(values[:train_end], best, period)
        return Choice(family, describe(best), best_mae, forecasts_from(fitted, values, origins, horizon))


def classical_forecasts(values, train_end, origins, horizon, period=None, known=None, columns=None):
    """Every family's chosen configuration and its forecasts from `origins`, by family name; with
    `known` ([T, K] covariates known in advance, aligned with `values`), ARX too; with `columns`
    ([T, F], F > 1: the target first, then its covariates), the direct linear forecast too."""
    families = dict(FAMILIES)
    if known is not None:
        families["arx"] = (_arx(known), FAMILIES["autoreg"][1], lambda p: f"ARX({p})")
    if columns is not None and np.shape(columns)[1] > 1:
        width = np.shape(columns)[1]
        families["linear"] = (
            _direct(columns, known, horizon),
            FAMILIES["autoreg"][1],
            lambda p: f"direct linear ({p} lags x {width} columns)",
        )
    return {family: choose(family, values, train_end, origins, horizon, period, families) for family in families}
