"""Sparse autoencoder (Ng, "Sparse autoencoder" notes): a sigmoid code layer whose batch-mean
activation rho_hat_j is pulled towards a small target rho by

    penalty = beta * sum_j KL(rho || rho_hat_j),
    KL(rho || q) = rho log(rho / q) + (1 - rho) log((1 - rho) / (1 - q))

or, with sparsity="l1", an L1 activity penalty  lambda * sum_j |h_j|  per example.
"""

from __future__ import annotations

import zoo._tensorflow  # noqa: F401  (TensorFlow, loaded quietly)

import numpy as np
import tensorflow as tf

from zoo.autoencoders.base import Autoencoder
from zoo.errors import InputError
from zoo.losses import batch_mean
from zoo.registry import register_architecture

SPARSITY_PENALTIES = ("kl", "l1")


def kl_sparsity(code, target):
    """sum_j KL(target || mean_batch(code_j)) for sigmoid activations `code` `[B, H]`."""
    rho_hat = tf.clip_by_value(tf.reduce_mean(code, axis=0), 1e-7, 1 - 1e-7)
    rho = tf.constant(target, code.dtype)
    return tf.reduce_sum(rho * tf.math.log(rho / rho_hat) + (1 - rho) * tf.math.log((1 - rho) / (1 - rho_hat)))


@register_architecture("ae-sparse")
class SparseAutoencoder(Autoencoder):
    penalty_names = ("sparsity",)
    diagnostic_names = ("mean_activation",)

    def __init__(
        self,
        hidden=(),
        latent_dim=256,
        code_activation="sigmoid",
        sparsity="kl",
        sparsity_target=0.05,
        sparsity_weight=3.0,
        inactive_below=0.1,
        **kwargs,
    ):
        if sparsity not in SPARSITY_PENALTIES:
            raise InputError(f"sparsity penalty must be one of {', '.join(SPARSITY_PENALTIES)}, got '{sparsity}'")
        if not 0 < float(sparsity_target) < 1:
            raise InputError(f"sparsity target must lie in (0, 1), got {sparsity_target}")
        self.sparsity, self.sparsity_target = sparsity, float(sparsity_target)
        self.sparsity_weight, self.inactive_below = float(sparsity_weight), float(inactive_below)
        super().__init__(hidden=hidden, latent_dim=latent_dim, code_activation=code_activation, **kwargs)

    def get_config(self):
        return {
            **super().get_config(),
            "sparsity": self.sparsity,
            "sparsity_target": self.sparsity_target,
            "sparsity_weight": self.sparsity_weight,
            "inactive_below": self.inactive_below,
        }

    def penalty(self, inputs, code):
        if self.sparsity == "kl":
            return {"sparsity": self.sparsity_weight * kl_sparsity(code, self.sparsity_target)}
        return {"sparsity": self.sparsity_weight * batch_mean(tf.reduce_sum(tf.abs(code), axis=1))}

    def diagnostics(self, inputs, code):
        return {"mean_activation": tf.reduce_mean(code)}

    def extra_metrics(self, images):
        code = self.encode(images)
        return {
            "sparsity": {
                "mean_activation": float(code.mean()),
                "target": self.sparsity_target,
                "inactive_fraction": float(np.mean(code < self.inactive_below)),
                "inactive_means": f"share of (digit, unit) activations below {self.inactive_below}",
                "dead_units": int(np.sum(code.max(axis=0) < self.inactive_below)),
            }
        }
