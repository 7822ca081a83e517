"""Anomalies in a series: the scoring pieces against their definitions, bad CSVs refused in one line
before training, and a CSV through `python -m train.series_autoencoder`, zoo.evaluate, export."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, portable_check, run_cli

from zoo.sequence import anomaly


def test_matrix_profile_is_the_nearest_non_trivial_neighbour():
    rng = np.random.default_rng(0)
    values, window = rng.standard_normal(60).cumsum(), 8
    subs = anomaly.windows(values[:, None], window)[..., 0]
    z = (subs - subs.mean(1, keepdims=True)) / subs.std(1, keepdims=True)
    expected = [
        min(np.linalg.norm(z[i] - z[j]) for j in range(len(z)) if abs(i - j) >= window // 4) for i in range(len(z))
    ]
    np.testing.assert_allclose(anomaly.matrix_profile(values, window, block=7), expected, atol=1e-6)


def test_point_scores_average_the_covering_windows_and_metrics_read_the_labels():
    np.testing.assert_allclose(anomaly.point_scores([1.0, 3.0], 2), [1.0, 2.0, 3.0])
    labels = np.zeros(300, np.int8)
    labels[150:155] = 1
    scores = np.zeros(300)
    scores[152] = 1.0
    found = anomaly.detection_metrics(scores, labels)
    assert found["ucr_hit"] and found["top_point"] == 152 and found["best_f1"] == pytest.approx(2 * 1 * 0.2 / 1.2)
    scores = np.zeros(300)
    scores[10] = 1.0  # 140 points before the anomaly: outside the archive's 100-point margin
    assert not anomaly.detection_metrics(scores, labels)["ucr_hit"]


def series_frame(n=1000, at=700, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    value = np.sin(2 * np.pi * t / 25) + 0.05 * rng.standard_normal(n)
    value[at : at + 10] = 0.0  # a flat stretch where the wave should be
    labels = np.zeros(n, int)
    labels[at : at + 10] = 1
    return pd.DataFrame({"timestamp": t, "value": value, "is_anomaly": labels})


@pytest.fixture
def csvs(tmp_path):
    series_frame().to_csv(tmp_path / "wave.csv", index=False)
    frame = series_frame()
    frame.loc[5, "is_anomaly"] = 1
    frame.to_csv(tmp_path / "dirty.csv", index=False)
    frame = series_frame().astype({"value": object})
    frame.loc[9, "value"] = "n/a"
    frame.to_csv(tmp_path / "text.csv", index=False)
    frame = series_frame()
    frame.loc[300, "is_anomaly"] = 2
    frame.to_csv(tmp_path / "label.csv", index=False)
    return tmp_path


@pytest.mark.slow
@pytest.mark.parametrize(
    "name, flags, message",
    [
        ("wave.csv", ["--target", "nope"], "--target nope: wave.csv has no column 'nope'"),
        ("wave.csv", ["--label", "nope"], "--label nope: wave.csv has no column 'nope'"),
        ("dirty.csv", [], "line 7 is labelled anomalous"),
        ("text.csv", [], "line 11: column 'value' holds"),
        ("label.csv", [], "line 302: label column 'is_anomaly' holds '2', not 0 or 1"),
        ("missing.csv", [], "does not exist"),
    ],
)
def test_bad_series_one_line_exit_2_nothing_written(csvs, name, flags, message):
    out = csvs / "run"
    result = run_cli("train.series_autoencoder", "--dataset", f"csv:{csvs / name}", *flags, "--epochs", "1",
                     "--out", str(out))  # fmt: skip
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2 and len(lines) == 1 and message in lines[0], result.stderr
    assert not out.exists()


@pytest.mark.slow
def test_a_csv_series_end_to_end(csvs, tmp_path):
    """Train on a CSV; then, from another directory: zoo.evaluate (the network beside the classical
    detectors), export and replay without TensorFlow; the API scores points and detects."""
    out = csvs / "run"
    first = run_cli("train.series_autoencoder", "--dataset", f"csv:{csvs / 'wave.csv'}", "--window", "25",
                    "--units", "16", "--epochs", "15", "--quiet", "--no-export", "--out", str(out))  # fmt: skip
    assert first.returncode == 0, first.stderr
    card = json.loads((out / "card.json").read_text())
    assert card["name"] == "lstm-ae-wave" and card["data"]["path"] == str(csvs / "wave.csv")
    metrics = card["metrics"]
    for row in ("model", "rolling_zscore", "isolation_forest", "matrix_profile_discord"):
        assert {"auc_roc", "best_f1", "ucr_hit"} <= set(metrics[row]), row
    assert metrics["model"]["auc_roc"] > 0.9 and metrics["anomalous_points"] == 10
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}

    def run_elsewhere(*args):
        return subprocess.run(
            [sys.executable, "-m", *args], cwd=elsewhere, env=env, capture_output=True, text=True, timeout=600
        )

    evaluated = run_elsewhere("zoo.evaluate", str(out))
    assert evaluated.returncode == 0 and "matrix_profile_discord" in evaluated.stdout, evaluated.stderr
    exported = run_elsewhere("export", str(out), "--out", "ex", "--format", "onnx,litert")
    assert exported.returncode == 0, exported.stderr
    report = portable_check(elsewhere / "ex", "lstm-ae-wave")
    assert report["onnx"] and report["litert"] and report["tensorflow_importable"] is False
    import zoo

    model = zoo.load(str(out))
    values = pd.read_csv(csvs / "wave.csv")["value"].to_numpy()
    scores = model.point_scores(values)
    assert scores.shape == values.shape and 690 <= int(np.argmax(scores)) <= 720
    assert model.detect(values)[700:710].any()
