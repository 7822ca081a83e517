"""Small image datasets made on the fly for the "your own data" tests: coloured or grey shapes in
class folders with names, written as PNG and JPEG like a user's folder would be."""

from pathlib import Path

import numpy as np

CLASSES = ("circle", "square", "triangle")


def draw(kind, size, rng, colour=True):
    """One uint8 image `[size, size, 3]` (or `[size, size]` grey) of a shape with random place and colour."""
    yy, xx = np.mgrid[:size, :size] / size
    cy, cx, r = rng.uniform(0.35, 0.65), rng.uniform(0.35, 0.65), rng.uniform(0.18, 0.3)
    if kind == "circle":
        mask = (yy - cy) ** 2 + (xx - cx) ** 2 < r**2
    elif kind == "square":
        mask = (abs(yy - cy) < r) & (abs(xx - cx) < r)
    else:
        mask = (yy > cy - r) & (yy < cy + r) & (abs(xx - cx) < (yy - (cy - r)) / 2)
    background = rng.uniform(0, 60, 3 if colour else 1)
    ink = rng.uniform(120, 255, 3 if colour else 1)
    image = np.where(mask[..., None], ink, background) + rng.normal(0, 8, (size, size, 3 if colour else 1))
    image = np.clip(image, 0, 255).astype(np.uint8)
    return image if colour else image[..., 0]


def write_folder(root, per_class=12, size=32, colour=True, formats=("png", "jpg"), split=False, seed=0):
    """ROOT/<class>/<i>.<fmt> (or ROOT/train|test/<class>/... with `split`); returns ROOT."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    root = Path(root)
    for c in CLASSES:
        for i in range(per_class):
            part = ("test" if i < per_class // 4 else "train") if split else ""
            folder = root / part / c if part else root / c
            folder.mkdir(parents=True, exist_ok=True)
            fmt = formats[i % len(formats)]
            Image.fromarray(draw(c, size, rng, colour)).save(folder / f"{c}_{i:03d}.{fmt}", quality=95)
    return root
