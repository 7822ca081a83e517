"""A judge that needs no network and no labels: `python -m zoo.evaluate RUN --feature-network swd`.

For images no feature network fits (an unlabelled folder, a kind of image no classifier here has
seen) the generator's samples are compared with the run's test split by the sliced Wasserstein
distance on Laplacian-pyramid patches (zoo.evaluation.metrics.sliced_wasserstein, ProGAN's SWD):
  swd                 N samples (seed 0) against N test images, N = min(samples, test, train, 1,000):
                      SWD needs equal sets; the mean over pyramid levels, each level also kept
  nearest_train_rms   median RMS pixel distance from a sample to its nearest training image
  duplicate_fraction  as for every generator
Beside them the floor: the train split's first N images against the same test images (and the test
images' own nearest-training-image distance). A sample set far nearer the training images than the
test images are is copying them, which the SWD alone would reward.

The judge is checked before a number is printed: the floor again with Gaussian noise (σ 0.05) added
to the training images must read at least 1.25 times the floor; if not, the sets are too small for
the judge to see a difference that size, and the numbers are refused (or, with
--accept-weak-features, printed under the warning). SWD compares local patch statistics (each
channel standardised within its set): it sees texture, noise, blur and edges, and is blind to the
global layout of an image and to its overall brightness and contrast.
"""

from __future__ import annotations

import numpy as np

NAME = "swd"
LIMIT = 1000
NOISE = 0.05
SEES_NOISE = 1.25  # the noisy floor must read this many times the floor
PROTOCOL = {
    "feature_network": "none: sliced Wasserstein distance (Karras et al. 2018) on Laplacian-pyramid patches, "
    "128 random 7x7 patches per image and level (levels from the full size down to 16 px), each channel "
    "standardised within its set, 4 x 128 random directions, x 1e3",
    "samples": "images drawn with latents from numpy default_rng(seed=0), as many as the test images scored",
    "nearest_train_rms": "median RMS pixel distance (images in [0, 1]) from each image to its nearest training image",
    "floor": "the train split's first N images against the same N test images; nearest_train_rms: the test images'",
    "feature_check": f"the floor with Gaussian noise (σ {NOISE}) added to the training images must read at least "
    f"{SEES_NOISE:g}x the floor",
}


def evaluate_patches(model, samples, describe, accept_weak=False):
    """SWD of the generator's samples against its test split, beside the floor, once the judge is
    checked; `describe(split)` says which images the reference is."""
    from zoo.data import scale_images
    from zoo.evaluation import metrics
    from zoo.evaluation.sanity import WeakFeatures

    test_set, train = model.data("test"), model.data("train")
    n = min(samples, len(test_set), len(train), LIMIT)
    if n < 2:
        raise WeakFeatures(f"the sliced Wasserstein judge needs at least 2 test and train images, found {n}")
    reference, real = scale_images(test_set.first(n)), scale_images(train.first(n))
    train_all = scale_images(train.first(LIMIT))
    images = model.sample(n, seed=0)
    floor = metrics.sliced_wasserstein(real, reference)
    noise = np.random.default_rng(0).normal(0.0, NOISE, real.shape)
    noisy = metrics.sliced_wasserstein(np.clip(real + noise, 0.0, 1.0), reference)["mean"]
    check = {"swd_floor_with_noise": noisy, "ratio": noisy / max(floor["mean"], 1e-12), "n": n}
    result = {
        "protocol": {**PROTOCOL, "reference": describe(test_set) + f"; its first {n:,} images"},
        **_scored(metrics.sliced_wasserstein(images, reference), images, train_all, metrics),
        "duplicate_fraction": metrics.duplicate_fraction(images),
        "floor": _scored(floor, reference, train_all, metrics),
        "feature_check": check,
    }
    if check["ratio"] < SEES_NOISE:
        warning = (
            f"with {n:,} images a side the sliced Wasserstein judge cannot see Gaussian noise σ {NOISE} (the floor "
            f"reads {floor['mean']:.1f}, with the noise {noisy:.1f}): score more test images"
        )
        if not accept_weak:
            raise WeakFeatures(warning + ", or pass --accept-weak-features to print the numbers with this warning")
        result["warnings"] = [warning]
    return result


def _scored(found, images, train_images, metrics):
    return {
        "swd": found["mean"],
        "swd_levels": {str(side): value for side, value in found.items() if side != "mean"},
        "nearest_train_rms": float(np.median(metrics.nearest_rms(images, train_images))),
    }


def table(result, name="model"):
    """Markdown: the model's row and the floor's."""
    rows = [
        (
            "| model | swd | " + " | ".join(f"swd at {s} px" for s in result["swd_levels"]) + " | nearest "
            "training image (RMS) | duplicate_fraction |"
        )
    ]
    rows.append("|---" * (4 + len(result["swd_levels"])) + "|")
    for label, values in ((name, result), ("floor: real train vs real test", result["floor"])):
        levels = " | ".join(f"{v:.1f}" for v in values["swd_levels"].values())
        duplicates = "" if "duplicate_fraction" not in values else f"{values['duplicate_fraction']:.3f}"
        rows.append(f"| {label} | {values['swd']:.1f} | {levels} | {values['nearest_train_rms']:.3f} | {duplicates} |")
    return "\n".join(rows)
