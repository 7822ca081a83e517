"""Image helpers shared by models, callbacks and tools: uint8 conversion and sample grids."""

from __future__ import annotations

import numpy as np

from zoo.atomic import replacing


def to_uint8(images):
    """float images in [0, 1] -> uint8 in [0, 255], in-graph (tf ops) so it can be exported.

    floor(x * 255 + 0.5) rather than round(): Floor is a builtin in every runtime we export to and
    rounds halves the same way in all of them.
    """
    import tensorflow as tf

    scaled = tf.clip_by_value(images, 0.0, 1.0) * 255.0 + 0.5
    return tf.cast(tf.floor(scaled), tf.uint8)


def grid(images, cols=None, pad=2):
    """Tile `[N, H, W, C]` images in [0, 1] into one uint8 `[rows*(H+pad)+pad, cols*(W+pad)+pad, C]` image."""
    images = np.clip(np.asarray(images, dtype=np.float32), 0.0, 1.0)
    n, h, w, c = images.shape
    cols = cols or int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / cols))
    out = np.ones((rows * (h + pad) + pad, cols * (w + pad) + pad, c), np.float32)
    for i, image in enumerate(images):
        r, q = divmod(i, cols)
        out[pad + r * (h + pad) : pad + r * (h + pad) + h, pad + q * (w + pad) : pad + q * (w + pad) + w] = image
    return np.floor(out * 255 + 0.5).astype(np.uint8)


def save_png(image_uint8, path, scale=1):
    """Write a uint8 `[H, W, C]` image (C = 1 or 3) to `path` atomically, optionally upscaled."""
    from PIL import Image

    array = image_uint8[..., 0] if image_uint8.shape[-1] == 1 else image_uint8
    picture = Image.fromarray(array)
    if scale != 1:
        picture = picture.resize((picture.width * scale, picture.height * scale), Image.NEAREST)
    with replacing(path) as tmp:
        picture.save(tmp, format="PNG")
