"""Hardening through the real entry points: absurd sample counts, a background run stopped with
`kill -INT`, messages and help that say what they mean, metrics on tiny references flagged."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from conftest import ROOT, run_cli

import zoo
from zoo.errors import InputError


def test_an_absurd_number_of_samples_is_refused_before_any_memory_is_taken():
    gan = zoo.load("dcgan-mnist")
    started = time.time()
    with pytest.raises(InputError, match="more than one call draws"):
        gan.sample(10**9)
    assert time.time() - started < 1.0
    with pytest.raises(InputError, match="more than one call draws"):
        zoo.load("vae-mnist").sample(10**9)
    from zoo.generate import generate

    started = time.time()
    with pytest.raises(InputError, match="more than one call draws"):  # before 10**10 labels take 40 GB
        generate(zoo.load("cgan-mnist"), per_class=10**9)
    assert time.time() - started < 1.0


def test_helps_say_everything_they_offer():
    vis = run_cli("zoo.vis", "--help")
    assert vis.returncode == 0 and "pairs" in vis.stdout
    decoding = run_cli("zoo.decoding", "--help")
    assert "a phone or a server runs on an exported model" in " ".join(decoding.stdout.split())


def test_a_tiny_reference_is_flagged_with_the_numbers():
    from zoo.data import ImageSet
    from zoo.evaluation import sanity
    from zoo.evaluation.features import FeatureNetwork

    class Judge(FeatureNetwork):
        name = "judge"

        def features(self, images):
            return np.random.default_rng(0).standard_normal((len(images), 128))

    data = ImageSet("toy", "test", np.zeros((9, 4, 4, 1), np.uint8), np.zeros(9, np.int32))
    report = sanity.check(Judge(), data, np.zeros((9, 4, 4, 1), np.float32))
    assert "9 images for 128-dimensional features" in report["caveats"][0]


@pytest.mark.slow
def test_kill_int_stops_a_background_run_that_ignores_sigint(tmp_path):
    """A job a script starts in the background has SIGINT ignored; the run installs its own handler, so
    `kill -INT PID` ends it as Ctrl-C does: one line, exit 130, a resumable checkpoint."""
    out = tmp_path / "run"
    args = ["--width", "8", "--latent-dim", "16", "--epochs", "50", "--quiet", "--no-export", "--out", str(out)]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    process = subprocess.Popen(
        [sys.executable, "-m", "train.dcgan", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    deadline = time.time() + 300
    while not (out / "checkpoint.npz").is_file() and time.time() < deadline and process.poll() is None:
        time.sleep(0.5)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "interrupted after epoch" in stderr and "continue with --resume" in stderr
    done = run_cli("train.dcgan", *args[:-6], "--epochs", "1", "--resume", "--quiet", "--no-export", "--out", str(out))
    import re

    found = re.search(r"already completed (\d+) (epochs?);", done.stderr)
    assert done.returncode == 2 and found, done.stderr
    assert found.group(2) == ("epoch" if found.group(1) == "1" else "epochs")


# ---- #36 items 6, 7, 8, 10-12, 15, 16 ----------------------------------------------------------------
def _one_line(result):
    lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
    assert result.returncode == 2 and lines, result.stderr
    return lines[-1]


def test_settings_that_cannot_work_are_refused_before_tensorflow_loads(tmp_path):
    """An unknown --dataset, a missing folder, an unwritable --out and --freeze without trained weights
    are each refused in one line, in well under the ~9 s TensorFlow takes to load."""
    for args, expected in [
        (["train.dcgan", "--dataset", "mnsit5k"], "unknown dataset 'mnsit5k'"),
        (["train.cgan", "--dataset", f"folder:{tmp_path / 'nowhere'}"], "does not exist"),
        (["train.classifier", "--out", "/proc/zoo/run"], "cannot write to"),
        (["train.dcgan", "--freeze", "generator"], "--from-pretrained"),
        (["train.cyclegan", "--dataset-b", "nope"], "unknown dataset 'nope'"),
    ]:
        started = time.time()
        r = run_cli(*args, "--epochs", "1", "--out", str(tmp_path / "run")) if "--out" not in args else run_cli(*args)
        assert expected in _one_line(r), (args, r.stderr)
        assert time.time() - started < 5, (args, time.time() - started)
        assert not (tmp_path / "run").exists()


@pytest.mark.slow
def test_a_one_class_classifier_and_freezing_every_player_are_refused_and_an_empty_class_is_said(tmp_path):
    from PIL import Image

    for name in ("a", "empty"):
        (tmp_path / "one" / name).mkdir(parents=True)
    for i in range(8):
        Image.fromarray(np.full((16, 16, 3), 30 * i, np.uint8)).save(tmp_path / "one" / "a" / f"{i}.png")
    r = run_cli("train.classifier", "--dataset", f"folder:{tmp_path / 'one'}", "--batch-size", "2", "--epochs", "1")
    assert "a classifier needs at least two" in _one_line(r) and "class folder(s) empty hold no images" in r.stderr
    # dcgan-mnist keeps a moving average of its generator: that copy is not trained, so freezing both
    # players leaves nothing to train (it used to count the average's weights and train nothing)
    flags = ["--from-pretrained", "dcgan-mnist", "--freeze", "generator", "--freeze", "discriminator"]
    r = run_cli("train.dcgan", *flags, "--epochs", "1", "--limit", "64", "--out", str(tmp_path / "frozen"))
    assert "leaves nothing to train" in _one_line(r)
    assert not (tmp_path / "frozen" / "card.json").exists()


def test_messages_name_the_file_the_time_axis_and_the_way_out(tmp_path):
    from PIL import Image

    from zoo.data import load_images
    from zoo.errors import DataError
    from zoo.vis import _fit

    for name in ("a", "b"):
        (tmp_path / "bad" / name).mkdir(parents=True)
        Image.fromarray(np.zeros((8, 8), np.uint8)).save(tmp_path / "bad" / name / "ok.png")
    (tmp_path / "bad" / "b" / "notes.png").write_text("not an image")
    with pytest.raises(DataError) as caught:
        load_images(f"folder:{tmp_path / 'bad'}", "train")
    assert "notes.png" in str(caught.value) and "BytesIO" not in str(caught.value)
    with pytest.raises(InputError, match=r"must have shape \[N, T, 1\]"):
        zoo.load("lstm-stacked-sunspots").endpoints()["forecast"](history=np.zeros((1, 40, 2), np.float32))
    with pytest.raises(InputError, match="smaller than the model's 28x28: resize or pad"):
        zoo.load("pix2pix-edges-mnist").translate(np.zeros((1, 27, 27, 1), np.float32), tile=True)
    title = _fit("input: 8 held-out images of folder:/tmp/a/very/long/path/shapes32, then 8 generated", 8 * 22)
    assert title == "input: 8 held-out images of folder:shapes32, then 8 generated"
    assert len(_fit("x" * 500, 66)) == 66


def test_calibration_with_fewer_examples_than_steps_cycles_real_ones_and_says_so():
    from export import calibration_source, representative_inputs

    class Few:
        recipe = {"dataset": "folder:/data/few"}

        def calibration_inputs(self, n):
            return {"classify": {"images": np.arange(5 * 4, dtype=np.float32).reshape(5, 2, 2, 1)}}

    endpoints = zoo.load("classifier-mnist").endpoints()
    own, said = calibration_source(Few(), endpoints)
    assert said["classify"] == "all 5 training examples of folder:/data/few (the run's data), cycled to 64 steps"
    steps = list(representative_inputs(Few(), endpoints, own=own))
    assert len(steps) == 64 and all(batch["images"].shape == (1, 2, 2, 1) for _, batch in steps)
    assert [int(batch["images"][0, 0, 0, 0]) // 4 for _, batch in steps[:7]] == [0, 1, 2, 3, 4, 0, 1]


@pytest.mark.slow
def test_quantized_files_that_change_text_say_so_and_decoding_points_to_text(shipped_exports):
    import json

    out, exported = shipped_exports
    report = json.loads((out / "gru-attention-dates.export.json").read_text())
    dynamic = report["litert_quantized"]["dynamic"]
    share = dynamic["integer_outputs_changed"]["translate"]["target"]
    if share:  # the console line says how many answers changed, and the report marks the variant
        assert dynamic["changes_discrete_outputs"] == {"translate": ["target"]}
        assert f"CHANGES {share:.1%} of 'target' values (different answers)" in exported.stdout
    r = run_cli("zoo.decoding", str(out), "gru-attention-dates", "--prompt", "12. März")
    assert "--text" in _one_line(r)


@pytest.mark.slow
def test_generate_from_a_folder_run_names_the_classes_and_records_the_weights(tmp_path):
    import json

    from shapes import write_folder

    data = write_folder(tmp_path / "shapes", per_class=8, size=16)
    run = tmp_path / "run"
    flags = ["--width", "4", "--latent-dim", "8", "--batch-size", "8", "--epochs", "1", "--quiet", "--no-export"]
    r = run_cli("train.cgan", "--dataset", f"folder:{data}", *flags, "--out", str(run))
    assert r.returncode == 0, r.stderr
    r = run_cli("zoo.generate", str(run), "--per-class", "2", "--out", str(tmp_path / "synthetic"))
    assert r.returncode == 0, r.stderr
    info = json.loads((tmp_path / "synthetic" / "dataset_info.json").read_text())
    card = json.loads((run / "card.json").read_text())
    assert info["weights_sha256"] == card["weights"]["sha256"] and info["weights_sha256"]
    assert info["class_names"] == card["data"]["class_names"] == ["circle", "square", "triangle"]
    assert sorted(p.name for p in (tmp_path / "synthetic" / "train").iterdir()) == ["circle", "square", "triangle"]


@pytest.mark.slow
def test_real_pairs_name_the_run_once_carry_no_classes_and_say_why_no_classifier_fits(tmp_path):
    import json

    from PIL import Image

    root = tmp_path / "pairs"
    for side in ("A", "B"):
        (root / side).mkdir(parents=True)
        for i in range(10):
            Image.fromarray(np.full((8, 8, 3), 20 * i + (0 if side == "A" else 9), np.uint8)).save(
                root / side / f"{i}.png"
            )
    flags = ["--pairing", "pairs", "--width", "4", "--batch-size", "4", "--epochs", "1", "--quiet", "--no-export"]
    r = run_cli("train.pix2pix", "--dataset", f"folder:{root}", *flags, "--out", str(tmp_path / "run"))
    assert r.returncode == 0, r.stderr
    card = json.loads((tmp_path / "run" / "card.json").read_text())
    assert card["name"] == "pix2pix-pairs" and card["data"]["class_names"] == []
    r = run_cli("zoo.evaluate", str(tmp_path / "run"))
    assert "no classes to train a classifier on" in r.stderr + r.stdout
