"""Metrics a user can read (zoo.evaluation.sanity): a feature network that cannot separate the data is
refused before any number is printed, and every generator metric stands beside its floor (real data
against real data)."""

import json

import numpy as np
import pytest
from conftest import run_cli

from zoo.data import ImageSet
from zoo.evaluation import sanity
from zoo.evaluation.features import FeatureNetwork


class Judge(FeatureNetwork):
    """A stand-in feature network with fixed features and class probabilities."""

    name = "judge"

    def __init__(self, features, probabilities=None, class_names=()):
        self._features, self._probabilities, self.class_names = features, probabilities, tuple(class_names)

    def features(self, images):
        return self._features[: len(images)]

    def probabilities(self, images):
        return self._probabilities[: len(images)]


def _data(labels, names=("a", "b", "c")):
    return ImageSet("toy", "test", np.zeros((len(labels), 4, 4, 1), np.uint8), np.asarray(labels, np.int32), names)


def test_effective_rank_counts_the_directions_features_vary_in():
    rng = np.random.default_rng(0)
    assert sanity.effective_rank(rng.standard_normal((4000, 8))) == pytest.approx(8, rel=0.05)
    line = np.outer(rng.standard_normal(500), np.ones(8))
    assert sanity.effective_rank(line) == pytest.approx(1, rel=1e-6)
    assert sanity.effective_rank(np.ones((50, 8))) == 0.0
    assert sanity.shared_share(np.array([[1.0, 2], [1, 2], [3, 4], [5, 6]])) == 0.5


def test_collapsed_features_and_accuracy_at_chance_are_refused():
    rng = np.random.default_rng(0)
    labels = np.arange(90) % 3
    images = np.zeros((90, 4, 4, 1), np.float32)
    good = Judge(rng.standard_normal((90, 16)), np.eye(3)[labels], ("a", "b", "c"))
    assert sanity.check(good, _data(labels), images)["ok"]
    collapsed = Judge(np.tile(rng.standard_normal(16), (90, 1)), np.eye(3)[labels], ("a", "b", "c"))
    report = sanity.check(collapsed, _data(labels), images)
    assert not report["ok"] and "collapsed" in report["warnings"][0]
    guessing = Judge(rng.standard_normal((90, 16)), np.eye(3)[np.zeros(90, int)], ("a", "b", "c"))
    report = sanity.check(guessing, _data(labels), images)
    assert (
        not report["ok"] and report["accuracy"] == pytest.approx(1 / 3) and "not clearly above" in report["warnings"][0]
    )
    with pytest.raises(sanity.WeakFeatures, match="--accept-weak-features"):
        sanity.refuse_or_flag(report)
    sanity.refuse_or_flag(report, accept_weak=True)  # the caller keeps the warning with the numbers
    other_classes = Judge(rng.standard_normal((90, 16)), np.eye(3)[np.zeros(90, int)], ("x", "y", "z"))
    assert "accuracy" not in sanity.check(other_classes, _data(labels), images)  # cannot judge other classes


def test_a_floor_is_measured_once_per_data_and_network(tmp_path, monkeypatch):
    monkeypatch.setenv("ZOO_CACHE_DIR", str(tmp_path))
    calls = []

    def measure(a, b):
        calls.append(len(a))
        return {"fid": 1.5, "duplicate_fraction": 0.0}

    key = {"data": "toy", "net": "judge", "n": 3}
    assert sanity.floor(None, np.zeros(3), np.zeros(4), key, measure) == {"fid": 1.5}
    assert sanity.floor(None, np.zeros(3), np.zeros(4), key, measure) == {"fid": 1.5} and calls == [3]
    sanity.floor(None, np.zeros(3), np.zeros(4), {**key, "n": 4}, measure)
    assert calls == [3, 3]


