"""What every GAN in the zoo shares: two networks, two optimizers, loss trackers, latents, endpoints.

A concrete GAN builds `self.generator` and `self.discriminator` in `__init__` and writes its own
`train_step`; this base gives it the discriminator update for any adversarial loss, sampling with
a fixed seed, and the `sample` endpoint that the exporter turns into files.
"""

from __future__ import annotations

import zoo._tensorflow  # noqa: F401  (TensorFlow, loaded quietly)

import keras
import numpy as np
import tensorflow as tf

from zoo import checks
from zoo.contract import ZooModel
from zoo.endpoints import Endpoint, Input
from zoo.images import to_uint8
from zoo.losses import adversarial_loss, batch_mean, gradient_penalty
from zoo.training import minimize, replica_draw


class TwoPlayer:
    """Mixin for models trained as two players (generators vs discriminators): their two optimizers
    (saved by the full-state checkpoint) and the loss trackers that `fit` prints."""

    @property
    def optimizers(self):
        return {"g_optimizer": self.g_optimizer, "d_optimizer": self.d_optimizer}

    @property
    def metrics(self):
        return list(self.trackers.values())

    def record(self, logs):
        for key, value in logs.items():
            self.trackers[key].update_state(value)
        return {key: tracker.result() for key, tracker in self.trackers.items()}


class GAN(ZooModel, TwoPlayer, keras.Model):
    """Base of the zoo's GANs. Images are float32 in [0, 1], shape `image_shape` (H, W, C)."""

    tracked = ("d_loss", "g_loss", "d_accuracy")
    evaluation = ("samples",)
    vis_kinds = ("saliency", "gradcam", "interpolate", "curves")
    api = ("sample", "latents")

    def __init__(self, latent_dim=128, image_shape=(28, 28, 1), loss="non-saturating", seed=1337, **kwargs):
        super().__init__(**kwargs)
        self.latent_dim = int(latent_dim)
        self.image_shape = tuple(int(d) for d in image_shape)
        self.loss_name = loss
        self.adversarial = adversarial_loss(loss)
        self.seed = int(seed)
        self.noise = keras.random.SeedGenerator(seed)  # latents and α inside train_step
        self.trackers = {name: keras.metrics.Mean(name=name) for name in self.tracked}
        if self.adversarial.gradient_penalty_weight:
            for name in ("gradient_penalty", "wasserstein"):
                self.trackers[name] = keras.metrics.Mean(name=name)

    # --- configuration -------------------------------------------------------------------------
    def get_config(self):
        return {
            "latent_dim": self.latent_dim,
            "image_shape": list(self.image_shape),
            "loss": self.loss_name,
            "seed": self.seed,
            "name": self.name,
        }

    def compile(self, g_optimizer=None, d_optimizer=None, learning_rate=2e-4, **kwargs):
        """Two optimizers; the defaults follow the loss: Adam(lr, β1=0.5), or β=(0, 0.9) for WGAN-GP."""
        super().compile(**kwargs)
        self.g_optimizer = g_optimizer or self.default_optimizer(learning_rate)
        self.d_optimizer = d_optimizer or self.default_optimizer(learning_rate)
        # Build the optimizer slots now, so a checkpoint can be restored into them before fit().
        self.g_optimizer.build(self.generator.trainable_variables)
        self.d_optimizer.build(self.discriminator.trainable_variables)

    def default_optimizer(self, learning_rate=2e-4):
        if self.adversarial.gradient_penalty_weight:
            return keras.optimizers.Adam(learning_rate, beta_1=0.0, beta_2=0.9)
        return keras.optimizers.Adam(learning_rate, beta_1=0.5)

    # --- the shared half of a GAN step ------------------------------------------------------------
    def draw_latents(self, batch_size):
        return replica_draw(lambda shape: keras.random.normal(shape, seed=self.noise), batch_size, self.latent_dim)

    def critic(self, images, labels=None, training=True):
        """Discriminator logits of `images` (conditional GANs also take the `labels`)."""
        return self.discriminator(images, training=training)

    def discriminator_step(self, real, fake, labels=None):
        """One discriminator update on real and (already detached) fake images; returns its logs."""
        batch = tf.shape(real)[0]
        with tf.GradientTape() as tape:
            real_logits = self.critic(real, labels)
            fake_logits = self.critic(fake, labels)
            per_example = self.adversarial.discriminator(real_logits, fake_logits)
            logs = {}
            if self.adversarial.gradient_penalty_weight:
                alpha = replica_draw(
                    lambda shape: keras.random.uniform(shape, seed=self.noise), batch
                )  # one α per example, U[0, 1]
                critic = lambda x, training=True: self.critic(x, labels, training)  # noqa: E731
                penalty = gradient_penalty(critic, real, fake, alpha)
                per_example += self.adversarial.gradient_penalty_weight * penalty
                logs["gradient_penalty"] = batch_mean(penalty)
                # E C(x) - E C(G(z)): the critic's estimate of the Wasserstein-1 distance.
                logs["wasserstein"] = tf.reduce_mean(real_logits) - tf.reduce_mean(fake_logits)
            d_loss = batch_mean(per_example)
        minimize(tape, self.d_optimizer, d_loss, self.discriminator.trainable_variables)
        threshold = self.adversarial.decision_threshold
        correct = tf.concat([tf.reshape(real_logits, [-1]) > threshold, tf.reshape(fake_logits, [-1]) <= threshold], 0)
        logs.update(d_loss=d_loss, d_accuracy=tf.reduce_mean(tf.cast(correct, tf.float32)))
        return logs

    # --- using a trained generator ----------------------------------------------------------------
    def call(self, z, training=False):
        return self.generator(z, training=training)

    def latents(self, n, seed=0):
        """`[n, latent_dim]` standard-normal latents from a NumPy generator seeded with `seed`."""
        n = checks.count(n)
        return np.random.default_rng(checks.seed(seed)).standard_normal((n, self.latent_dim)).astype(np.float32)

    def sample(self, n=16, seed=0):
        """`n` images as float32 `[n, H, W, C]` in [0, 1], reproducible for a given `seed`."""
        return self.endpoints()["sample"].batched(z=self.latents(n, seed))["images"]

    def preview(self):
        """The images the training callbacks show each epoch: 64 samples from fixed latents (seed 0)."""
        return self.sample(64, seed=0)

    def discriminator_features(self, images):
        """`[N, D]` activations entering the discriminator's last layer (its own feature space)."""
        net = self.discriminator
        last = [layer for layer in net.layers if isinstance(layer, keras.layers.Dense)][-1]
        # Built per call and not kept: an attribute holding it would enter the saved weights.
        features = keras.Model(net.inputs, last.input)
        inputs = [images, np.zeros(len(images), np.int32)] if len(net.inputs) == 2 else images
        return np.asarray(features(inputs, training=False)).reshape(len(images), -1)

    def monitored(self, reals, n=256, seed=12345):
        return [("generator", self.sample(n, seed=seed), reals, self.discriminator_features)]

    def endpoints(self):
        def sample(z):
            images = self.generator(z, training=False)
            return {"images": images, "images_uint8": to_uint8(images)}

        return {
            "sample": Endpoint(
                "sample",
                sample,
                {"z": Input((None, self.latent_dim), "float32")},
                doc="latents z ~ N(0, I) -> images in [0, 1] (float32) and [0, 255] (uint8)",
                outputs=("images", "images_uint8"),
            )
        }
