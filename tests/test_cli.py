"""The command lines a user types: train, resume after a kill, export, and their errors."""

import csv
import hashlib
import json
import os
import signal
import subprocess
import sys
import time

import h5py
import numpy as np
import pytest
from conftest import ROOT, run_cli

from train.callbacks import NonFiniteGuard
from zoo.errors import TrainingDiverged

TINY = ["--limit", "256", "--batch-size", "32", "--width", "4", "--latent-dim", "8", "--quiet"]


def one_error_line(result):
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_help_documents_the_flags():
    result = run_cli("train.dcgan", "--help")
    assert result.returncode == 0
    for flag in (
        "--dataset",
        "--epochs",
        "--batch-size",
        "--loss",
        "--latent-dim",
        "--lr",
        "--seed",
        "--out",
        "--resume",
    ):
        assert flag in result.stdout
    assert "wgan-gp" in result.stdout and "tfds:" in result.stdout


@pytest.mark.slow
@pytest.mark.parametrize(
    "args, message",
    [
        (["--epochs", "0"], "--epochs: must be a positive integer"),
        (["--batch-size", "-4"], "--batch-size: must be a positive integer"),
        (["--lr", "nan"], "--lr: must be a positive finite number"),
        (["--loss", "wasserstein"], "invalid choice: 'wasserstein'"),
        (["--r1-gamma", "-1"], "--r1-gamma: must be 0 or a positive finite number"),
        (["--lr-d", "0"], "--lr-d: must be a positive finite number"),
        (["--dataset", "mnist4k"], "unknown dataset 'mnist4k' (did you mean: mnist5k"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(tmp_path, args, message):
    line = one_error_line(run_cli("train.dcgan", *args, "--out", str(tmp_path / "run")))
    assert message in line
    assert not (tmp_path / "run").exists()


@pytest.mark.slow
def test_unwritable_output_folder(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    line = one_error_line(run_cli("train.dcgan", *TINY, "--out", str(blocker / "run")))
    assert "cannot write to" in line and "is a file, not a folder" in line


def weights(path):
    with h5py.File(path) as f:
        found = {}
        f.visititems(lambda name, obj: found.__setitem__(name, obj[()]) if isinstance(obj, h5py.Dataset) else None)
        return found


@pytest.mark.slow
def test_full_run_leaves_every_artifact_and_refuses_to_overwrite(tmp_path):
    out = tmp_path / "run"
    result = run_cli("train.dcgan", *TINY, "--epochs", "2", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (out / "samples").iterdir()) == ["epoch_001.png", "epoch_002.png"]
    rows = list(csv.DictReader((out / "log.csv").open()))
    assert [r["epoch"] for r in rows] == ["1", "2"] and all(np.isfinite(float(r["d_loss"])) for r in rows)
    assert all(float(r["r1_penalty"]) > 0 for r in rows)  # the flagship recipe: R1 and EMA on by default
    config = json.loads((out / "card.json").read_text())["config"]
    assert config["r1_gamma"] == 1.0 and config["ema_decay"] == 0.999
    assert list((out / "tensorboard" / "train").glob("events.*")) and list(
        (out / "tensorboard" / "samples").glob("events.*")
    )
    for name in (
        "checkpoint.npz",
        "model.weights.h5",
        "card.json",
        "export/dcgan-mnist/1/saved_model.pb",
        "export/dcgan-mnist.sample.onnx",
        "export/dcgan-mnist.tflite",
        "export/dcgan-mnist.export.json",
    ):
        assert (out / name).is_file(), name
    # A second run into the same folder must not touch the first.
    before = hashlib.sha256((out / "checkpoint.npz").read_bytes()).hexdigest()
    line = one_error_line(run_cli("train.dcgan", *TINY, "--epochs", "2", "--out", str(out)))
    assert "already holds a run" in line and "--resume" in line
    assert hashlib.sha256((out / "checkpoint.npz").read_bytes()).hexdigest() == before
    # ... and the run folder exports through the export command, too: under another name than the
    # shipped entry's unless asked (TF Serving would serve its versions as dcgan-mnist).
    line = one_error_line(run_cli("export", str(out), "--format", "onnx", "--out", str(tmp_path / "exp")))
    assert "like the shipped entry" in line and not (tmp_path / "exp").exists()
    exported = run_cli("export", str(out), "--format", "onnx", "--out", str(tmp_path / "exp"), "--as", "my-dcgan")
    assert exported.returncode == 0, exported.stderr
    assert (tmp_path / "exp" / "my-dcgan.sample.onnx").is_file()


@pytest.mark.slow
def test_killed_run_resumes_to_identical_weights(tmp_path):
    # Slow enough epochs (about a second) that the kill lands mid-run.
    args = [
        "--limit",
        "1024",
        "--batch-size",
        "8",
        "--width",
        "8",
        "--latent-dim",
        "8",
        "--quiet",
        "--no-export",
        "--epochs",
        "4",
    ]
    straight = run_cli("train.dcgan", *args, "--out", str(tmp_path / "straight"))
    assert straight.returncode == 0, straight.stderr

    out = tmp_path / "killed"
    proc = subprocess.Popen(
        [sys.executable, "-m", "train.dcgan", *args, "--out", str(out)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    ckpt = out / "checkpoint.npz"
    deadline = time.time() + 300
    while not ckpt.exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    from zoo import checkpoint

    done = checkpoint.read_meta(ckpt)["epoch"]
    assert 1 <= done < 4, "the kill should interrupt the run"
    assert not (out / "model.weights.h5").exists()

    resumed = run_cli("train.dcgan", *args, "--out", str(out), "--resume")
    assert resumed.returncode == 0, resumed.stderr
    a, b = weights(tmp_path / "straight" / "model.weights.h5"), weights(out / "model.weights.h5")
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    rows = list(csv.DictReader((out / "log.csv").open()))
    assert [r["epoch"] for r in rows][-1] == "4"  # epochs counted from 1, as the card and progress bar count them


def test_resume_needs_a_checkpoint(tmp_path):
    line = one_error_line(run_cli("train.dcgan", *TINY, "--out", str(tmp_path), "--resume"))
    assert "no checkpoint" in line


def test_nan_guard_stops_with_a_clear_message():
    guard = NonFiniteGuard()
    guard.on_epoch_begin(2)
    guard.on_train_batch_end(0, {"d_loss": 0.7})
    with pytest.raises(TrainingDiverged, match=r"'g_loss' became nan at epoch 3, step 6"):
        guard.on_train_batch_end(5, {"d_loss": 0.7, "g_loss": float("nan")})


def test_export_unknown_name_exits_2_with_suggestion():
    from zoo import available

    line = one_error_line(run_cli("export", "dcgan-mnits"))
    assert "no pretrained model 'dcgan-mnits'" in line
    if "dcgan-mnist" in available():
        assert "did you mean: dcgan-mnist" in line


TRAINERS = [
    "dcgan",
    "cgan",
    "wgan_gp",
    "cyclegan",
    "stylegan",
    "srgan",
    "pix2pix",
    "classifier",
    "autoencoder",
    "ae_conv",
    "vae",
    "forecaster",
    "row_classifier",
    "char_lm",
    "seq2seq",
    "captioner",
    "text2image",
    "music",
]
NO_TENSORFLOW = (
    "import runpy, sys; sys.modules['tensorflow'] = None; sys.modules['keras'] = None; "
    "sys.argv = [sys.argv[1], *sys.argv[2:]]; runpy.run_module(sys.argv[0], run_name='__main__')"
)


def without_tensorflow(*args):
    """`python -m ARGS` in a process where importing TensorFlow fails."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-c", NO_TENSORFLOW, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    "module", [f"train.{t}" for t in TRAINERS] + ["zoo.evaluate", "zoo.vis", "zoo.generate", "export"]
)
def test_help_and_flag_errors_answer_without_tensorflow(module):
    """--help and a bad flag never import TensorFlow (~9 s here): a process where importing it fails
    still prints the help (exit 0) and the one-line error (exit 2)."""
    helped = without_tensorflow(module, "--help")
    assert helped.returncode == 0 and "usage:" in helped.stdout, helped.stderr
    bad = without_tensorflow(module, "--no-such-flag")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and len(bad.stderr.strip().splitlines()) == 1, (
        bad.stderr
    )


@pytest.mark.parametrize(
    "args, message",
    [
        (["train.ae_vanilla", "--beta", "2"], "--beta does not apply to --type vanilla"),
        (["train.char_lm", "--cell", "bilstm"], "a language model predicts from the past only"),
        (["train.captioner", "--encoder-from", "classifier-mnist"], "it needs --encoder classifier"),
        (["train.music", "--dataset", "pydoc"], "the zoo's music data is bach-chorales"),
        (["train.forecaster", "--cell", "bilstm"], "would read the history backwards too"),
        (["train.stylegan", "--mixing", "2"], "--mixing must lie in [0, 1], got 2.0"),
        (["train.wgan_gp", "--batch-size", "81"], "--batch-size 81 must be a multiple of --n-critic 5"),
    ],
)
def test_flag_combinations_are_refused_without_tensorflow(args, message, tmp_path):
    """Flags that contradict each other are refused before TensorFlow loads (they used to wait the
    ~9 s of its import, then refuse), in one line, and leave no folder behind."""
    out = tmp_path / "run"
    r = without_tensorflow(*args, "--out", str(out))
    assert r.returncode == 2 and r.stderr.startswith("error: "), r.stderr
    assert message in r.stderr and len(r.stderr.strip().splitlines()) == 1 and not out.exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["train.captioner", "--shift", "14"], "--shift: must be 0 to 13 (half a 28-pixel digit), got 14"),
        (["train.captioner", "--pairs", "0"], "--pairs: must be a positive integer, got 0"),
    ],
)
def test_bad_flag_values_are_refused_without_tensorflow(args, message, tmp_path):
    out = tmp_path / "run"
    r = without_tensorflow(*args, "--out", str(out))
    assert r.returncode == 2 and message in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert not out.exists()


def test_a_resume_that_changes_the_recipe_is_refused_without_tensorflow(tmp_path):
    """--resume's refusals need only the checkpoint's record: they come before TensorFlow loads (they
    used to come after its import and the data), and the run is left as it was."""
    import json

    import numpy as np

    from zoo import checkpoint

    out = tmp_path / "run"
    out.mkdir()
    record = {"format": checkpoint.FORMAT, "epoch": 3, "args": {"seed": 0, "batch_size": 32, "lr": 1e-3}}
    np.savez(out / "checkpoint.npz", __meta__=np.frombuffer(json.dumps(record).encode(), np.uint8))
    before = (out / "checkpoint.npz").read_bytes()
    # a run saved before --batch-norm (its generator had none), resumed with today's default
    r = without_tensorflow("train.dcgan", "--resume", "--out", str(out))
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert f"error: --resume with --batch-norm, but the run in {out} used --no-batch-norm" in r.stderr
    r = without_tensorflow("train.dcgan", "--resume", "--no-batch-norm", "--seed", "1", "--out", str(out))
    assert r.returncode == 2 and "--resume with --seed 1, but the run in" in r.stderr, r.stderr
    r = without_tensorflow("train.dcgan", "--resume", "--out", str(tmp_path / "none"))
    assert r.returncode == 2 and "--resume: no checkpoint in" in r.stderr and not (tmp_path / "none").exists()
    assert (out / "checkpoint.npz").read_bytes() == before and sorted(p.name for p in out.iterdir()) == [
        "checkpoint.npz"
    ]


def _recorded_run(folder, **args):
    """A run folder holding only a checkpoint record with these settings (as the harness writes it)."""
    import json

    import numpy as np

    from zoo import checkpoint

    folder.mkdir()
    record = {"format": checkpoint.FORMAT, "epoch": 1, "args": args}
    np.savez(folder / "checkpoint.npz", __meta__=np.frombuffer(json.dumps(record).encode(), np.uint8))
    return (folder / "checkpoint.npz").read_bytes()


@pytest.mark.parametrize(
    "trainer, recorded, changed, message",
    [
        (
            "train.ae_conv",
            {"holdout_class": 3},
            ["--holdout-class", "5"],
            "--resume with --holdout-class 5, but the run in {out} used --holdout-class 3",
        ),
        ("train.ae_conv", {"holdout_class": 3}, [], "--resume without --holdout-class, but the run in {out} used"),
        (
            "train.cyclegan",
            {"dataset_b": "digits"},
            ["--dataset-b", "mnist5k-32"],
            "--resume with --dataset-b mnist5k-32, but the run in {out} used --dataset-b digits",
        ),
        ("train.forecaster", {"units": 32}, ["--units", "64"], "--resume with --units 64"),
        ("train.forecaster", {"quantiles": [0.5]}, ["--quantiles", "0.1,0.5,0.9"], "--resume with --quantiles"),
    ],
)
def test_a_resume_that_changes_any_setting_but_the_run_length_is_refused(tmp_path, trainer, recorded, changed, message):
    """Every setting but how long a run goes and where it reports is fixed for --resume, a trainer's
    own flags included (--holdout-class, --dataset-b, the architecture): refused in one line before
    TensorFlow loads, the run left as it was."""
    out = tmp_path / "run"
    before = _recorded_run(out, **recorded)
    r = without_tensorflow(trainer, "--resume", *changed, "--out", str(out))
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert message.format(out=out) in r.stderr, r.stderr
    assert (out / "checkpoint.npz").read_bytes() == before and [p.name for p in out.iterdir()] == ["checkpoint.npz"]


def test_a_resume_may_change_the_run_length_and_its_reporting(tmp_path):
    """The same settings with another --epochs, --quiet and --no-export pass the early check (the
    process then goes on to load TensorFlow, which fails in this process: that is as far as it gets)."""
    out = tmp_path / "run"
    _recorded_run(out, holdout_class=3, quantiles=[0.5])
    r = without_tensorflow(
        "train.ae_conv",
        "--resume",
        "--holdout-class",
        "3",
        "--epochs",
        "7",
        "--quiet",
        "--no-export",
        "--out",
        str(out),
    )
    assert "--resume with" not in r.stderr and "--resume without" not in r.stderr, r.stderr
    r = without_tensorflow("train.forecaster", "--resume", "--quantiles", "0.5", "--epochs", "9", "--out", str(out))
    assert "--resume with" not in r.stderr and "--resume without" not in r.stderr, r.stderr


def test_offered_names_match_the_tables():
    from zoo import choices
    from zoo.autoencoders import TYPES
    from zoo.losses import ADVERSARIAL_LOSSES
    from zoo.sequence import CELLS
    from zoo.sequence.forecast import SERIES, TABLES
    from zoo.sequence.table import FILLS

    assert choices.TABLES == tuple(TABLES) and choices.FILLS == FILLS
    assert choices.LOSSES == tuple(ADVERSARIAL_LOSSES) and choices.AUTOENCODER_TYPES == tuple(TYPES)
    assert choices.CELLS == tuple(CELLS) and choices.SERIES == tuple(sorted(SERIES))


def test_autoencoder_defaults_shown_by_help_are_the_constructors():
    from zoo import choices
    from zoo.autoencoders import TYPES

    for kind, cls in TYPES.items():
        config = cls().get_config()
        for key, value in choices.AUTOENCODER_DEFAULTS[kind].items():
            got = tuple(config[key]) if isinstance(value, tuple) else config[key]
            assert got == value, (kind, key)


def _help(module):
    helped = without_tensorflow(module, "--help")
    assert helped.returncode == 0, helped.stderr
    return " ".join(helped.stdout.split())  # argparse wraps lines: compare on single spaces


def test_help_texts_read_correctly():
    """Switches do not claim "(default: True)", unset values do not say "(default: None)", the export
    formats are not a Python tuple, each autoencoder knob shows its type's value, and the evaluate
    description keeps its table."""
    dcgan = _help("train.dcgan")
    assert "(default: True)" not in dcgan and "(default: False)" not in dcgan and "(default: None)" not in dcgan
    assert "(default: auto)" in dcgan and "the same as --jit off --no-export" in dcgan
    sparse = _help("train.ae_sparse")
    assert "(default: None)" not in sparse and "target mean activation rho (default: 0.05)" in sparse
    assert "code size (default: vanilla 32, linear 16," in sparse
    export = _help("export")
    assert "('savedmodel'" not in export and "all (the default)" in export and export.count("(default:") == 2
    evaluate = _help("zoo.evaluate")
    assert "others their own held-out figures" in evaluate
    vis = _help("zoo.vis")
    assert "forecast a forecaster's multi-step forecasts" in vis


@pytest.mark.parametrize(
    "args, message",
    [
        (["export", "dcgan-mnist", "--out", "{file}"], "is a file, not a folder"),
        (["export", "dcgan-mnist", "--out", "/sys/zoo-export"], "cannot write to"),
        (["zoo.vis", "dcgan-mnist", "--kind", "curves", "--out", "/nonexistent/dir/x.png"], "does not exist"),
        (["zoo.vis", "dcgan-mnist", "--kind", "curves", "--out", "{tmp}/x"], "must name a .png file"),
        (["zoo.evaluate", "dcgan-mnist", "--json", "/nonexistent/d/x.json"], "does not exist"),
        (["zoo.evaluate", "dcgan-mnist", "--json", "{tmp}"], "is a folder"),
        (["zoo.generate", "cgan-mnist", "--per-class", "2", "--out", "{file}"], "is a file, not a folder"),
        (["zoo.generate", "cgan-mnist", "--per-class", "2", "--out", "{tmp}"], "not empty"),
        (["zoo.generate", "cgan-mnist", "--per-class", "2", "--seed", "-1", "--out", "{tmp}/g"], "--seed"),
        (["export", "dcgan-mnist", "cgan-mnist", "--as", "x"], "--as names one export"),
    ],
)
def test_unwritable_outputs_are_refused_before_any_work(args, message, tmp_path):
    """Each refused in one line, exit 2, before TensorFlow is imported (so before anything is computed)."""
    existing = tmp_path / "afile.txt"
    existing.write_text("keep me")
    args = [a.format(file=existing, tmp=tmp_path) for a in args]
    r = without_tensorflow(*args)
    assert r.returncode == 2 and message in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert existing.read_text() == "keep me" and sorted(p.name for p in tmp_path.iterdir()) == ["afile.txt"]
