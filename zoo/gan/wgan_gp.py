"""WGAN-GP (Gulrajani et al. 2017, Algorithm 1): a Wasserstein critic with gradient penalty.

Same generator as the DCGAN; the critic is the DCGAN discriminator without dropout, without
sigmoid and without batch norm (the penalty is per example, which batch norm would break).
Each `train_step` receives `n_critic` x m real images and runs
    for t in 1..n_critic:   critic step on the t-th m real images, fresh z, fresh α ~ U[0, 1]
                            L = C(G(z)) - C(x) + λ (|∇C(x^)|₂ - 1)²,  λ = 10
    generator step:         L = -C(G(z)),  fresh z
with Adam(lr=1e-4, β1=0, β2=0.9) as in the paper. Logged: d_loss, g_loss, gradient_penalty and
`wasserstein` = E C(x) - E C(G(z)), the critic's estimate of the distance.
"""

from __future__ import annotations

import zoo._tensorflow  # noqa: F401  (TensorFlow, loaded quietly)

import keras
import tensorflow as tf

from zoo.gan.dcgan import DCGAN
from zoo.losses import batch_mean
from zoo.registry import register_architecture
from zoo.training import minimize


@register_architecture("wgan-gp")
class WGANGP(DCGAN):
    def __init__(self, n_critic=5, **kwargs):
        kwargs.setdefault("dropout", 0.0)
        kwargs["loss"] = "wgan-gp"
        super().__init__(**kwargs)
        self.n_critic = int(n_critic)
        if self.n_critic < 1:
            raise ValueError(f"n_critic must be >= 1, got {n_critic}")

    def get_config(self):
        return {**super().get_config(), "n_critic": self.n_critic}

    def default_optimizer(self, learning_rate=1e-4):
        return keras.optimizers.Adam(learning_rate, beta_1=0.0, beta_2=0.9)

    def train_step(self, data):
        real, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        # 1. n_critic critic updates, each on its own slice of the real batch (every n_critic-th
        #    example: the same slices whether the batch is on one device or split across replicas).
        for chunk in (real[k :: self.n_critic] for k in range(self.n_critic)):
            fake = self.generator(self.draw_latents(tf.shape(chunk)[0]), training=True)
            logs = self.discriminator_step(chunk, tf.stop_gradient(fake))
        # 2. One generator update against the updated critic.
        z = self.draw_latents(tf.shape(real)[0] // self.n_critic)
        with tf.GradientTape() as tape:
            g_loss = batch_mean(self.adversarial.generator(self.critic(self.generator(z, training=True))))
        minimize(tape, self.g_optimizer, g_loss, self.generator.trainable_variables)
        self.update_generator_average()
        return self.record({**logs, "g_loss": g_loss})
