"""The four dense autoencoders that differ only in shape and regularisation (no extra loss term).

vanilla        784 -> 256 -> 32 -> 256 -> 784, ReLU, sigmoid output, cross-entropy
linear         784 -> k -> 784 with no nonlinearity and squared error: the optimum spans the
               top-k principal subspace (Baldi & Hornik 1989); `pca_comparison` measures it
undercomplete  784 -> 128 -> 8: a bottleneck far narrower than the input is the regulariser
overcomplete   784 -> 1024 (ReLU) -> 784: more code units than pixels, so without regularisation
               it can learn the identity; dropout on the input and hidden units plus decoupled
               weight decay keep it from copying (its card reports the noise/test MSE ratio)
"""

from __future__ import annotations

import zoo._tensorflow  # noqa: F401  (TensorFlow, loaded quietly)

import keras
import numpy as np
from keras import layers

from zoo.autoencoders.base import Autoencoder
from zoo.registry import register_architecture


class Offset(layers.Layer):
    """x + sign * offset, with a non-trainable offset set from data (the linear AE's data mean)."""

    def __init__(self, size, sign, **kwargs):
        super().__init__(**kwargs)
        self.size, self.sign = int(size), float(sign)
        self.offset = self.add_weight(shape=(self.size,), initializer="zeros", trainable=False, name="offset")

    def call(self, x):
        return x + self.sign * self.offset

    def get_config(self):
        return {**super().get_config(), "size": self.size, "sign": self.sign}


@register_architecture("ae-vanilla")
class VanillaAutoencoder(Autoencoder):
    def __init__(self, hidden=(256,), latent_dim=32, **kwargs):
        super().__init__(hidden=hidden, latent_dim=latent_dim, **kwargs)


@register_architecture("ae-undercomplete")
class UndercompleteAutoencoder(Autoencoder):
    def __init__(self, hidden=(128,), latent_dim=8, **kwargs):
        super().__init__(hidden=hidden, latent_dim=latent_dim, **kwargs)


@register_architecture("ae-overcomplete")
class OvercompleteAutoencoder(Autoencoder):
    def __init__(self, hidden=(), latent_dim=1024, dropout=0.2, weight_decay=1e-3, **kwargs):
        super().__init__(hidden=hidden, latent_dim=latent_dim, dropout=dropout, weight_decay=weight_decay, **kwargs)


@register_architecture("ae-linear")
class LinearAutoencoder(Autoencoder):
    """Works on centred pixels (x - mean, the mean set by `adapt` from the training data before
    training, as PCA centres): with the mean left to the biases, gradient descent spends most of its
    steps cancelling the large mean direction and reaches the principal subspace very slowly."""

    def __init__(self, hidden=(), latent_dim=16, activation=None, reconstruction="mse", **kwargs):
        super().__init__(
            hidden=hidden, latent_dim=latent_dim, activation=activation, reconstruction=reconstruction, **kwargs
        )

    def build_encoder(self):
        encoder = super().build_encoder()
        return keras.Sequential(
            [
                keras.Input(self.image_shape),
                layers.Flatten(),
                Offset(self.pixels, -1.0, name="center"),
                encoder.get_layer("mlp"),
            ],
            name="encoder",
        )

    def build_decoder(self):
        decoder = super().build_decoder()
        return keras.Sequential(
            [
                keras.Input((self.latent_dim,)),
                decoder.get_layer("mlp"),
                Offset(self.pixels, 1.0, name="uncenter"),
                layers.Reshape(self.image_shape),
            ],
            name="decoder",
        )

    def adapt(self, data):
        """Harness hook before training: the per-pixel mean of the training images (streamed)."""
        from zoo.data import scale_images

        total = sum(scale_images(chunk).reshape(len(chunk), -1).sum(0, dtype=np.float64) for chunk in data.chunks(500))
        self.centre_on((total / len(data)).astype(np.float32))

    def centre_on(self, mean):
        """Set the centring offset to `mean` (`[H*W*C]`, the training images' per-pixel mean)."""
        self.encoder.get_layer("center").offset.assign(mean)
        self.decoder.get_layer("uncenter").offset.assign(mean)

    def decoder_basis(self):
        """`[pixels, k]`: the columns the decoder mixes (its column space is the learnt subspace)."""
        kernel = np.eye(self.latent_dim, dtype=np.float64)
        for layer in self.decoder.get_layer("mlp").layers:
            kernel = kernel @ np.asarray(layer.kernel, np.float64)
        return kernel.T

    def extra_metrics(self, images):
        from zoo.data import scale_images

        train = self.data("train")  # (the recipe leaves a held-out class out of it)
        return {"pca_comparison": pca_comparison(self, scale_images(train.images), images)}


def pca_comparison(model, train_images, test_images):
    """Largest principal angle between the decoder's column space and PCA's top-k subspace of the
    training data, and held-out reconstruction MSE of the AE vs PCA with the same k."""
    from scipy.linalg import subspace_angles
    from sklearn.decomposition import PCA

    k = model.latent_dim
    flat = lambda x: np.asarray(x, np.float64).reshape(len(x), -1)  # noqa: E731
    pca = PCA(n_components=k, svd_solver="full").fit(flat(train_images))
    angles = np.degrees(subspace_angles(model.decoder_basis(), pca.components_.T))
    test = flat(test_images)
    pca_mse = float(np.mean((pca.inverse_transform(pca.transform(test)) - test) ** 2))
    ae_mse = float(np.mean((flat(model.reconstruct(test_images)) - test) ** 2))
    return {
        "k": k,
        "largest_principal_angle_degrees": float(angles.max()),
        "mean_principal_angle_degrees": float(angles.mean()),
        "ae_test_mse": ae_mse,
        "pca_test_mse": pca_mse,
        "mse_ratio_ae_to_pca": ae_mse / pca_mse,
    }
