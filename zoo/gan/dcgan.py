"""DCGAN (Radford et al. 2015): convolutional generator and discriminator, any adversarial loss.

Sized like the keras.io "DCGAN overriding train_step" example for 28x28 digits:
  generator     z -> Dense(H/4 * W/4 * 2w) -> 2x upsample(2w) -> LReLU -> 2x upsample(w) -> LReLU
                  -> Conv 5x5 -> sigmoid
  discriminator x -> Conv 4x4/2 (w) -> LReLU -> Conv 4x4/2 (2w) -> LReLU -> Dropout -> Dense(1)
with w = `width` = 64 by default (the keras.io sizes: 128 and 64 generator filters).

Upsampling is a sub-pixel convolution by default (Shi et al. 2016): a 2x2 convolution to 4c channels
followed by depth-to-space. It has exactly the parameters and FLOPs of the 4x4, stride-2 transposed
convolution it replaces (each output pixel sees the same 2x2 input window), trains faster on CPU
under XLA, and exports to builtin ops everywhere. `upsample="transpose"` restores Conv2DTranspose.
"""

from __future__ import annotations

import zoo._tensorflow  # noqa: F401  (TensorFlow, loaded quietly)

import keras
import tensorflow as tf
from keras import layers

from zoo.gan.base import GAN
from zoo.losses import batch_mean
from zoo.registry import register_architecture
from zoo.training import minimize


@keras.saving.register_keras_serializable(package="zoo")
class DepthToSpace(layers.Layer):
    """Rearranges `[B, H, W, 4C]` into `[B, 2H, 2W, C]` (block size 2)."""

    def __init__(self, block_size=2, **kwargs):
        super().__init__(**kwargs)
        self.block_size = block_size

    def call(self, x):
        return tf.nn.depth_to_space(x, self.block_size)

    def compute_output_shape(self, shape):
        b = self.block_size
        return (
            shape[0],
            None if shape[1] is None else shape[1] * b,
            None if shape[2] is None else shape[2] * b,
            shape[3] // (b * b),
        )

    def get_config(self):
        return {**super().get_config(), "block_size": self.block_size}


def upsample(filters, kind, use_bias=True):
    """2x spatial upsampling to `filters` channels."""
    if kind == "subpixel":
        return [layers.Conv2D(4 * filters, 2, padding="same", use_bias=use_bias), DepthToSpace(2)]
    if kind == "transpose":
        return [layers.Conv2DTranspose(filters, 4, 2, padding="same", use_bias=use_bias)]
    raise ValueError(f"unknown upsample kind '{kind}'; choose subpixel or transpose")


def build_generator(latent_dim, image_shape, width, kind, batch_norm=False):
    """With `batch_norm`, each hidden layer's output is batch-normalised before its activation (the
    DCGAN paper's generator; training batches use their own statistics, sampling the moving ones).
    The statistics are the global batch's under a distribution strategy (synchronized), so that a
    multi-worker run does what one process does. A layer followed by batch norm has no bias (the
    norm's offset replaces it; its gradient would be rounding noise, which Adam scales up to steps)."""
    h, w, c = image_shape
    bias = not batch_norm

    def normalised():
        return [layers.BatchNormalization(synchronized=True)] if batch_norm else []

    return keras.Sequential(
        [
            keras.Input((latent_dim,)),
            layers.Dense(h // 4 * w // 4 * 2 * width, use_bias=bias),
            *normalised(),
            layers.Reshape((h // 4, w // 4, 2 * width)),
            *upsample(2 * width, kind, bias),
            *normalised(),
            layers.LeakyReLU(0.2),
            *upsample(width, kind, bias),
            *normalised(),
            layers.LeakyReLU(0.2),
            layers.Conv2D(c, 5, padding="same", activation="sigmoid"),
        ],
        name="generator",
    )


def build_discriminator(image_shape, width, dropout, spectral_norm=False):
    """With `spectral_norm`, every weight layer is wrapped in keras' SpectralNormalization (Miyato et
    al. 2018, one power iteration per training call): its kernel is divided by its largest singular
    value, so the discriminator is about 1-Lipschitz."""
    weighted = layers.SpectralNormalization if spectral_norm else (lambda layer: layer)
    return keras.Sequential(
        [
            keras.Input(image_shape),
            weighted(layers.Conv2D(width, 4, 2, padding="same")),
            layers.LeakyReLU(0.2),
            weighted(layers.Conv2D(2 * width, 4, 2, padding="same")),
            layers.LeakyReLU(0.2),
            layers.Flatten(),
            layers.Dropout(dropout),
            weighted(layers.Dense(1)),  # a logit: the loss decides what it means
        ],
        name="discriminator",
    )


@register_architecture("dcgan")
class DCGAN(GAN):
    """DCGAN. `width` sets the filter counts (generator 2w then w, discriminator w then 2w);
    `spectral_norm` normalises the discriminator's weight layers, `batch_norm` the generator's hidden
    layers."""

    def __init__(self, width=64, upsample="subpixel", dropout=0.2, spectral_norm=False, batch_norm=False, **kwargs):
        super().__init__(**kwargs)
        h, w, _ = self.image_shape
        if h % 4 or w % 4:
            raise ValueError(f"DCGAN needs image sides divisible by 4, got {self.image_shape}")
        self.width, self.upsample, self.dropout = int(width), upsample, float(dropout)
        self.batch_norm = bool(batch_norm)
        self.generator = build_generator(self.latent_dim, self.image_shape, self.width, upsample, self.batch_norm)
        self.spectral_norm = bool(spectral_norm)
        self.discriminator = build_discriminator(self.image_shape, self.width, self.dropout, self.spectral_norm)
        self.track_averages()
        self.built = True

    def get_config(self):
        config = {**super().get_config(), "width": self.width, "upsample": self.upsample, "dropout": self.dropout}
        # (each absent when off: the shipped cards' configs stay as they were)
        config.update({key: True for key in ("spectral_norm", "batch_norm") if getattr(self, key)})
        return config

    def train_step(self, data):
        """Algorithm 1 of Goodfellow et al. (2014), one discriminator step per generator step.

        The generator step reuses this step's fake batch against the just-updated discriminator
        (as the PyTorch DCGAN reference does) instead of drawing and generating a second batch:
        the same update in expectation, one generator forward pass cheaper.
        """
        real, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        z = self.draw_latents(tf.shape(real)[0])
        with tf.GradientTape() as tape:
            fake = self.generator(z, training=True)
            # 1. Update the discriminator on real images and the (detached) fakes.
            with tape.stop_recording():
                logs = self.discriminator_step(real, tf.stop_gradient(fake))
            # 2. Update the generator to make the updated discriminator call its fakes real.
            g_loss = batch_mean(self.adversarial.generator(self.critic(fake)))
        minimize(tape, self.g_optimizer, g_loss, self.generator.trainable_variables)
        # 3. Sampling uses the moving average of the generator's weights (when kept).
        self.update_generator_average()
        return self.record({**logs, "g_loss": g_loss})
