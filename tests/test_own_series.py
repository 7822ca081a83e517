"""Your own series (#33): a CSV through `python -m train.forecaster --dataset csv:FILE`, its checks,
the classical baselines and MASE, zoo.evaluate / zoo.vis / export from another directory, and the
exports replayed without TensorFlow."""

import functools
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, portable_check, run_cli

from zoo.errors import DataError
from zoo.sequence.table import read_table, season_of


def weekly(n=200, seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2020-01-01", periods=n, freq="D")
    y = scale * (10 + np.sin(np.arange(n) * 2 * np.pi / 7)) + rng.normal(0, 0.1, n)
    return pd.DataFrame({"date": dates.strftime("%Y-%m-%d"), "y": y, "x": rng.normal(size=n)})


@pytest.fixture
def csvs(tmp_path):
    base = weekly()
    base.to_csv(tmp_path / "ok.csv", index=False)
    bad = base.copy()
    bad.loc[5, "date"] = "not a date"
    bad.to_csv(tmp_path / "baddate.csv", index=False)
    bad = base.copy()
    bad.loc[7, "date"] = bad.loc[6, "date"]
    bad.to_csv(tmp_path / "dup.csv", index=False)
    bad = base.astype({"y": object})
    bad.loc[9, "y"] = "abc"
    bad.to_csv(tmp_path / "text.csv", index=False)
    base.drop(index=[20, 21]).to_csv(tmp_path / "gap.csv", index=False)
    bad = base.copy()
    bad.loc[30, "x"] = np.nan
    bad.to_csv(tmp_path / "empty.csv", index=False)
    two = pd.concat([base.assign(store="a"), weekly(seed=1, scale=2.0).assign(store="b")])
    two.to_csv(tmp_path / "two.csv", index=False)
    (tmp_path / "binary.csv").write_bytes(bytes(range(256)) * 8)
    (tmp_path / "nothing.csv").write_text("")
    return tmp_path


@pytest.mark.parametrize("chunk_rows", [500_000, 7])
def test_read_table_checks_and_fills(csvs, chunk_rows):
    """The same tables and the same first bad line, whether the file is parsed whole or 7 rows at a time."""
    read = functools.partial(read_table, chunk_rows=chunk_rows)
    table = read(csvs / "ok.csv", "date", "y", ["x"])
    assert table.freq == "D" and table.period == 7 and table.series[0].shape == (200, 2) and table.ids == [""]
    two = read(csvs / "two.csv", "date", "y", [], "store")
    assert two.ids == ["a", "b"] and [len(s) for s in two.series] == [200, 200]
    for name, message in [
        ("baddate.csv", "baddate.csv line 7: cannot read 'not a date' in column 'date' as a timestamp"),
        ("dup.csv", "dup.csv line 9: timestamp 2020-01-07 appears twice"),
        ("text.csv", "text.csv line 11: column 'y' holds 'abc', not a number"),
        ("gap.csv", "gap.csv line 22: jumps from 2020-01-20 to 2020-01-23 (2 missing D steps in all)"),
        ("empty.csv", "empty.csv line 32: column 'x' is empty; pass --fill"),
        ("binary.csv", "is not a UTF-8 text file"),
        ("nothing.csv", "is empty"),
    ]:
        with pytest.raises(DataError, match=message.replace("(", r"\(").replace(")", r"\)")):
            read(csvs / name, "date", "y", ["x"])
    # --fill: the gap's two days and the empty cell, each way
    truth = weekly()
    gap = read(csvs / "gap.csv", "date", "y", ["x"], fill="interpolate")
    assert gap.series[0].shape == (200, 2) and gap.filled == 4
    expected = truth.y[19] + (truth.y[22] - truth.y[19]) * np.array([1, 2]) / 3
    np.testing.assert_allclose(gap.series[0][20:22, 0], expected)
    ffilled = read(csvs / "gap.csv", "date", "y", ["x"], fill="ffill")
    np.testing.assert_allclose(ffilled.series[0][20:22, 0], truth.y[19])
    zero = read(csvs / "empty.csv", "date", "y", ["x"], fill="zero")
    assert zero.series[0][30, 1] == 0 and zero.filled == 1
    # a duplicate is refused whatever the fill
    with pytest.raises(DataError, match="appears twice"):
        read(csvs / "dup.csv", "date", "y", fill="ffill")
    # the file the model was trained on, and no other
    with pytest.raises(DataError, match="changed since the model was trained"):
        read(csvs / "ok.csv", "date", "y", sha256="0" * 64)
    us = weekly().assign(date=lambda f: pd.to_datetime(f.date).dt.strftime("%m/%d/%Y"))  # not ISO 8601
    us.to_csv(csvs / "us.csv", index=False)
    np.testing.assert_array_equal(read(csvs / "us.csv", "date", "y", ["x"]).times[0], table.times[0])
    assert [season_of(f) for f in ("D", "h", "MS", "W-SUN", "2D", "min")] == [7, 24, 12, 52, None, None]


def test_theta_and_mase_match_their_definitions():
    from statsmodels.tsa.forecasting.theta import ThetaModel

    from zoo.sequence.classical import _theta
    from zoo.sequence.forecast import errors, mase_scale

    values = weekly(120).y.to_numpy() + np.linspace(0, 3, 120)
    fitted = ThetaModel(values[:100], period=7, deseasonalize=False).fit()
    ours = _theta(values[:100], float(fitted.params["alpha"]), None)
    np.testing.assert_allclose(ours.forecasts(values, np.array([100]), 5)[0], fitted.forecast(5).to_numpy(), rtol=1e-9)
    # MASE: MAE scaled by the in-sample seasonal-naive MAE of the training part
    scale = mase_scale(values, 100, 7)
    assert scale == pytest.approx(np.mean(np.abs(values[7:100] - values[:93])))
    got = errors(np.zeros((2, 3)), np.ones((2, 3)), np.array([scale, 2 * scale]))
    assert got["mase"] == pytest.approx((1 / scale + 1 / (2 * scale)) / 2)


def test_arx_recovers_a_regression_on_known_future_covariates():
    from zoo.sequence.classical import classical_forecasts

    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 1))
    y = np.zeros(300)
    for t in range(1, 300):
        y[t] = 1 + 0.5 * y[t - 1] + 2 * x[t, 0]
    origins = np.arange(240, 295)
    chosen = classical_forecasts(y, 240, origins, 5, known=x)
    truth = np.stack([y[t : t + 5] for t in origins])
    np.testing.assert_allclose(chosen["arx"].forecasts, truth, atol=1e-6)
    assert chosen["arx"].config.startswith("ARX(") and "arx" not in classical_forecasts(y, 240, origins, 5)


