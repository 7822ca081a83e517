"""--strategy multiworker: two worker processes on 127.0.0.1 (TF_CONFIG) end with identical weights,
equal within float tolerance to one process on the same global batch (the trainers' defaults,
generator batch norm included)."""

import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT

import zoo

TINY = [
    "--width",
    "8",
    "--latent-dim",
    "16",
    "--batch-size",
    "20",
    "--epochs",
    "1",
    "--limit",
    "40",
    "--seed",
    "3",
    "--no-export",
    "--quiet",
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def env(**extra):
    return {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **extra}


@pytest.mark.slow
@pytest.mark.parametrize("module, extra", [("dcgan", ["--dropout", "0"]), ("wgan_gp", ["--n-critic", "5"])])
def test_two_workers_equal_one_process(module, extra, tmp_path):
    single = subprocess.run(
        [sys.executable, "-m", f"train.{module}", *TINY, *extra, "--no-jit", "--out", str(tmp_path / "single")],
        cwd=ROOT,
        env=env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert single.returncode == 0, single.stderr[-2000:]
    cluster = {"worker": [f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"]}
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                f"train.{module}",
                *TINY,
                *extra,
                "--strategy",
                "multiworker",
                "--out",
                str(tmp_path / f"worker{i}"),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env(TF_CONFIG=json.dumps({"cluster": cluster, "task": {"type": "worker", "index": i}})),
        )
        for i in range(2)
    ]
    try:
        for w in workers:
            _, err = w.communicate(timeout=600)
            assert w.returncode == 0, err[-2000:]
    finally:
        for w in workers:
            w.kill()
    weights = [zoo.load(str(tmp_path / k)).get_weights() for k in ("single", "worker0", "worker1")]
    for a, b in zip(weights[1], weights[2]):
        np.testing.assert_array_equal(a, b)  # the workers agree exactly
    worst = max(float(np.abs(a - b).max()) for a, b in zip(weights[0], weights[1]))
    # ... and do what one process does with the whole batch: the generator's batch norm uses the
    # global batch's statistics (with each worker's own, checked by hand, the two workers' weights
    # differed by up to 4e-3); summing them in another order over WGAN-GP's 4-image generator batch
    # leaves ~1e-6 of rounding
    assert worst < 1e-5
    card = json.loads((tmp_path / "worker0" / "card.json").read_text())
    assert card["training"]["commands"][0].endswith("--strategy multiworker --out " + str(tmp_path / "worker0"))


@pytest.mark.slow
def test_multiworker_without_tf_config_is_a_clear_error(tmp_path, cli):
    environment = {k: v for k, v in os.environ.items() if k != "TF_CONFIG"}
    r = subprocess.run(
        [sys.executable, "-m", "train.dcgan", "--strategy", "multiworker", "--out", str(tmp_path / "x")],
        cwd=ROOT,
        env={**environment, "TF_CPP_MIN_LOG_LEVEL": "3"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 2 and "TF_CONFIG" in r.stderr
    assert not (tmp_path / "x").exists()
