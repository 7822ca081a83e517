"""Colour images offline: 3,781 emoji in two styles that draw the same code points.

  emoji          Noto Emoji (emoji-datasource-google 16.0.0), 64x64x3
  emoji-twitter  Twemoji (emoji-datasource-twitter 16.0.0), 64x64x3, the same emoji in the same order
  emoji-both     both styles: Noto's image i, then Twemoji's image i, for every i of the split (a judge
                 for both styles: a style transfer is scored in the features of one that reads both)

Alpha is composited on white. Labels are the 9 categories ("Smileys & Emotion" ... "Flags"); names,
short names, code points and subcategories are in `emoji_names()`. The split is held out by base
emoji (every skin-tone variant of an emoji falls on the same side), stratified by category, seed 0:
15% of each category's base emoji go to "test". Both styles share it, so image i of one is image i of
the other (what scores a style transfer against the truth). `image_size` 32, 16 or 8 averages
2x2, 4x4 or 8x8 blocks (area downsampling); 64 keeps the originals.

The arrays ship inside the package (pip cannot fetch npm packages), sha256-pinned here; their
provenance and licences: zoo/data/emoji/NOTICE.md, `python -m zoo.data.emoji_build`.
"""

from __future__ import annotations

import io
import json
from functools import lru_cache
from pathlib import Path

import numpy as np

from zoo.data.base import ImageSet, read_pinned
from zoo.errors import DataError

FOLDER = Path(__file__).resolve().parent / "emoji"
VERSION = "16.0.0"
FILE = FOLDER / f"emoji-{VERSION}.npz"
FILE_SHA256 = "sha256:199fde01696c15dea0d1495c03a78a3cdade7f473cfd68e66b945124dcf59d00"
STYLES = {"emoji": "google", "emoji-twitter": "twitter"}  # and "emoji-both": the two together
SIZES = (64, 32, 16, 8)
TEST_FRACTION, SPLIT_SEED = 0.15, 0
SPLIT = (
    f"held out by base emoji (skin-tone variants with their emoji), stratified by category, seed {SPLIT_SEED}: "
    f"{TEST_FRACTION:.0%} of each category's base emoji to test"
)


@lru_cache(maxsize=1)
def _arrays():
    raw = read_pinned(FILE, FILE_SHA256, "emoji", "python -m zoo.data.emoji_build")
    with np.load(io.BytesIO(raw), allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


@lru_cache(maxsize=1)
def meta():
    """The names, short names, code points, subcategories and categories of the shipped images."""
    return json.loads((FOLDER / f"emoji-{VERSION}.json").read_text())


def categories():
    return tuple(meta()["categories"])


def split_indices(base, category, test_fraction=TEST_FRACTION, seed=SPLIT_SEED):
    """(train, test) image indices: whole base emoji per side, `test_fraction` of each category's
    base emoji to test; each side in a fixed shuffled order (so any prefix mixes the categories)."""
    rng = np.random.default_rng(seed)
    test_bases = []
    for c in np.unique(category):
        bases = np.unique(base[category == c])
        size = max(1, int(round(len(bases) * test_fraction)))
        test_bases.extend(rng.choice(bases, size=size, replace=False))
    test = np.isin(base, test_bases)
    return rng.permutation(np.flatnonzero(~test)), rng.permutation(np.flatnonzero(test))


def downsample(images, size):
    """uint8 [N, 64, 64, C] -> [N, size, size, C], each output pixel the rounded mean of its block."""
    if size not in SIZES:
        raise DataError(f"--image-size {size}: the emoji come in {', '.join(map(str, SIZES))} (64 is the original)")
    f = images.shape[1] // size
    if f == 1:
        return images
    n, h, w, c = images.shape
    blocks = images.reshape(n, size, f, size, f, c).astype(np.float32).mean(axis=(2, 4))
    return np.rint(blocks).astype(np.uint8)


def load_emoji(name, split, image_size=None):
    """Split `split` ("train", "test", "all") of `emoji`, `emoji-twitter` or `emoji-both` as an ImageSet
    (labels: category ids; `emoji_names(split)` names its images, in the same order; emoji-both holds
    each name's two drawings one after the other)."""
    size = 64 if image_size is None else int(image_size)
    if size not in SIZES:
        raise DataError(f"--image-size {size}: the emoji come in {', '.join(map(str, SIZES))} (64 is the original)")
    arrays, keep = _arrays(), rows(split)
    styles = list(STYLES.values()) if name == "emoji-both" else [STYLES[name]]
    images = np.stack([downsample(arrays[style][keep], size) for style in styles], axis=1)  # [N, styles, ...]
    labels = np.repeat(arrays["category"][keep].astype(np.int32), len(styles))
    source = " and ".join(f"emoji-datasource-{style}@{VERSION}" for style in styles)
    facts = {
        "split": SPLIT,
        "image_size": size,
        "source": f"{source} (npm), shipped in zoo/data/emoji, alpha on white",
    }
    return ImageSet(name, split, images.reshape(-1, *images.shape[2:]), labels, categories(), facts=facts)


def aligned(a, b):
    """True when image sets `a` and `b` are the two styles of the same emoji split at the same size:
    image i of one draws the code point of image i of the other (a style transfer's ground truth)."""
    return (
        {a.name, b.name} == set(STYLES)
        and a.split == b.split
        and len(a) == len(b)
        and tuple(a.image_shape) == tuple(b.image_shape)
    )


def rows(split):
    """The rows of the shipped arrays that make `split`, in its order (the same for both styles)."""
    arrays = _arrays()
    train, test = split_indices(arrays["base"], arrays["category"])
    return {"train": train, "test": test, "all": np.concatenate([train, test])}[split]


def emoji_names(split=None):
    """[{"name", "short_names", "unified", "subcategory", "skin_tone"}] of every image of `split`, in
    its order (of every shipped image with split None)."""
    names = meta()["emoji"]
    return names if split is None else [names[int(i)] for i in rows(split)]