def test_direct_linear_forecast_reads_past_covariates_and_nothing_after_the_origin():
    from zoo.sequence.classical import classical_forecasts

    rng = np.random.default_rng(0)
    x = rng.normal(size=300)
    y = np.zeros(300)
    for t in range(1, 300):  # the covariate acts with one step's delay: its past predicts the next value
        y[t] = 1 + 0.5 * y[t - 1] + 2 * x[t - 1]
    columns = np.stack([y, x], axis=1)
    origins = np.arange(240, 295)
    chosen = classical_forecasts(y, 240, origins, 5, columns=columns)
    np.testing.assert_allclose(chosen["linear"].forecasts[:, 0], y[origins], atol=1e-6)  # step 1 is exact
    assert chosen["linear"].config.startswith("direct linear (") and "x 2 columns" in chosen["linear"].config
    assert np.mean(np.abs(chosen["linear"].forecasts[:, 0] - y[origins])) < np.mean(
        np.abs(chosen["autoreg"].forecasts[:, 0] - y[origins])
    )
    # what lies at or after an origin does not change that origin's forecast
    later = columns.copy()
    later[260:] = rng.normal(size=later[260:].shape)
    again = classical_forecasts(later[:, 0], 240, origins, 5, columns=later)
    np.testing.assert_array_equal(again["linear"].forecasts[:21], chosen["linear"].forecasts[:21])
    assert "linear" not in classical_forecasts(y, 240, origins, 5, columns=y[:, None])  # target only: AR covers it


