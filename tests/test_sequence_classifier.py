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
    vowels = load_labelled("aeon:JapaneseVowels", "train")  # different lengths: padded, with each one's length
    assert vowels.inputs.shape == (270, 29, 12) and vowels.lengths.min() == 7 and vowels.lengths.max() == 26
    assert vowels.info["variable_length"] and (vowels.inputs[0, vowels.lengths[0] :] == 0).all()
    assert load_labelled("aeon:JapaneseVowels", "test").inputs.shape == (370, 29, 12)  # the longest of both splits
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


def evaluated_and_exported(run, folder, name):
    """`python -m zoo.evaluate RUN` prints the accuracy; `python -m export RUN` writes ONNX and LiteRT
    files that replay the Keras outputs without TensorFlow."""
    evaluated = run_cli("zoo.evaluate", str(run))
    assert evaluated.returncode == 0 and "test_accuracy" in evaluated.stdout, evaluated.stderr
    exported = run_cli("export", str(run), "--out", str(folder), "--format", "onnx,litert")
    assert exported.returncode == 0, exported.stderr
    report = portable_check(folder, name)
    assert report["onnx"] and report["litert"]


def trained_on(path, out):
    """The card of `python -m train.sequence_classifier --dataset csv:PATH --label kind` (30 epochs, 16 units)."""
    args = ["--dataset", f"csv:{path}", "--label", "kind", "--units", "16", "--epochs", "30", "--batch-size", "16"]
    trained = run_cli("train.sequence_classifier", *args, "--out", str(out), "--quiet", "--no-export")
    assert trained.returncode == 0, trained.stderr
    return json.loads((out / "card.json").read_text())


@pytest.mark.slow
def test_own_csv_end_to_end(tmp_path):
    path = shapes_file(tmp_path)
    out = tmp_path / "run"
    card = trained_on(path, out)
    assert card["name"] == "bilstm-shapes" and card["data"]["class_names"] == ["bump", "ramp"]
    metrics = card["metrics"]
    assert metrics["test_accuracy"] >= 0.9 and {"nn_euclidean", "nn_dtw", "rocket"} <= set(metrics)
    evaluated_and_exported(out, tmp_path / "ex", "bilstm-shapes")
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
        ("csv:{dir}/gap.csv", ["--label", "kind"], "gap.csv line 4: step 3 is empty but later steps are not"),
    ],
)
def test_bad_sequence_data_one_line_exit_2_nothing_written(tmp_path, dataset, flags, message):
    shapes_file(tmp_path)
    ragged_file(tmp_path, name="gap.csv", gap_at=(2, "t2"))
    out = tmp_path / "run"
    result = run_cli("train.sequence_classifier", "--dataset", dataset.format(dir=tmp_path), *flags, "--out", str(out))
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2 and len(lines) == 1 and message in lines[0], result.stderr
    assert not out.exists()


def ragged_file(tmp_path, n=60, name="ragged.csv", gap_at=None, seed=0):
    """shapes_file's two classes at lengths 20..40: each row ends in empty cells after its last value."""
    rng = np.random.default_rng(seed)
    rows, labels = [], []
    for i in range(n):
        length = int(rng.integers(20, 41))
        t = np.linspace(0, 1, length)
        kind = ["ramp", "bump"][i % 2]
        shape = t if kind == "ramp" else np.exp(-((t - 0.5) ** 2) / 0.01)
        rows.append(np.pad(3 * shape + rng.normal(0, 0.2, length), (0, 40 - length), constant_values=np.nan))
        labels.append(kind)
    frame = pd.DataFrame(np.array(rows), columns=[f"t{i}" for i in range(40)])
    frame.insert(0, "kind", labels)
    if gap_at:
        frame.loc[gap_at] = np.nan
    frame.to_csv(tmp_path / name, index=False)
    return tmp_path / name


