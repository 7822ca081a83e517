import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]
# floors and other caches go to a folder of this test run, not the user's ~/.cache (subprocesses inherit it)
os.environ["ZOO_CACHE_DIR"] = tempfile.mkdtemp(prefix="zoo-cache-")

import zoo  # noqa: E402  (loads TensorFlow quietly once for the whole session)

#: fixtures that train or export for minutes: a test using one belongs to the full suite only
HEAVY_FIXTURES = ("shipped_exports", "srgan_run", "server")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if any(f in HEAVY_FIXTURES for f in item.fixturenames):
            item.add_marker(pytest.mark.slow)


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


def assert_hand_computed_average(model, decay, steps, train_step):
    """Run `train_step` `steps` times and check each (network, average) pair the model keeps
    (`averaged_networks`) against the moving average computed here by hand, with the zoo's warm-up
    d_t = min(decay, (1 + t) / (10 + t)) (t = generator steps taken)."""
    import numpy as np

    pairs = model.averaged_networks()
    assert pairs, "the model keeps no moving average"
    average = [[w.numpy().astype(np.float64) for w in network.weights] for network, _ in pairs]
    for step in range(1, steps + 1):
        train_step()
        d = min(decay, (1 + step) / (10 + step))
        average = [[d * a + (1 - d) * w.numpy() for a, w in zip(avg, n.weights)] for avg, (n, _) in zip(average, pairs)]
    for (_, kept), want in zip(pairs, average):
        for got, w in zip(kept.weights, want):
            np.testing.assert_allclose(got.numpy(), w, rtol=1e-5, atol=1e-6)


def run_cli(*args, timeout=600):
    """Run `python -m ...` from the repo root; returns CompletedProcess with text output."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture
def cli():
    return run_cli


def portable_check(folder, *names):
    """Run export/portable_check.py (no TensorFlow in that process) on an export; its JSON report
    (one per name when given several). Fails the test if any replayed artifact differs from the saved
    Keras outputs, or a quantized file from the figure its export recorded."""
    import json

    r = subprocess.run(
        [sys.executable, str(ROOT / "export" / "portable_check.py"), str(folder), *names],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    reports = [json.loads(line) for line in r.stdout.strip().splitlines() if line.startswith("{")]
    return reports[0] if len(names) == 1 else {report["name"]: report for report in reports}


@pytest.fixture(scope="session")
def shipped_exports(tmp_path_factory):
    """Every shipped entry exported once per test run with the default command a user types,
    `python -m export NAME ...` (all formats): two such processes side by side, half the entries
    each (conversion is mostly single-threaded, so two cores halve the wall time). Under xdist the
    first worker that needs it exports, holding a lock, and the others wait and read the same folder.
    (folder, CompletedProcess-like with the returncode, stdout and stderr of both)."""
    import fcntl
    import json
    import types

    shared = tmp_path_factory.getbasetemp()
    shared = shared.parent if os.environ.get("PYTEST_XDIST_WORKER") else shared  # the run's, not the worker's
    out, record = shared / "shipped-exports", shared / "shipped-exports.json"
    with open(shared / "shipped-exports.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not record.is_file():
            record.write_text(json.dumps(vars(_export_every_entry(out))))
    return out, types.SimpleNamespace(**json.loads(record.read_text()))


def _export_every_entry(out):
    import types

    out.mkdir(parents=True, exist_ok=True)
    names = zoo.available()
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "export", *names[half::2], "--out", str(out)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for half in (0, 1)
    ]
    outputs = [process.communicate(timeout=1800) for process in processes]
    return types.SimpleNamespace(
        returncode=max(process.returncode for process in processes),
        stdout="".join(o for o, _ in outputs),
        stderr="".join(e for _, e in outputs),
    )
