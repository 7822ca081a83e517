"""Labelled sequences (#33 item 3): aeon's UCR/UEA sets and your own CSV / .npz through
`python -m train.sequence_classifier`, the baselines beside the network, and bad files refused."""

import json

import numpy as np
import pandas as pd
import pytest
from conftest import portable_check, run_cli

from zoo.errors import DataError, UnknownNameError
from zoo.sequence.labelled import load_labelled


def shapes_file(tmp_path, n=60, length=40, seed=0):
    """Two classes of noisy sequences: a rising ramp or a bump, one row per sequence."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 1, length)
    rows, labels = [], []
    for i in range(n):
        kind = ["ramp", "bump"][i % 2]
        shape = t if kind == "ramp" else np.exp(-((t - 0.5) ** 2) / 0.01)
        rows.append(3 * shape + rng.normal(0, 0.2, length) + rng.normal(0, 2))  # any offset: z-normalised inside
        labels.append(kind)
    frame = pd.DataFrame(np.array(rows), columns=[f"t{i}" for i in range(length)])
    frame.insert(0, "kind", labels)
    path = tmp_path / "shapes.csv"
    frame.to_csv(path, index=False)
    return path


def test_aeon_sets_load_offline_with_their_published_split():
    train, test = load_labelled("aeon:GunPoint", "train"), load_labelled("aeon:GunPoint", "test")
    assert train.inputs.shape == (50, 150, 1) and test.inputs.shape == (150, 150, 1)
    assert train.info["class_names"] == ["1", "2"] and train.info["split"] == "the archive's published split"
    motions = load_labelled("aeon:BasicMotions", "train")
    assert motions.inputs.shape == (40, 100, 6) and motions.info["class_names"][0] == "badminton"
    with pytest.raises(DataError, match="different lengths"):
        load_labelled("aeon:JapaneseVowels", "train")
    with pytest.raises(UnknownNameError, match="does not ship inside aeon"):
        load_labelled("aeon:NoSuchSet", "train")
    with pytest.raises(UnknownNameError, match="unknown sequence dataset"):
        load_labelled("GunPoint", "train")


def test_own_files_csv_and_npz(tmp_path):
    path = shapes_file(tmp_path)
    train = load_labelled(f"csv:{path}", "train", label="kind")
    test = load_labelled(f"csv:{path}", "test", label="kind")
    assert len(train) + len(test) == 60 and len(test) == 12 and train.inputs.shape[1:] == (40, 1)
    assert train.info["class_names"] == ["bump", "ramp"] and train.info["recipe"]["sha256"]
    with pytest.raises(DataError, match="has no column 'label'"):
        load_labelled(f"csv:{path}", "train")
    frame = pd.read_csv(path)
    frame = frame.astype({"t5": object})
    frame.loc[3, "t5"] = "x"
    frame.to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(DataError, match="line 5: column 't5' holds 'x', not a number"):
        load_labelled(f"csv:{tmp_path / 'bad.csv'}", "train", label="kind")
    x = np.random.default_rng(0).normal(size=(30, 20, 3))
    np.savez(tmp_path / "own.npz", X=x[:20], y=np.arange(20) % 2, X_test=x[20:], y_test=np.arange(10) % 2)
    own = load_labelled(f"npz:{tmp_path / 'own.npz'}", "test")
    assert own.inputs.shape == (10, 20, 3) and own.info["split"] == "the file's own split"
    np.savez(tmp_path / "one.npz", X=x, y=np.zeros(30))
    with pytest.raises(DataError, match="one class"):
        load_labelled(f"npz:{tmp_path / 'one.npz'}", "train")
    np.savez(tmp_path / "nolabels.npz", X=x)
    with pytest.raises(DataError, match="must hold arrays X and y"):
        load_labelled(f"npz:{tmp_path / 'nolabels.npz'}", "train")


@pytest.mark.slow
def test_baselines_reproduce_the_ucr_archive_figures():
    """1-NN Euclidean and 1-NN DTW (full window) on ItalyPowerDemand's published split: 95.5% and
    95.0%, the archive's error rates 0.045 and 0.050."""
    from zoo.sequence.baselines import classification_baselines

    train, test = load_labelled("aeon:ItalyPowerDemand", "train"), load_labelled("aeon:ItalyPowerDemand", "test")
    found = classification_baselines(train.inputs, train.targets, test.inputs, test.targets)
    assert found["nn_euclidean"]["test_accuracy"] == pytest.approx(0.955, abs=5e-4)
    assert found["nn_dtw"]["test_accuracy"] == pytest.approx(0.950, abs=5e-4)
    assert found["rocket"]["test_accuracy"] > 0.95


@pytest.mark.slow
def test_own_csv_end_to_end(tmp_path):
    path = shapes_file(tmp_path)
    out = tmp_path / "run"
    args = ["--dataset", f"csv:{path}", "--label", "kind", "--units", "16", "--epochs", "30", "--batch-size", "16"]
    trained = run_cli("train.sequence_classifier", *args, "--out", str(out), "--quiet", "--no-export")
    assert trained.returncode == 0, trained.stderr
    card = json.loads((out / "card.json").read_text())
    assert card["name"] == "bilstm-shapes" and card["data"]["class_names"] == ["bump", "ramp"]
    metrics = card["metrics"]
    assert metrics["test_accuracy"] >= 0.9 and {"nn_euclidean", "nn_dtw", "rocket"} <= set(metrics)
    evaluated = run_cli("zoo.evaluate", str(out))
    assert evaluated.returncode == 0 and "test_accuracy" in evaluated.stdout, evaluated.stderr
    exported = run_cli("export", str(out), "--out", str(tmp_path / "ex"), "--format", "onnx,litert")
    assert exported.returncode == 0, exported.stderr
    report = portable_check(tmp_path / "ex", "bilstm-shapes")
    assert report["onnx"] and report["litert"]
    import zoo

    model = zoo.load(str(out))
    frame = pd.read_csv(path)
    assert model.predict_labels(frame.drop(columns="kind").to_numpy()[:4]) == list(frame.kind[:4])


@pytest.mark.slow
@pytest.mark.parametrize(
    "dataset, flags, message",
    [
        ("aeon:NoSuchSet", [], "does not ship inside aeon"),
        ("GunPoint", [], "unknown sequence dataset"),
        ("csv:{dir}/missing.csv", [], "does not exist"),
        ("csv:{dir}/shapes.csv", [], "has no column 'label'"),
        ("aeon:GunPoint", ["--label", "y"], "--label names a column of a csv: file"),
        ("aeon:JapaneseVowels", [], "different lengths"),
    ],
)
def test_bad_sequence_data_one_line_exit_2_nothing_written(tmp_path, dataset, flags, message):
    shapes_file(tmp_path)
    out = tmp_path / "run"
    result = run_cli("train.sequence_classifier", "--dataset", dataset.format(dir=tmp_path), *flags, "--out", str(out))
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2 and len(lines) == 1 and message in lines[0], result.stderr
    assert not out.exists()