@pytest.mark.slow
@pytest.mark.parametrize(
    "name, flags, message",
    [
        ("ok.csv", ["--target", "nope"], "--target nope: ok.csv has no column 'nope'; its columns: date, y, x"),
        ("baddate.csv", [], "cannot read 'not a date' in column 'date' as a timestamp"),
        ("dup.csv", [], "timestamp 2020-01-07 appears twice"),
        ("text.csv", [], "column 'y' holds 'abc', not a number"),
        ("gap.csv", [], "jumps from 2020-01-20 to 2020-01-23"),
        ("binary.csv", [], "is not a UTF-8 text file"),
        ("missing.csv", [], "does not exist"),
    ],
)
def test_bad_csv_one_line_exit_2_nothing_written(csvs, name, flags, message):
    out = csvs / "run"
    args = ["--dataset", f"csv:{csvs / name}", "--time", "date", "--target", "y", *flags]
    result = run_cli("train.forecaster", *args, "--epochs", "1", "--out", str(out))
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2 and len(lines) == 1 and message in lines[0], result.stderr
    assert not out.exists()


@pytest.mark.slow
def test_table_flags_without_a_table_are_refused():
    result = run_cli("train.forecaster", "--dataset", "sunspots", "--target", "y", "--epochs", "1")
    assert result.returncode == 2 and "--target read a table" in result.stderr


