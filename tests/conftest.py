import os
import subprocess
import sys
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]

import zoo  # noqa: E402  (loads TensorFlow quietly once for the whole session)


@pytest.fixture(autouse=True)
def _seeded():
    """Every test starts from the same Python/NumPy/TensorFlow seeds: weight initialisation included."""
    import keras

    keras.utils.set_random_seed(1234)


def tiny_dcgan(**overrides):
    config = dict(latent_dim=8, image_shape=(8, 8, 1), width=4, seed=1)
    config.update(overrides)
    return zoo.DCGAN(**config)


@pytest.fixture
def tiny():
    return tiny_dcgan


def run_cli(*args, timeout=600):
    """Run `python -m ...` from the repo root; returns CompletedProcess with text output."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture
def cli():
    return run_cli


def portable_check(folder, name):
    """Run export/portable_check.py (no TensorFlow in that process) on an export; its JSON report.
    Fails the test if any replayed artifact differs from the saved Keras outputs."""
    import json

    r = subprocess.run(
        [sys.executable, str(ROOT / "export" / "portable_check.py"), str(folder), name],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1])
