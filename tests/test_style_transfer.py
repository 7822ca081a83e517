"""Style transfer Noto <-> Twemoji: the two emoji styles as aligned domains, the judge that reads both,
the classical baselines, and the paired scoring of an unpaired CycleGAN through python -m zoo.evaluate."""

import json

import numpy as np
import pytest
from conftest import run_cli

from zoo.data.emoji import aligned, load_emoji
from zoo.evaluation.evaluate import histogram_matched, translation_rows, translation_table


def test_emoji_both_holds_each_emoji_in_both_styles_and_only_the_two_styles_align():
    noto, twemoji, both = (load_emoji(n, "test", 16) for n in ("emoji", "emoji-twitter", "emoji-both"))
    np.testing.assert_array_equal(both.images[0::2], noto.images)
    np.testing.assert_array_equal(both.images[1::2], twemoji.images)
    np.testing.assert_array_equal(both.labels[0::2], noto.labels)
    assert aligned(noto, twemoji) and aligned(twemoji, noto)
    assert not aligned(noto, noto) and not aligned(noto, both)
    assert not aligned(noto, load_emoji("emoji-twitter", "train", 16))  # another split
    assert not aligned(noto, load_emoji("emoji-twitter", "test", 8))  # another size


def test_histogram_matching_is_skimages_and_takes_on_the_reference_colours():
    from skimage.exposure import match_histograms

    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (4, 16, 16, 3)).astype(np.float32) / 255
    reference = np.round(rng.beta(2, 5, (10, 16, 16, 3)) * 255).astype(np.float32) / 255
    mine = histogram_matched(images, reference)
    theirs = np.stack([match_histograms(x, reference.reshape(-1, 16, 3), channel_axis=-1) for x in images])
    np.testing.assert_allclose(mine, theirs, atol=1e-6)
    assert abs(mine.mean() - reference.mean()) < 0.02 < abs(images.mean() - reference.mean())


def test_the_table_lists_the_model_its_baselines_and_the_floor_per_direction():
    result = {f"{d}_{k}": v for d in ("a_to_b", "b_to_a") for k, v in {"fid": 5.0, "l1": 0.1, "fid_floor": 1.0}.items()}
    result["a_to_b_baselines"] = {"identity": {"fid": 9.0, "l1": 0.2}}
    table = translation_table(translation_rows(result, "cg"))
    lines = table.splitlines()
    assert lines[2].startswith("| a to b | cg | 0.1000 |") and "| identity | 0.2000 |" in lines[3]
    assert "floor: real train vs real test" in lines[4] and lines[4].endswith("| 1.00 |  |")
    assert len(lines) == 2 + 3 + 2  # b_to_a: the model and its floor


@pytest.mark.slow
def test_an_unpaired_cyclegan_is_scored_against_the_true_pairs_beside_its_baselines(tmp_path):
    run = tmp_path / "cg"
    flags = ["--dataset", "emoji", "--dataset-b", "emoji-twitter", "--image-size", "32", "--epochs", "1"]
    flags += ["--steps-per-epoch", "2", "--limit", "64", "--width", "4", "--blocks", "1"]
    r = run_cli("train.cyclegan", *flags, "--out", str(run), "--no-export", "--quiet")
    assert r.returncode == 0, r.stderr[-3000:]
    r = run_cli("zoo.evaluate", str(run), "--json", str(tmp_path / "m.json"))
    assert r.returncode == 0, r.stderr[-3000:]
    assert "| a to b | " in r.stdout and "| histogram matching |" in r.stdout and "floor" in r.stdout
    found = json.loads((tmp_path / "m.json").read_text())
    assert "classifier-emoji-both" in found["protocol"]["feature_network"]  # classifier-emoji cannot read Twemoji
    for direction in ("a_to_b", "b_to_a"):
        for key in ("l1", "psnr", "ssim", "fid", "fid_floor", "label_kept"):
            assert np.isfinite(found[f"{direction}_{key}"]), key
        baselines = found[f"{direction}_baselines"]
        assert set(baselines) == {"identity", "histogram_matching"}
        assert baselines["identity"]["fid"] == pytest.approx(found[f"{direction}_fid_untranslated"])
    source, target = (load_emoji(n, "test", 32) for n in ("emoji", "emoji-twitter"))
    identity_l1 = np.mean(np.abs(source.images / 255.0 - target.images / 255.0))
    assert found["a_to_b_baselines"]["identity"]["l1"] == pytest.approx(identity_l1, rel=1e-5)
