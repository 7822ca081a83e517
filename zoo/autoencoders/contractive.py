"""Contractive autoencoder (Rifai et al. 2011): reconstruction + lambda ||J_f(x)||_F^2, the squared
Frobenius norm of the encoder's Jacobian, exactly. For the paper's encoder h = sigmoid(W x + b),
dh_j/dx_i = h_j (1 - h_j) W_ij, so

    ||J_f(x)||_F^2 = sum_j (h_j (1 - h_j))^2 sum_i W_ij^2

which costs one pass instead of one backward pass per code unit.
"""

from __future__ import annotations

import zoo._tensorflow  # noqa: F401  (TensorFlow, loaded quietly)

import numpy as np
import tensorflow as tf

from zoo.autoencoders.base import Autoencoder
from zoo.errors import InputError
from zoo.losses import batch_mean
from zoo.registry import register_architecture


def sigmoid_jacobian_norm(code, kernel):
    """Per-example ||dh/dx||_F^2 `[B]` of h = sigmoid(x @ kernel + b), from h `[B, H]` and kernel `[D, H]`."""
    return tf.reduce_sum(tf.square(code * (1 - code)) * tf.reduce_sum(tf.square(kernel), axis=0), axis=1)


@register_architecture("ae-contractive")
class ContractiveAutoencoder(Autoencoder):
    penalty_names = ("contraction",)
    diagnostic_names = ("jacobian_norm",)

    def __init__(self, hidden=(), latent_dim=128, code_activation="sigmoid", contractive_weight=0.1, **kwargs):
        if tuple(hidden) or code_activation != "sigmoid":
            raise InputError(
                "the contractive AE's exact Jacobian penalty needs a one-layer sigmoid encoder (hidden=(), "
                "code_activation='sigmoid')"
            )
        self.contractive_weight = float(contractive_weight)
        super().__init__(hidden=hidden, latent_dim=latent_dim, code_activation=code_activation, **kwargs)

    def get_config(self):
        return {**super().get_config(), "contractive_weight": self.contractive_weight}

    @property
    def code_kernel(self):
        return self.encoder.get_layer("mlp").layers[-1].kernel

    def jacobian_norm(self, code):
        return sigmoid_jacobian_norm(code, self.code_kernel)

    def penalty(self, inputs, code):
        return {"contraction": self.contractive_weight * batch_mean(self.jacobian_norm(code))}

    def diagnostics(self, inputs, code):
        return {"jacobian_norm": batch_mean(self.jacobian_norm(code))}

    def extra_metrics(self, images):
        return {"mean_jacobian_frobenius_squared": float(np.mean(self.jacobian_norm(self.encode(images))))}
