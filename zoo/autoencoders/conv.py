"""Convolutional autoencoder: strided convolutions down to a dense code, transposed convolutions up.

[28, 28, 1] -> Conv 3x3/2 (w) -> Conv 3x3/2 (2w) -> Flatten -> Dense(latent)          encoder
latent -> Dense(7*7*2w) -> ConvT 3x3/2 (2w) -> ConvT 3x3/2 (w) -> Conv 3x3 (1) logits decoder
"""

from __future__ import annotations

import zoo._tensorflow  # noqa: F401  (TensorFlow, loaded quietly)

import keras
from keras import layers

from zoo.autoencoders.base import Autoencoder
from zoo.errors import InputError
from zoo.registry import register_architecture


@register_architecture("ae-conv")
class ConvAutoencoder(Autoencoder):
    def __init__(self, latent_dim=32, width=32, hidden=(), **kwargs):
        shape = tuple(kwargs.get("image_shape", (28, 28, 1)))
        if shape[0] % 4 or shape[1] % 4:
            raise InputError(
                f"the convolutional AE halves the image twice: height and width must be multiples of 4, got {shape}"
            )
        self._width = int(width)
        super().__init__(hidden=hidden, latent_dim=latent_dim, **kwargs)

    def get_config(self):
        return {**super().get_config(), "width": self._width}

    def build_encoder(self):
        w = self._width
        return keras.Sequential(
            [
                keras.Input(self.image_shape),
                layers.Conv2D(w, 3, strides=2, padding="same", activation=self.activation),
                layers.Conv2D(2 * w, 3, strides=2, padding="same", activation=self.activation),
                layers.Flatten(),
                layers.Dense(self.latent_dim),
            ],
            name="encoder",
        )

    def build_decoder(self):
        w, (h, wd, c) = self._width, self.image_shape
        return keras.Sequential(
            [
                keras.Input((self.latent_dim,)),
                layers.Dense(h // 4 * wd // 4 * 2 * w, activation=self.activation),
                layers.Reshape((h // 4, wd // 4, 2 * w)),
                layers.Conv2DTranspose(2 * w, 3, strides=2, padding="same", activation=self.activation),
                layers.Conv2DTranspose(w, 3, strides=2, padding="same", activation=self.activation),
                layers.Conv2D(c, 3, padding="same"),
            ],
            name="decoder",
        )
