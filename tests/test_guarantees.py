"""README "What a run guarantees": one run per folder (lock), Ctrl-C and kill, resume keeps its recipe, names
and paths never confused, a run's weights checked against its card — each through the real entry
points where a user meets it."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from conftest import ROOT, run_cli

import zoo
from zoo import checkpoint, registry
from zoo.errors import UnknownNameError, WeightsError

TINY = ["--limit", "128", "--batch-size", "32", "--latent-dim", "8", "--width", "8", "--no-export", "--quiet"]


def _one_line(stderr):
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


def _as_in_a_terminal():
    """Ctrl-C reaches a command run in a terminal: SIGINT at its default. (A suite started in the
    background of a script, `pytest &`, inherits SIGINT ignored, and Python then installs no
    KeyboardInterrupt handler, so the trainer would never see the Ctrl-C this test sends.)"""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.slow
def test_one_process_per_folder_ctrl_c_and_resume_keeps_its_recipe(tmp_path):
    out = tmp_path / "run"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    first = subprocess.Popen(
        [sys.executable, "-m", "train.dcgan", *TINY, "--epochs", "500", "--out", str(out)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_as_in_a_terminal,
    )
    try:
        deadline = time.time() + 240
        while not (out / "checkpoint.npz").is_file():
            assert first.poll() is None and time.time() < deadline, first.communicate()[1][-2000:]
            time.sleep(0.5)
        # A second process on the same folder is refused while the first one trains.
        second = run_cli("train.dcgan", *TINY, "--epochs", "500", "--out", str(out), "--resume")
        assert second.returncode == 2
        assert "another training process is writing to" in _one_line(second.stderr)
        first.send_signal(signal.SIGINT)  # Ctrl-C
        _, stderr = first.communicate(timeout=120)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == 130 and "Traceback" not in stderr
    line = stderr.strip().splitlines()[-1]  # (after the run's own warnings: the collapse monitor's)
    done = checkpoint.read_meta(out / "checkpoint.npz")["epoch"]
    assert line == f"interrupted after epoch {done}; continue with --resume (same --out)" and done >= 1
    # --resume must keep what shapes the data and steps; the checkpoint is left as it was.
    before = (out / "checkpoint.npz").read_bytes()
    changed = run_cli(
        "train.dcgan", *TINY[:2], "--batch-size", "64", *TINY[4:], "--epochs", "500", "--out", str(out), "--resume"
    )
    assert changed.returncode == 2
    assert "--resume with --batch-size 64, but the run in" in _one_line(changed.stderr)
    recipe = run_cli("train.dcgan", *TINY, "--r1-gamma", "0", "--epochs", "500", "--out", str(out), "--resume")
    assert recipe.returncode == 2 and "--resume with --r1-gamma 0.0, but the run in" in _one_line(recipe.stderr)
    normalised = run_cli("train.dcgan", *TINY, "--spectral-norm", "--epochs", "500", "--out", str(out), "--resume")
    assert normalised.returncode == 2
    assert "--resume with --spectral-norm, but the run in" in _one_line(normalised.stderr)
    assert _one_line(normalised.stderr).endswith("used no --spectral-norm")
    assert (out / "checkpoint.npz").read_bytes() == before
    assert not (out / "card.json").exists()
    # `kill` (SIGTERM, as schedulers send) stops a run like Ctrl-C, after at least one more epoch here.
    resumed = subprocess.Popen(
        [sys.executable, "-m", "train.dcgan", *TINY, "--epochs", "500", "--out", str(out), "--resume"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.time() + 240
        while checkpoint.read_meta(out / "checkpoint.npz")["epoch"] == done:
            assert resumed.poll() is None and time.time() < deadline, resumed.communicate()[1][-2000:]
            time.sleep(0.5)
        resumed.terminate()  # SIGTERM
        try:
            _, stderr = resumed.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            resumed.send_signal(signal.SIGUSR1)  # the run's Python stacks, to say where it hung
            time.sleep(5)
            resumed.kill()
            pytest.fail("SIGTERM did not stop the run in 120 s:\n" + resumed.communicate()[1][-6000:])
    finally:
        if resumed.poll() is None:
            resumed.kill()
    assert resumed.returncode == 143 and "Traceback" not in stderr
    later = checkpoint.read_meta(out / "checkpoint.npz")["epoch"]
    assert later > done
    assert (
        stderr.strip().splitlines()[-1]
        == f"terminated (SIGTERM) after epoch {later}; continue with --resume (same --out)"
    )
    # An unfinished run is named as such, not as an unknown model.
    unfinished = run_cli("export", str(out), "--out", str(tmp_path / "ex"))
    assert unfinished.returncode == 2 and "has not finished" in _one_line(unfinished.stderr)


@pytest.fixture
def copied_entry(tmp_path, monkeypatch):
    """A folder named like the shipped entry, holding a copy of it as a run folder, in the cwd."""
    name = "dcgan-mnist"
    folder = tmp_path / name
    folder.mkdir()
    shutil.copy(registry.weights_path(name, registry.card(name)), folder / "model.weights.h5")
    card = registry.card(name)
    card["weights"] = {"sha256": registry.sha256(folder / "model.weights.h5")}
    (folder / "card.json").write_text(json.dumps(card))
    monkeypatch.chdir(tmp_path)
    return name, folder


def test_names_and_paths_are_never_confused(copied_entry):
    name, folder = copied_entry
    with pytest.raises(UnknownNameError, match=f"write ./{name} for the folder"):
        zoo.load(name)
    model = zoo.load(f"./{name}")  # the folder
    assert not registry.is_entry(f"./{name}") and registry.is_path(f"./{name}")
    np.testing.assert_array_equal(model.sample(2, seed=3), zoo.load(str(folder)).sample(2, seed=3))


def test_a_run_folder_with_swapped_weights_is_refused(copied_entry):
    name, folder = copied_entry
    shutil.copy(registry.weights_path("cgan-mnist", registry.card("cgan-mnist")), folder / "model.weights.h5")
    with pytest.raises(WeightsError, match="does not match its card's sha256"):
        zoo.load(f"./{name}")


def test_the_command_line_refuses_an_ambiguous_name(copied_entry):
    name, folder = copied_entry
    result = subprocess.run(
        [sys.executable, "-m", "zoo.evaluate", name],
        cwd=folder.parent,
        env={**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2 and "is both a shipped entry and a folder here" in _one_line(result.stderr)


def test_a_card_whose_config_has_an_extra_key_is_a_typed_error(copied_entry):
    name, folder = copied_entry
    card = json.loads((folder / "card.json").read_text())
    card["config"]["no_such_argument"] = 1
    (folder / "card.json").write_text(json.dumps(card))
    with pytest.raises(WeightsError, match="does not fit architecture"):
        zoo.load(f"./{name}")
