"""Differentiable augmentation of everything a discriminator sees (DiffAugment, Zhao et al. 2020),
with an optional adaptive probability (ADA, Karras et al. 2020).

With few training images the discriminator memorises them and its gradients stop guiding the
generator. Augmenting real *and* generated images with the same differentiable transforms, inside
the training step, shows the discriminator more variety while the generator still receives
gradients through the transform (it is never asked to produce augmented images). The transforms:

  translation  shift by up to 1/8 of the side in x and y, zero padding (DiffAugment's ratio)
  cutout       zero a square of half the side at a random centre
  color        brightness ±0.5, saturation ×[0, 2], contrast ×[0.5, 1.5] (DiffAugment's ranges)

Randomness comes from `draw(shape) -> U[0, 1)` (the model's seed generator, replica-invariant), so
a resumed or multi-worker run augments exactly as one uninterrupted process does. Augmentation
lives in `train_step` only: no endpoint, so no exported graph, contains it.

Adaptive mode applies the whole policy to each image with probability p and, after every step,
moves p by ±`speed` towards keeping r = E[sign(D(real))] at `target` (ADA's overfitting
heuristic: r near 1 means the discriminator is sure of every real image, i.e. it is memorising).
"""

from __future__ import annotations

import zoo._tensorflow  # noqa: F401  (TensorFlow, loaded quietly)

import tensorflow as tf

from zoo import checks


def translation(images, draw, ratio=0.125):
    """Shift each image by integers in [-s, s] (s = round(ratio * side)) in y and x; zeros enter."""
    batch = tf.shape(images)[0]
    h, w = images.shape[1], images.shape[2]

    def shift_matrix(size):
        s = int(size * ratio + 0.5)
        offset = tf.floor(draw((batch, 1, 1)) * (2 * s + 1)) - s  # integers in [-s, s]
        rows = tf.range(size, dtype=tf.float32)[None, :, None]
        cols = tf.range(size, dtype=tf.float32)[None, None, :]
        return tf.cast(tf.equal(cols, rows - offset), images.dtype)  # out[i] = in[i - offset]

    images = tf.einsum("bij,bjwc->biwc", shift_matrix(h), images)
    return tf.einsum("bkw,bhwc->bhkc", shift_matrix(w), images)


def cutout(images, draw, ratio=0.5):
    """Zero a square of side round(ratio * side) whose centre is a uniformly drawn pixel (rows
    [c - s//2, c - s//2 + s), clipped at the edges), as DiffAugment's cutout does."""
    batch = tf.shape(images)[0]
    h, w = images.shape[1], images.shape[2]
    size_h, size_w = int(h * ratio + 0.5), int(w * ratio + 0.5)
    top = tf.floor(draw((batch, 1, 1)) * h) - size_h // 2
    left = tf.floor(draw((batch, 1, 1)) * w) - size_w // 2
    rows = tf.range(h, dtype=tf.float32)[None, :, None]
    cols = tf.range(w, dtype=tf.float32)[None, None, :]
    inside = (rows >= top) & (rows < top + size_h) & (cols >= left) & (cols < left + size_w)
    return images * tf.cast(~inside, images.dtype)[..., None]


def color(images, draw):
    """Brightness, saturation and contrast, each with its own per-image factor."""
    batch = tf.shape(images)[0]
    one = (batch, 1, 1, 1)
    images = images + tf.cast(draw(one) - 0.5, images.dtype)
    grey = tf.reduce_mean(images, axis=3, keepdims=True)
    images = (images - grey) * tf.cast(draw(one) * 2.0, images.dtype) + grey
    mean = tf.reduce_mean(images, axis=[1, 2, 3], keepdims=True)
    return (images - mean) * tf.cast(draw(one) + 0.5, images.dtype) + mean


TRANSFORMS = {"translation": translation, "cutout": cutout, "color": color}


parse_policy = checks.augmentation_policy  # names checked against zoo.choices.AUGMENTATIONS (== TRANSFORMS, tested)


def augment(images, policy, draw, probability=None):
    """`images` through every transform of `policy`; with `probability` (a scalar tensor), each
    image is augmented with that probability and left as it is otherwise."""
    if not policy:
        return images
    out = images
    for name in policy:
        out = TRANSFORMS[name](out, draw)
    if probability is None:
        return out
    chosen = tf.cast(draw((tf.shape(images)[0], 1, 1, 1)) < probability, images.dtype)
    return chosen * out + (1.0 - chosen) * images