def _shapes(folder, per_class=40):
    """The colour folder of the issue: circles / squares / triangles, 32x32, JPEG and PNG."""
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(0)
    for name in ("circles", "squares", "triangles"):
        (folder / name).mkdir(parents=True)
        for i in range(per_class):
            image = Image.new("RGB", (32, 32), tuple(int(v) for v in rng.integers(0, 80, 3)))
            draw = ImageDraw.Draw(image)
            colour, (x, y), s = tuple(int(v) for v in rng.integers(120, 256, 3)), rng.integers(4, 14, 2), 12
            if name == "circles":
                draw.ellipse([x, y, x + s, y + s], fill=colour)
            elif name == "squares":
                draw.rectangle([x, y, x + s, y + s], fill=colour)
            else:
                draw.polygon([(x, y + s), (x + s, y + s), (x + s // 2, y)], fill=colour)
            image.save(folder / name / f"{i}.{'jpg' if i % 2 else 'png'}")


@pytest.mark.slow
def test_a_feature_network_that_learned_nothing_is_refused_through_the_command(tmp_path):
    """The issue's case: a 3-class colour folder, a classifier trained 2 epochs and a DCGAN 1 epoch;
    `python -m zoo.evaluate GAN --feature-network CLF` printed FID 0.06 and precision 1.000 as if
    perfect. Now: one line, exit 2, no table; with --accept-weak-features the table comes with the
    warning (printed and in the JSON) and a floor row."""
    _shapes(tmp_path / "shapes")
    common = ["--dataset", f"folder:{tmp_path / 'shapes'}", "--quiet", "--no-export"]
    assert run_cli("train.classifier", *common, "--epochs", "2", "--out", str(tmp_path / "clf")).returncode == 0
    assert run_cli("train.dcgan", *common, "--epochs", "1", "--out", str(tmp_path / "gan")).returncode == 0
    card = json.loads((tmp_path / "clf" / "card.json").read_text())
    r = run_cli("zoo.evaluate", str(tmp_path / "gan"), "--feature-network", str(tmp_path / "clf"))
    if card["metrics"]["test_accuracy"] < 1 / 3 + 0.1:  # as in the issue: it learned nothing
        assert r.returncode == 2 and "| fid |" not in r.stdout, r.stdout
        assert r.stderr.strip().splitlines()[-1].startswith("error: ") and "--accept-weak-features" in r.stderr
        json_file = tmp_path / "m.json"
        r = run_cli(
            "zoo.evaluate", str(tmp_path / "gan"), "--feature-network", str(tmp_path / "clf"),
            "--accept-weak-features", "--json", str(json_file),
        )  # fmt: skip
        assert r.returncode == 0 and "WARNING (these numbers cannot be trusted)" in r.stdout
        saved = json.loads(json_file.read_text())
        assert saved["warnings"] and not saved["feature_check"]["ok"]
    else:
        assert r.returncode == 0, r.stderr
    assert "| floor: real train vs real test |" in r.stdout and "floor: the same metrics for real images" in r.stdout


class PatchGenerator:
    """A stand-in generator: fixed samples, and train / test splits, for the network-free judge."""

    architecture = "stand-in"

    def __init__(self, train, test, samples):
        self.splits, self.samples = {"train": train, "test": test}, samples

    def data(self, split):
        return self.splits[split]

    def sample(self, n, seed=0):
        return self.samples[:n]


def _smooth(n, seed):
    """Blurred noise images in [0, 1], 32x32 grey: a patch distribution with some structure."""
    from scipy import ndimage

    noise = np.random.default_rng(seed).random((n, 32, 32, 1))
    return np.clip(0.5 + 3 * (ndimage.gaussian_filter(noise, (0, 2.5, 2.5, 0)) - 0.5), 0, 1)


def test_the_network_free_judge_reads_noise_far_above_its_floor_and_sees_copying(monkeypatch):
    from zoo.evaluation import patches

    to_set = lambda x, split: ImageSet("smooth", split, np.floor(x * 255 + 0.5).astype(np.uint8), np.zeros(len(x), int))  # noqa: E731
    train, test = to_set(_smooth(60, 0), "train"), to_set(_smooth(60, 1), "test")
    describe = lambda data: f"{data.name} {data.split}"  # noqa: E731
    like = patches.evaluate_patches(PatchGenerator(train, test, _smooth(60, 2)), 60, describe)
    noise = patches.evaluate_patches(
        PatchGenerator(train, test, np.random.default_rng(3).random((60, 32, 32, 1))), 60, describe
    )
    copies = patches.evaluate_patches(PatchGenerator(train, test, train.images / 255.0), 60, describe)
    floor = like["floor"]["swd"]
    assert like["swd"] < 2 * floor and noise["swd"] > 4 * floor and like["feature_check"]["ratio"] >= patches.SEES_NOISE
    assert copies["nearest_train_rms"] < 1e-6 and copies["floor"]["nearest_train_rms"] > 0.05  # copying shows
    assert like["protocol"]["reference"] == "smooth test; its first 60 images" and "warnings" not in like
    monkeypatch.setattr(patches, "SEES_NOISE", 1e9)  # a judge that cannot see the noise: refused, or flagged
    with pytest.raises(sanity.WeakFeatures, match="cannot see Gaussian noise.*--accept-weak-features"):
        patches.evaluate_patches(PatchGenerator(train, test, _smooth(60, 2)), 60, describe)
    flagged = patches.evaluate_patches(PatchGenerator(train, test, _smooth(60, 2)), 60, describe, accept_weak=True)
    assert "cannot see Gaussian noise" in flagged["warnings"][0]


@pytest.mark.slow
def test_an_unlabelled_folder_is_judged_without_a_network_through_the_command(tmp_path):
    """One folder of images, no classes: no feature network fits, so the default is one line saying
    what to do (swd among it); `--feature-network swd` prints the SWD table with its floor row and
    saves the protocol and the judge's check."""
    _shapes(tmp_path / "shapes")
    folder = tmp_path / "shapes" / "circles"
    common = ["--dataset", f"folder:{folder}", "--batch-size", "16", "--quiet", "--no-export"]
    assert run_cli("train.dcgan", *common, "--epochs", "1", "--out", str(tmp_path / "gan")).returncode == 0
    r = run_cli("zoo.evaluate", str(tmp_path / "gan"))
    assert r.returncode == 2 and "--feature-network swd" in r.stderr.strip().splitlines()[-1], r.stderr
    json_file = tmp_path / "m.json"
    r = run_cli("zoo.evaluate", str(tmp_path / "gan"), "--feature-network", "swd", "--json", str(json_file))
    assert r.returncode == 0, r.stderr
    assert "| floor: real train vs real test |" in r.stdout and "sliced Wasserstein" in r.stdout
    saved = json.loads(json_file.read_text())
    assert saved["swd"] > 0 and saved["floor"]["swd"] > 0 and saved["feature_check"]["n"] == 8  # 20% of 40 to test
    assert set(saved["swd_levels"]) == {"32", "16"} and "nearest_train_rms" in saved["protocol"]
