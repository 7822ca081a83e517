"""`--jit auto|on|off`: the trainer's XLA choice, measured once per CPU and model and cached, kept by a
resumed run, and recorded in the card (train/jit.py)."""

import json

import numpy as np
import pytest

TINY = ["--epochs", "1", "--limit", "64", "--batch-size", "16", "--quiet", "--no-export"]


@pytest.mark.slow
def test_choose_measures_both_ways_once_then_reads_the_cache(tmp_path, monkeypatch):
    import tensorflow as tf

    import zoo
    from train import jit

    monkeypatch.setenv("ZOO_CACHE_DIR", str(tmp_path))
    made = []

    def make():
        made.append(zoo.DCGAN(latent_dim=8, image_shape=(8, 8, 1), width=4))
        return made[-1]

    batches = tf.data.Dataset.from_tensors(np.random.default_rng(0).random((4, 8, 8, 1), np.float32)).repeat()
    said = []
    first = jit.choose(make, batches, jit.MEASURE_FROM, "float32", {"learning_rate": 1e-3}, said.append)
    assert len(made) == 3  # the key's model and one copy per way
    assert said[-1].startswith(f"XLA: {'on' if first else 'off'} (measured ") and "ms/step with" in said[-1]
    entry = next(iter(json.loads((tmp_path / "jit.json").read_text()).values()))
    assert entry["jit"] == first and entry["ms_on"] > 0 and entry["ms_off"] > 0 and "cores" in entry["cpu"]
    assert (entry["ms_on"] <= entry["ms_off"]) == first

    again = jit.choose(make, batches, 1, "float32", {"learning_rate": 1e-3}, said.append)
    assert again == first and len(made) == 4  # no measurement: read back, even for a short run
    assert "measured on this CPU earlier" in said[-1]

    other = jit.choose(
        lambda: zoo.DCGAN(latent_dim=8, image_shape=(8, 8, 1), width=6), batches, 10, "float32", {}, said.append
    )
    assert other is True and said[-1].startswith("XLA: on (a 10-step run does not measure")  # another config


@pytest.mark.slow
def test_the_trainer_records_its_choice_and_a_resume_keeps_it(tmp_path, cli, monkeypatch):
    monkeypatch.setenv("ZOO_CACHE_DIR", str(tmp_path / "cache"))
    run = tmp_path / "run"
    result = cli("train.dcgan", *TINY, "--jit", "off", "--out", str(run))
    assert result.returncode == 0, result.stderr
    assert "XLA:" not in result.stdout  # chosen by the flag: nothing measured, nothing said
    assert json.loads((run / "card.json").read_text())["training"]["xla"] is False

    resumed = cli("train.dcgan", *TINY[2:], "--epochs", "2", "--resume", "--out", str(run))  # --jit auto
    assert resumed.returncode == 0, resumed.stderr
    assert "XLA:" not in resumed.stdout  # the checkpoint's choice, not a new one: one run never mixes the two
    assert json.loads((run / "card.json").read_text())["training"]["xla"] is False

    short = cli("train.dcgan", *TINY, "--out", str(tmp_path / "short"))
    assert short.returncode == 0, short.stderr
    assert "XLA: on (a 4-step run does not measure which is faster here; --jit on|off to choose)" in short.stdout
    assert json.loads((tmp_path / "short" / "card.json").read_text())["training"]["xla"] is True
    assert not (tmp_path / "cache" / "jit.json").exists()


def test_an_unknown_jit_choice_is_refused_before_tensorflow_loads(tmp_path, cli):
    result = cli("train.dcgan", "--jit", "fast", "--out", str(tmp_path / "x"))
    assert result.returncode == 2
    assert "invalid choice: 'fast'" in result.stderr and not (tmp_path / "x").exists()
