"""Variational autoencoder (Kingma & Welling 2014), beta-weighted (Higgins et al. 2017):

    mean, log_var = encoder(x)
    z     = mean + exp(log_var / 2) * eps,  eps ~ N(0, I) drawn inside train_step
    loss  = E_batch[ recon(x, decoder(z)) + beta * KL(N(mean, var) || N(0, I)) ]
    KL    = -1/2 sum_j (1 + log_var_j - mean_j^2 - exp(log_var_j))

Deterministic uses (encode, reconstruct, anomaly score) take the posterior mean; `sample` decodes
prior draws that the caller passes in (the exported graph holds no random op).
"""

from __future__ import annotations

import zoo._tensorflow  # noqa: F401  (TensorFlow, loaded quietly)

import keras
import numpy as np
import tensorflow as tf

from zoo import checks
from zoo.autoencoders.base import Autoencoder, dense_stack
from zoo.errors import InputError
from zoo.losses import batch_mean
from zoo.registry import register_architecture
from zoo.serving.endpoints import Endpoint, Input
from zoo.training import replica_draw


def gaussian_kl(mean, log_var):
    """Per-example KL(N(mean, exp(log_var)) || N(0, I)) `[B]`."""
    return -0.5 * tf.reduce_sum(1.0 + log_var - tf.square(mean) - tf.exp(log_var), axis=1)


@register_architecture("vae")
class VariationalAutoencoder(Autoencoder):
    penalty_names = ("kl",)
    evaluation = ("held_out", "samples")  # a generator too: its prior samples are scored like a GAN's
    vis_kinds = ("latent", "interpolate", "curves")
    api = ("encode", "decode", "reconstruct", "anomaly_score", "calibrate", "sample", "latents", "interpolate")

    def __init__(self, hidden=(512, 256), latent_dim=2, beta=1.0, **kwargs):
        super().__init__(hidden=hidden, latent_dim=latent_dim, **kwargs)
        self.beta = float(beta)

    def get_config(self):
        return {**super().get_config(), "beta": self.beta}

    def build_encoder(self):
        return keras.Sequential(
            [
                keras.Input(self.image_shape),
                keras.layers.Flatten(),
                dense_stack("mlp", self.pixels, self.hidden, self.activation, 2 * self.latent_dim),
            ],
            name="encoder",
        )

    def posterior(self, images, training=False):
        mean, log_var = tf.split(self.encoder(images, training=training), 2, axis=-1)
        return mean, log_var

    def encode_tensor(self, images, training=False):
        return self.posterior(images, training)[0]

    def loss_terms(self, images):
        mean, log_var = self.posterior(images, training=True)
        eps = replica_draw(
            lambda shape: keras.random.normal(shape, seed=self.noise), tf.shape(mean)[0], self.latent_dim
        )
        z = mean + tf.exp(0.5 * log_var) * eps  # reparameterisation: the gradient flows through mean, log_var
        logits = self.decoder(z, training=True)
        return {
            "reconstruction": batch_mean(self.reconstruction_error(images, logits)),
            "kl": self.beta * batch_mean(gaussian_kl(mean, log_var)),
        }, {}

    def endpoints(self):
        endpoints = super().endpoints()
        images = endpoints["encode"].inputs["images"]

        def encode(images):
            mean, log_var = self.posterior(images)
            return {"mean": mean, "log_variance": log_var}

        def sample(z):
            return endpoints["decode"].fn(code=z)

        endpoints["encode"] = Endpoint(
            "encode",
            encode,
            {"images": images},
            "images -> posterior mean and log-variance [N, latent_dim]",
            ("mean", "log_variance"),
        )
        endpoints["sample"] = Endpoint(
            "sample",
            sample,
            {"z": Input((None, self.latent_dim), "float32")},
            "prior draws z ~ N(0, I) -> images in [0, 1] (float32) and [0, 255] (uint8)",
            ("images", "images_uint8"),
        )
        return endpoints

    def encode(self, images):
        """Posterior means `[N, latent_dim]`."""
        return self._run("encode", "mean", images=images)

    def latents(self, n, seed=0):
        """`[n, latent_dim]` prior draws from NumPy's generator seeded with `seed`."""
        n = checks.sample_count(n)
        return np.random.default_rng(checks.seed(seed)).standard_normal((n, self.latent_dim)).astype(np.float32)

    def sample(self, n=16, seed=0):
        """`n` images from the prior, float32 in [0, 1], reproducible for a given `seed`."""
        return self._run("sample", "images", z=self.latents(n, seed))

    def interpolate(self, start, end, steps=10):
        """Decoded straight line between the posterior means of two images: `[steps, H, W, C]`."""
        steps = checks.count(steps, "steps", at_least=2)
        ends = [checks.array(image, name) for name, image in (("start", start), ("end", end))]
        if ends[0].shape != self.image_shape or ends[1].shape != self.image_shape:
            raise InputError(
                f"start and end must be single images of shape {list(self.image_shape)}, got "
                f"{list(ends[0].shape)} and {list(ends[1].shape)}"
            )
        a, b = self.encode(np.stack(ends))
        path = np.stack([(1 - t) * a + t * b for t in np.linspace(0.0, 1.0, steps)]).astype(np.float32)
        return self.decode(path)

    def extra_metrics(self, images):
        mean = tf.constant(self.encode(images))
        _, log_var = self.posterior(images)
        return {"mean_kl_nats": float(np.mean(gaussian_kl(mean, log_var)))}
