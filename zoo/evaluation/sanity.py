"""Can a feature network measure this data, and what do its metrics read for real data?

Every FID / KID / precision / recall the zoo prints stands beside its **floor**: the same metric
between two disjoint sets of real images of the data (the train split's first N images against the
test split, N = the number of generated images), in the same feature network. A generator cannot be
expected to beat it; a number far above it is far from the data. Floors are measured once per
(data, feature network, N) and cached (`$ZOO_CACHE_DIR`, default ~/.cache/keras-zoo).

Before any number is printed the feature network is checked on the real test images:
  collapsed   its features of real images barely vary (effective rank of their covariance < 2, or
              most images share a feature vector): every distance in it is near zero, so FID reads
              "perfect" for anything
  chance      where it classifies the data's own classes: held-out accuracy within 10 points of
              always answering the commonest class
A network that fails either is refused (`WeakFeatures`); `--accept-weak-features` prints the numbers
anyway, with the warning in what is printed and saved.
"""

from __future__ import annotations

import hashlib
import json
import os

import numpy as np

from zoo.atomic import cache_dir
from zoo.errors import DataError

MIN_EFFECTIVE_RANK = 2.0
MAX_SHARED = 0.5  # share of real images whose features equal another's
ABOVE_CHANCE = 0.10
PROTOCOL = {
    "floor": "the same metrics for real images: the train split's first N images (N = the samples scored) against "
    "the test split, in the same feature network",
    "feature_check": f"real test features: effective rank of their covariance >= {MIN_EFFECTIVE_RANK:g} and at most "
    f"{MAX_SHARED:.0%} of images sharing a feature vector; where the network reads the data's classes, held-out "
    f"accuracy more than {ABOVE_CHANCE:.0%} above the commonest class's share",
}


class WeakFeatures(DataError):
    """The feature network cannot separate this data: its metrics would read well for anything."""


def effective_rank(features):
    """exp(entropy) of the covariance's normalised eigenvalues: how many directions the features
    really vary in (1 for points on a line, d for an isotropic cloud; 0 when they do not vary)."""
    features = np.asarray(features, np.float64)
    if len(features) < 2:
        return 0.0
    eigen = np.clip(np.linalg.eigvalsh(np.cov(features, rowvar=False)), 0, None)
    total = eigen.sum()
    if not np.isfinite(total) or total <= 1e-12 * max(1.0, float(np.mean(features**2))):
        return 0.0
    p = eigen[eigen > 0] / total
    return float(np.exp(-np.sum(p * np.log(p))))


def shared_share(features, decimals=5):
    """Share of the rows that have an identical twin (after rounding)."""
    rounded = np.round(np.asarray(features, np.float64), decimals)
    _, inverse, counts = np.unique(rounded, axis=0, return_inverse=True, return_counts=True)
    return float(np.mean(counts[inverse.ravel()] > 1))


def check(judge, test_set, real_images, features=None):
    """{"ok", "warnings": [...], "effective_rank", "shared", "accuracy"?, "majority"?} of `judge` on
    the real test images `real_images` (float [0, 1]) of `test_set`."""
    features = np.asarray(judge.features(real_images) if features is None else features)
    report = {"effective_rank": effective_rank(features), "shared": shared_share(features), "warnings": []}
    if report["effective_rank"] < MIN_EFFECTIVE_RANK or report["shared"] > MAX_SHARED:
        report["warnings"].append(
            f"{judge.name}'s features of the real test images have collapsed (effective rank "
            f"{report['effective_rank']:.2f}, {report['shared']:.0%} of images share a feature vector): its "
            f"distances cannot tell images apart"
        )
    labels = test_set.labels[: len(real_images)] if test_set.labels is not None else None
    if labels is not None and len(labels) and judge.judges_classes_of(test_set.class_names):
        accuracy = float(np.mean(judge.probabilities(real_images).argmax(1) == labels))
        majority = float(np.bincount(labels).max() / len(labels))
        report.update(accuracy=accuracy, majority=majority)
        if accuracy < majority + ABOVE_CHANCE:
            report["warnings"].append(
                f"{judge.name} reads the real test images' classes with accuracy {accuracy:.3f}, not clearly above "
                f"always answering the commonest class ({majority:.3f}): it has not learned this data"
            )
    report["ok"] = not report["warnings"]
    if len(features) <= features.shape[1]:  # a Gaussian fit of fewer points than dimensions is degenerate
        report["caveats"] = [
            f"the reference holds {len(features)} images for {features.shape[1]}-dimensional features: FID's "
            f"covariance fit is degenerate and KID and precision/recall are noisy; compare runs only at this size"
        ]
    return report


def refuse_or_flag(report, accept_weak=False):
    """Raise WeakFeatures for a failed check, unless `accept_weak` (then the warnings stand in the result)."""
    if report["ok"] or accept_weak:
        return
    raise WeakFeatures(
        "; ".join(report["warnings"])
        + ". Train a better feature network on this data (python -m train.classifier --dataset ...) and pass it "
        "with --feature-network, or pass --accept-weak-features to print the numbers with this warning"
    )


def floor(judge, train_images, reference_images, key, metrics_of):
    """The metrics `metrics_of(images, reference)` of the real `train_images` against the real
    `reference_images`, cached under `key` (a dict saying which data, network and sizes)."""
    path = cache_dir() / "floors.json"
    digest = hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()[:24]
    try:
        cached = json.loads(path.read_text()) if path.is_file() else {}
    except (OSError, json.JSONDecodeError):
        cached = {}
    if digest in cached:
        return cached[digest]
    found = {k: v for k, v in metrics_of(train_images, reference_images).items() if k != "duplicate_fraction"}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        cached[digest] = found
        tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
        tmp.write_text(json.dumps(cached, indent=1))
        os.replace(tmp, path)
    except OSError:  # a read-only home: measured again next time
        pass
    return found
