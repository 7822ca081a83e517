"""Every trainer that no other test runs end to end, run as a user types it on a tiny configuration:
the sequence trainers (char LM, seq2seq, captioner) train, write a card whose command and metrics
say what was done, and load back through `zoo.load`; `python -m train.publish` turns a finished run
into an entry that `zoo.load` finds by name, with its card and checked weights."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT, run_cli

import zoo

TINY = ["--epochs", "1", "--limit", "64", "--batch-size", "16", "--quiet", "--no-export"]


@pytest.mark.slow
@pytest.mark.parametrize(
    "trainer, flags, metric",
    [
        (
            "train.char_lm",
            ["--context", "16", "--units", "8", "--embedding-dim", "4", "--depth", "1"],
            "test_bits_per_char",
        ),
        ("train.seq2seq", ["--units", "8", "--embedding-dim", "4"], "test_exact_match"),
        ("train.captioner", ["--units", "8", "--embedding-dim", "4", "--width", "4"], "test_exact_match"),
    ],
)
def test_sequence_trainers_train_card_and_load_back(tmp_path, trainer, flags, metric):
    out = tmp_path / "run"
    r = run_cli(trainer, *flags, *TINY, "--out", str(out))
    assert r.returncode == 0, r.stderr[-3000:]
    card = json.loads((out / "card.json").read_text())
    assert card["training"]["commands"] == [f"python -m {trainer} {' '.join([*flags, *TINY, '--out', str(out)])}"]
    assert card["training"]["epochs"] == 1 and card["data"]["examples"]["train"] == 64
    assert 0 <= card["metrics"][metric] and "protocol" in card["metrics"]
    model = zoo.load(str(out))
    if trainer == "train.char_lm":
        text = model.generate("The ", length=12, seed=0)
        assert len(text) == 12 and set(text) <= set(model.vocabulary)
    elif trainer == "train.seq2seq":
        assert len(model.translate(["de_DE|12. März 2021", "en_US|3/12/21"])) == 2
    else:
        from zoo.sequence.captioner import load_pairs

        pairs = load_pairs("mnist-pairs", "test")
        assert len(model.caption(pairs.inputs[:3])) == 3


@pytest.mark.slow
def test_publish_turns_a_run_into_an_entry_that_loads_by_name(tmp_path):
    run, store, images = tmp_path / "run", tmp_path / "store", tmp_path / "images"
    r = run_cli(
        "train.classifier", "--dataset", "digits", "--width", "4", "--feature-dim", "8", *TINY, "--out", str(run)
    )
    assert r.returncode == 0, r.stderr[-3000:]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "ZOO_PRETRAINED_DIR": str(store)}
    command = [sys.executable, "-m", "train.publish", str(run), "--name", "classifier-tiny", "--images", str(images)]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert sorted(p.name for p in store.iterdir()) == ["classifier-tiny.json", "classifier-tiny.weights.h5"]
    card = json.loads((store / "classifier-tiny.json").read_text())
    assert card["name"] == "classifier-tiny" and card["metrics"] == json.loads(done.stdout)
    assert card["metrics"]["test_accuracy"] >= 0 and card["weights"]["file"] == "classifier-tiny.weights.h5"
    # published without the optimizer's slots, and the same predictions as the run
    assert (store / "classifier-tiny.weights.h5").stat().st_size < (run / "model.weights.h5").stat().st_size
    check = (
        "import sys, numpy as np, zoo; x = np.random.default_rng(0).random((4, 28, 28, 1), dtype=np.float32); "
        "np.save(sys.argv[1], np.stack([zoo.load('classifier-tiny').probabilities(x), "
        "zoo.load(sys.argv[2]).probabilities(x)]))"
    )
    out = tmp_path / "p.npy"
    done = subprocess.run(
        [sys.executable, "-c", check, str(out), str(run)], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    shipped, trained = np.load(out)
    np.testing.assert_array_equal(shipped, trained)
    assert not images.exists()  # a classifier has no sample picture (a generator's entry gets one)
