"""Denoising autoencoder (Vincent et al. 2008): each training step corrupts the batch afresh and
the loss compares the reconstruction of the *corrupted* input with the *clean* one. Corruption
happens only in `train_step`; every endpoint reconstructs what it is given.

  gaussian          x + level * n, n ~ N(0, 1), clipped to [0, 1]
  salt-and-pepper   a share `level` of pixels set to 0 or 1 (equally likely)
"""

from __future__ import annotations

import zoo._tensorflow  # noqa: F401  (TensorFlow, loaded quietly)

import keras
import numpy as np
import tensorflow as tf

from zoo.autoencoders.base import Autoencoder
from zoo.errors import InputError
from zoo.registry import register_architecture
from zoo.training import replica_draw

CORRUPTIONS = ("gaussian", "salt-and-pepper")


def apply_corruption(images, kind, level, uniform, normal):
    """Corrupt `images` given same-shaped draws `uniform` ~ U[0, 1) and `normal` ~ N(0, 1) (TF or NumPy)."""
    if kind == "gaussian":
        return tf.clip_by_value(images + level * normal, 0.0, 1.0)
    salt = tf.cast(normal > 0, images.dtype)
    return tf.where(uniform < level, salt, images)


def psnr(clean, other):
    """Mean peak signal-to-noise ratio (dB, peak 1) over images."""
    from zoo.evaluation import metrics

    return float(np.mean(metrics.psnr(other, np.asarray(clean, np.float64))))


@register_architecture("ae-denoising")
class DenoisingAutoencoder(Autoencoder):
    def __init__(self, hidden=(512, 256), latent_dim=64, corruption="gaussian", corruption_level=0.4, **kwargs):
        if corruption not in CORRUPTIONS:
            raise InputError(f"corruption must be one of {', '.join(CORRUPTIONS)}, got '{corruption}'")
        if not 0 < float(corruption_level) <= (1 if corruption == "salt-and-pepper" else 10):
            raise InputError(
                f"corruption level must be positive (a pixel share <= 1 for salt-and-pepper), got {corruption_level}"
            )
        super().__init__(hidden=hidden, latent_dim=latent_dim, **kwargs)
        self.corruption, self.corruption_level = corruption, float(corruption_level)

    def get_config(self):
        return {**super().get_config(), "corruption": self.corruption, "corruption_level": self.corruption_level}

    def corrupt(self, images):
        batch = tf.shape(images)[0]
        uniform = replica_draw(lambda shape: keras.random.uniform(shape, seed=self.noise), batch, *self.image_shape)
        normal = replica_draw(lambda shape: keras.random.normal(shape, seed=self.noise), batch, *self.image_shape)
        return apply_corruption(images, self.corruption, self.corruption_level, uniform, normal)

    def corrupt_numpy(self, images, seed=0):
        """The training corruption, reproducibly, for evaluation and previews."""
        rng = np.random.default_rng(seed)
        images = np.asarray(images, np.float32)
        uniform, normal = (
            rng.random(images.shape, dtype=np.float32),
            rng.standard_normal(images.shape, dtype=np.float32),
        )
        return np.asarray(apply_corruption(images, self.corruption, self.corruption_level, uniform, normal))

    def extra_metrics(self, images):
        noisy = self.corrupt_numpy(images, seed=0)
        return {
            "denoising": {
                "corruption": f"{self.corruption}, level {self.corruption_level}, numpy seed 0",
                "psnr_noisy_db": psnr(images, noisy),
                "psnr_denoised_db": psnr(images, self.reconstruct(noisy)),
                "psnr_clean_reconstruction_db": psnr(images, self.reconstruct(images)),
            }
        }

    def preview(self):
        """Rows of eight: corrupted input, its reconstruction, the clean digit."""
        clean = self.preview_inputs()[:24]
        noisy = self.corrupt_numpy(clean, seed=0)
        denoised = self.reconstruct(noisy)
        return np.concatenate(
            [r for i in range(0, 24, 8) for r in (noisy[i : i + 8], denoised[i : i + 8], clean[i : i + 8])]
        )
