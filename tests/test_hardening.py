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