@pytest.mark.slow
def test_two_series_with_a_covariate_end_to_end(csvs, tmp_path):
    """Train on two series by id with a covariate; then, from another directory: resume by another
    path to the same file, zoo.evaluate (the baselines with MASE), zoo.vis, export, replay without
    TensorFlow; forecast() from a DataFrame equals forecast() from the array."""
    out = csvs / "run"
    flags = ["--time", "date", "--target", "y", "--covariates", "x", "--id", "store"]
    common = ["--window", "14", "--horizon", "7", "--units", "8", "--depth", "1", "--quiet", "--no-export"]
    first = run_cli("train.forecaster", "--dataset", f"csv:{csvs / 'two.csv'}", *flags, *common, "--epochs", "2",
                    "--out", str(out))  # fmt: skip
    assert first.returncode == 0, first.stderr
    card = json.loads((out / "card.json").read_text())
    assert card["name"] == "lstm-stacked-two" and card["data"]["series_ids"] == ["a", "b"]
    assert card["data"]["columns"]["covariates"] == ["x"] and card["data"]["path"] == str(csvs / "two.csv")
    assert card["config"]["features"] == 2
    metrics = card["metrics"]
    for row in ("model", "naive", "seasonal_naive_period_7", "autoreg", "ets", "arima", "theta"):
        assert {"mae", "rmse", "mase"} <= set(metrics[row]), row
    assert "of 2 series" in metrics["protocol"]
    # the same file by a relative path from its own folder is the same dataset
    resumed = subprocess.run(
        [
            sys.executable,
            "-m",
            "train.forecaster",
            "--dataset",
            "csv:./two.csv",
            *flags,
            *common,
            "--epochs",
            "3",
            "--out",
            str(out),
            "--resume",
        ],  # fmt: skip
        cwd=csvs,
        env={**__import__("os").environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert resumed.returncode == 0, resumed.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    def run_elsewhere(*args):
        return subprocess.run(
            [sys.executable, "-m", *args],
            cwd=elsewhere,
            env={**__import__("os").environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"},
            capture_output=True,
            text=True,
            timeout=600,
        )

    evaluated = run_elsewhere("zoo.evaluate", str(out))
    assert evaluated.returncode == 0, evaluated.stderr
    assert "| forecaster | MAE | RMSE | MASE |" in evaluated.stdout and "| theta |" in evaluated.stdout
    drawn = run_elsewhere("zoo.vis", str(out), "--kind", "forecast", "--out", "f.png")
    assert drawn.returncode == 0 and (elsewhere / "f.png").stat().st_size > 10_000, drawn.stderr
    exported = run_elsewhere("export", str(out), "--out", "ex", "--format", "onnx,litert")
    assert exported.returncode == 0, exported.stderr
    report = portable_check(elsewhere / "ex", "lstm-stacked-two")  # fails unless every file matches Keras
    assert report["onnx"] and report["litert"] and report["tensorflow_importable"] is False
    import zoo

    model = zoo.load(str(out))
    frame = pd.read_csv(csvs / "two.csv")
    by_frame = model.forecast(frame)
    by_array = model.forecast(np.stack([frame[frame.store == s][["y", "x"]].to_numpy() for s in ("a", "b")]))
    np.testing.assert_allclose(by_frame, by_array, rtol=1e-6)
    assert by_frame.shape == (2, 7)
    # a changed file is refused when the model reads its data back
    frame.assign(y=frame.y + 1).to_csv(csvs / "two.csv", index=False)
    with pytest.raises(DataError, match="changed since the model was trained"):
        model.data("test")


def test_the_sequence_tables_in_the_docs_are_the_cards():
    """docs/sequence-models.md's forecaster and classifier tables are generated from the shipped
    cards, never typed."""
    sys.path.insert(0, str(ROOT))
    from benchmarks.sequence_tables import classifier_table, table

    page = (ROOT / "docs" / "sequence-models.md").read_text()
    for name, block in (("forecasters", table()), ("series-classifiers", classifier_table())):
        assert page.split(f"<!-- {name}:start -->\n", 1)[1].split(f"\n<!-- {name}:end -->", 1)[0] == block


def test_forecasting_examples_are_views_of_the_scaled_series():
    """The windows are gathered from one scaled copy of the series, the same values (and the same
    batches) as windows copied one per origin."""
    from zoo.data import ArraySet, Rows
    from zoo.sequence.forecast import load_forecasting, windows

    data = load_forecasting("seattle-weather", "train", 24, 7)
    series, end = data.info["series"][0], data.info["train_ends"][0]
    means, stds = np.array(data.info["recipe"]["means"]), np.array(data.info["recipe"]["stds"])
    x, y, _ = windows(series, 24, 7, 24, end - 7)
    assert isinstance(data.inputs, Rows) and data.inputs.stream.nbytes == series.size * 4  # one float32 copy
    np.testing.assert_array_equal(data.inputs[:], ((x - means) / stds).astype(np.float32))
    np.testing.assert_array_equal(data.targets[:], ((y[..., 0] - means[0]) / stds[0]).astype(np.float32))
    np.testing.assert_array_equal(data.inputs[5, -1], data.inputs[:][5, -1])
    head, tail = data.split_off_tail(0.1)
    np.testing.assert_array_equal(tail.inputs[:], data.inputs[:][len(head) :])
    copied = ArraySet("w", "train", data.inputs[:], data.targets[:])
    for (a, b), (c, d) in zip(data.batches(32, 0, 0, 2)[0].take(5), copied.batches(32, 0, 0, 2)[0].take(5)):
        np.testing.assert_array_equal(a, c)
        np.testing.assert_array_equal(b, d)


def promotions(n=400, seed=0):
    """Daily sales driven by a promotion flag planned in advance (a known-future covariate)."""
    rng = np.random.default_rng(seed)
    promo = (rng.random(n) < 0.3).astype(float)
    sales = 10 + 2 * np.sin(np.arange(n) * 2 * np.pi / 7) + 6 * promo + rng.normal(0, 0.3, n)
    dates = pd.date_range("2021-01-01", periods=n, freq="D").strftime("%Y-%m-%d")
    return pd.DataFrame({"date": dates, "sales": sales, "promo": promo})


def test_known_future_covariates_are_read_as_trained(tmp_path):
    """The training windows hold the known-future covariate `horizon` steps early; the endpoint builds
    the same layout from (history, future): the model reads the same numbers in training and use."""
    from zoo.errors import InputError
    from zoo.sequence.forecast import Forecaster, led, load_forecasting

    np.testing.assert_array_equal(led(np.arange(12.0).reshape(6, 2), 1, 2)[:, 1], [5, 7, 9, 11, 11, 11])
    promotions().to_csv(tmp_path / "promo.csv", index=False)
    columns = {"time": "date", "target": "sales", "future_covariates": ["promo"]}
    train = load_forecasting(f"csv:{tmp_path / 'promo.csv'}", "train", 14, 7, columns=columns)
    assert train.info["features"] == 2 and train.info["future_features"] == 1
    series = train.info["series"][0]
    scaled = (series[:, 1] - train.info["recipe"]["means"][1]) / train.info["recipe"]["stds"][1]
    np.testing.assert_allclose(train.inputs[0][:, 1], scaled[7:21], rtol=1e-6)  # origin 14: promo 7..20
    model = Forecaster(window=14, horizon=7, features=2, future_features=1, units=8, depth=1)
    model.attach_recipe({**train.info["recipe"], "mean": train.info["mean"], "std": train.info["std"]})
    origins = np.arange(14, 30)
    by_endpoint = model.forecast_from(series, origins)
    by_training_layout = np.asarray(model(train.inputs[:16])) * train.info["std"] + train.info["mean"]
    np.testing.assert_allclose(by_endpoint, by_training_layout, rtol=1e-4, atol=1e-4)
    one = model.forecast(series[:14], future=series[14:21, 1])
    np.testing.assert_allclose(one, by_endpoint[0], rtol=1e-5)
    with pytest.raises(InputError, match="needs `future`: the next 7 values of promo"):
        model.forecast(series[:14])
    with pytest.raises(InputError, match=r"future must hold the next 7 values of promo per series: \[1, 7, 1\]"):
        model.forecast(series[:14], future=series[14:20, 1])
    plain = Forecaster(window=14, horizon=7, features=2, units=8, depth=1)
    with pytest.raises(InputError, match="reads no known-future covariates"):
        plain.forecast(series[:14], future=series[14:21, 1])
    with pytest.raises(InputError, match="window >= the horizon"):
        Forecaster(window=5, horizon=7, features=2, future_features=1)


@pytest.mark.slow
def test_known_future_covariates_end_to_end(tmp_path):
    """--future-covariates through python -m: the model beats every target-only classical forecaster
    on sales a planned promotion drives, forecasts from DataFrames, and its exports replay it without
    TensorFlow; bad flags are refused in one line."""
    promotions().to_csv(tmp_path / "promo.csv", index=False)
    data = ["--dataset", f"csv:{tmp_path / 'promo.csv'}", "--time", "date", "--target", "sales"]
    for flags, message in [
        (["--future-covariates", "nope"], "--future-covariates nope: promo.csv has no column 'nope'"),
        (["--future-covariates", "promo", "--window", "5", "--horizon", "7"], "at least --horizon (7)"),
        (["--covariates", "promo", "--future-covariates", "promo"], "'promo' is named twice"),
    ]:
        refused = run_cli("train.forecaster", *data, *flags, "--out", str(tmp_path / "bad"))
        assert refused.returncode == 2 and message in refused.stderr and not (tmp_path / "bad").exists()
    out = tmp_path / "run"
    flags = ["--future-covariates", "promo", "--window", "14", "--horizon", "7", "--quiet", "--seed", "0"]
    trained = run_cli("train.forecaster", *data, *flags, "--out", str(out), "--no-export")
    assert trained.returncode == 0, trained.stderr
    card = json.loads((out / "card.json").read_text())
    assert card["config"]["future_features"] == 1 and card["data"]["columns"]["future_covariates"] == ["promo"]
    metrics = card["metrics"]
    classical = {row: metrics[row]["mae"] for row in ("naive", "seasonal_naive_period_7", "autoreg", "ets", "arima")}
    assert metrics["model"]["mae"] < 0.85 * min(classical.values()), (metrics["model"], classical)
    assert metrics["arx"]["mae"] > 0 and "arx: AR(p) plus the known-future covariates" in metrics["classical_protocol"]
    exported = run_cli("export", str(out), "--out", str(tmp_path / "ex"), "--format", "onnx,litert")
    assert exported.returncode == 0, exported.stderr
    report = portable_check(tmp_path / "ex", "lstm-stacked-promo")
    assert report["onnx"] and report["litert"]
    import zoo

    model = zoo.load(str(out))
    frame = pd.read_csv(tmp_path / "promo.csv")
    by_frame = model.forecast(frame.iloc[:300], future=frame.iloc[300:307])
    by_array = model.forecast(frame[["sales", "promo"]].to_numpy()[:300], future=frame.promo.to_numpy()[300:307])
    np.testing.assert_allclose(by_frame[0], by_array, rtol=1e-6)