def test_sequences_of_different_lengths_from_csv_and_npz(tmp_path):
    path = ragged_file(tmp_path)
    train = load_labelled(f"csv:{path}", "train", label="kind")
    frame = pd.read_csv(path)
    assert train.info["variable_length"] and train.info["min_length"] >= 20 and train.inputs.shape[1] == 40
    whole = frame.drop(columns="kind").notna().sum(axis=1).to_numpy()
    assert sorted(
        train.lengths.tolist() + load_labelled(f"csv:{path}", "test", label="kind").lengths.tolist()
    ) == sorted(whole.tolist())
    with pytest.raises(DataError, match="line 4: step 3 is empty but later steps are not"):
        load_labelled(f"csv:{ragged_file(tmp_path, name='gap.csv', gap_at=(2, 't2'))}", "train", label="kind")
    x = np.random.default_rng(0).normal(size=(30, 20, 3))
    x[0, 15:] = np.nan  # a shorter first sequence
    np.savez(tmp_path / "ragged.npz", X=x, y=np.arange(30) % 2)
    own = [load_labelled(f"npz:{tmp_path / 'ragged.npz'}", s) for s in ("train", "test")]
    assert sorted(np.concatenate([o.lengths for o in own]).tolist()) == [15] + [20] * 29
    x[1, 5, 0] = np.nan  # one channel missing at one step
    np.savez(tmp_path / "holes.npz", X=x, y=np.arange(30) % 2)
    with pytest.raises(DataError, match="some channels are NaN and others not"):
        load_labelled(f"npz:{tmp_path / 'holes.npz'}", "train")


def test_a_variable_length_model_masks_the_padding_and_checks_lengths():
    from zoo.errors import InputError
    from zoo.sequence import SeriesClassifier

    model = SeriesClassifier(features=2, num_classes=3, steps=12, cell="bilstm", units=8, variable_length=True)
    rng = np.random.default_rng(0)
    parts = [rng.normal(size=(n, 2)).astype(np.float32) for n in (5, 12, 9)]
    listed = model.probabilities(parts)
    padded = np.zeros((3, 12, 2), np.float32)
    for i, p in enumerate(parts):
        padded[i, : len(p)] = p
    np.testing.assert_allclose(model.probabilities(padded, [5, 12, 9]), listed, rtol=1e-5, atol=1e-6)
    noise = padded + (np.arange(12)[None, :, None] >= np.array([5, 12, 9])[:, None, None]) * 7.0
    np.testing.assert_allclose(model.probabilities(noise, [5, 12, 9]), listed, rtol=1e-5, atol=1e-6)  # never read
    alone = model.probabilities(parts[:1])  # the same sequence, padded less
    np.testing.assert_allclose(alone, listed[:1], rtol=1e-5, atol=1e-6)
    with pytest.raises(InputError, match="lengths must be"):
        model.probabilities(padded, [5, 13, 9])
    from zoo.serving.endpoints import Endpoint, Input

    endpoint = model.endpoints()["classify"]
    rebuilt = Endpoint(  # as zoo.serve rebuilds it from an export's report: the same checks, HTTP 400
        "classify", endpoint.fn, {k: Input.described(v.describe()) for k, v in endpoint.inputs.items()}
    )
    for call in (endpoint, rebuilt):
        np.testing.assert_allclose(call(sequences=padded, lengths=[5, 12, 9])["probabilities"], listed, atol=1e-5)
        with pytest.raises(InputError, match=r"'lengths' must lie in \[1, 12\] \(the size of 'sequences' on axis 1\)"):
            call(sequences=padded, lengths=[5, 13, 9])
        with pytest.raises(InputError, match="must lie in"):
            call(sequences=padded, lengths=[0, 12, 9])
    with pytest.raises(InputError, match="either a list of sequences or padded sequences"):
        model.probabilities(parts, [5, 12, 9])
    fixed = SeriesClassifier(features=2, num_classes=3, steps=12, units=8)
    with pytest.raises(InputError, match="trained on sequences of one length"):
        fixed.probabilities(parts)
    with pytest.raises(InputError, match="takes none"):
        fixed.probabilities(padded, [5, 12, 9])


@pytest.mark.slow
def test_variable_length_csv_end_to_end(tmp_path):
    path = ragged_file(tmp_path)
    out = tmp_path / "run"
    card = trained_on(path, out)
    assert card["config"]["variable_length"] and card["data"]["variable_length"]
    metrics = card["metrics"]
    assert metrics["test_accuracy"] >= 0.9, metrics
    assert metrics["nn_euclidean"] == {"not_measured": "1-NN Euclidean needs sequences of one length"}
    assert metrics["nn_dtw"]["test_accuracy"] > 0.5 and "zero-padded" in metrics["baselines_protocol"]
    evaluated_and_exported(out, tmp_path / "ex", "bilstm-ragged")  # sequences and lengths, replayed without TF
    import zoo

    model = zoo.load(str(out))
    frame = pd.read_csv(path)
    rows = [row.dropna().to_numpy() for _, row in frame.drop(columns="kind").iloc[:6].iterrows()]
    assert model.predict_labels(rows) == list(frame.kind[:6])
