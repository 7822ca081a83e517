"""StyleGAN-lite (Karras et al. 2019, 2020) for 32x32 images.

  mapping     z -> pixel norm -> `mapping_layers` (>= 4) equalised dense + LReLU -> w   (lr x 0.01)
  synthesis   learned constant 4x4 -> blocks at 4, 8, 16, 32 (nearest 2x upsampling between them);
              every 3x3 convolution is modulated by its own style (an affine map of w) and
              demodulated (StyleGAN2's weight demodulation, computed as scale-input / conv /
              scale-output, which equals the per-sample modulated kernel), then per-pixel noise
              (an *input*, times a learned per-channel strength) is added, then bias + LReLU;
              a modulated 1x1 toRGB (no demodulation), centred on 0.5, gives images (clipped to
              [0, 1] where they leave the model; training sees them unclipped, as in StyleGAN)
  equalised learning rate: every weight is stored N(0, 1) and scaled by 1/sqrt(fan_in) at run time
  training    non-saturating logistic loss (or any loss of zoo.losses),
              R1 penalty (gamma/2) E|grad D(x_real)|^2 on real images,
              style mixing: with p = `mixing`, two latents and a random crossover layer;
              w_avg tracked as an exponential moving average of mapped latents;
              the small-data recipe of zoo.gan.base: a moving average of the mapping and synthesis
              weights (ema_decay; StyleGAN's G_ema) that every output comes from, and differentiable
              augmentation of what the discriminator sees (augment, augment_target)
  truncation  w' = w_avg + psi (w - w_avg); psi = 0 gives the average image for any z
Endpoints: mapping(z) -> w; synthesis(w, noise0..noiseK) -> images; sample(z, noise0..noiseK, psi).
"""

from __future__ import annotations

import zoo._tensorflow  # noqa: F401  (TensorFlow, loaded quietly)

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from zoo import checks
from zoo.gan.base import GAN
from zoo.images import to_uint8
from zoo.losses import batch_mean
from zoo.registry import register_architecture
from zoo.serving.endpoints import Endpoint, Input
from zoo.training import minimize

SQRT2 = float(np.sqrt(2.0))  # gain that keeps LReLU activations at unit variance


@keras.saving.register_keras_serializable(package="zoo")
class EqualizedDense(layers.Layer):
    """Dense layer with equalised learning rate (and a learning-rate multiplier for the mapping net)."""

    def __init__(self, units, lr_multiplier=1.0, bias_init=0.0, activation=None, **kwargs):
        super().__init__(**kwargs)
        self.units, self.lr_multiplier, self.bias_init = int(units), float(lr_multiplier), float(bias_init)
        self.activation = activation

    def build(self, input_shape):
        fan_in = int(input_shape[-1])
        self.kernel = self.add_weight(
            shape=(fan_in, self.units),
            initializer=keras.initializers.RandomNormal(0.0, 1.0 / self.lr_multiplier),
            name="kernel",
        )
        self.bias = self.add_weight(
            shape=(self.units,),
            initializer=keras.initializers.Constant(self.bias_init / self.lr_multiplier),
            name="bias",
        )
        self.scale = float(self.lr_multiplier / np.sqrt(fan_in))

    def call(self, x):
        y = tf.matmul(x, self.kernel * self.scale) + self.bias * self.lr_multiplier
        return tf.nn.leaky_relu(y, 0.2) * SQRT2 if self.activation == "lrelu" else y

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "lr_multiplier": self.lr_multiplier,
            "bias_init": self.bias_init,
            "activation": self.activation,
        }


@keras.saving.register_keras_serializable(package="zoo")
class ModulatedConv(layers.Layer):
    """k x k convolution modulated by a style vector; optional demodulation, noise, bias + LReLU."""

    def __init__(self, filters, kernel_size=3, demodulate=True, noise=True, activate=True, **kwargs):
        super().__init__(**kwargs)
        self.filters, self.kernel_size = int(filters), int(kernel_size)
        self.demodulate, self.noise, self.activate = bool(demodulate), bool(noise), bool(activate)

    def build(self, input_shape):
        x_shape, w_shape = input_shape[0], input_shape[1]
        channels = int(x_shape[-1])
        k = self.kernel_size
        self.kernel = self.add_weight(shape=(k, k, channels, self.filters), initializer="random_normal", name="kernel")
        self.scale = float(1.0 / np.sqrt(k * k * channels))
        self.affine = EqualizedDense(channels, bias_init=1.0, name="affine")  # style = A(w), starts at 1
        self.affine.build(w_shape)
        self.bias = self.add_weight(shape=(self.filters,), initializer="zeros", name="bias")
        if self.noise:
            self.noise_strength = self.add_weight(shape=(self.filters,), initializer="zeros", name="noise_strength")

    def call(self, inputs):
        x, w, noise = (list(inputs) + [None])[:3]  # [x, w] or [x, w, noise]
        style = self.affine(w)  # [B, in]
        kernel = self.kernel * self.scale
        x = x * style[:, None, None, :]  # modulation, applied to the input channels
        x = tf.nn.conv2d(x, kernel, 1, "SAME")
        if self.demodulate:  # 1 / |W * s| per sample and output channel
            squared = tf.matmul(tf.square(style), tf.reduce_sum(tf.square(kernel), axis=[0, 1]))  # [B, out]
            x = x * tf.math.rsqrt(squared + 1e-8)[:, None, None, :]
        if self.noise and noise is not None:
            x = x + tf.cast(noise, x.dtype) * self.noise_strength  # noise comes in float32 (an input)
        x = x + self.bias
        return tf.nn.leaky_relu(x, 0.2) * SQRT2 if self.activate else x

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "demodulate": self.demodulate,
            "noise": self.noise,
            "activate": self.activate,
        }


@keras.saving.register_keras_serializable(package="zoo")
class Synthesis(layers.Layer):
    """Constant 4x4 -> modulated conv blocks up to `resolution` -> toRGB, one w per style layer."""

    def __init__(self, resolution=32, channels=(64, 64, 32, 32), image_channels=1, **kwargs):
        super().__init__(**kwargs)
        self.resolution, self.channels, self.image_channels = (
            int(resolution),
            [int(c) for c in channels],
            int(image_channels),
        )
        self.resolutions = [4 * 2**i for i in range(len(self.channels))]
        if self.resolutions[-1] != self.resolution:
            raise ValueError(f"{len(channels)} blocks from 4x4 reach {self.resolutions[-1]}, not {resolution}")
        self.convs = []
        for i, c in enumerate(self.channels):
            for j in range(1 if i == 0 else 2):
                self.convs.append((self.resolutions[i], ModulatedConv(c, name=f"conv{self.resolutions[i]}_{j}")))
        self.to_rgb = ModulatedConv(
            self.image_channels, 1, demodulate=False, noise=False, activate=False, name="to_rgb"
        )

    @property
    def num_ws(self):
        return len(self.convs) + 1

    @property
    def noise_shapes(self):
        return [(r, r, 1) for r, _ in self.convs]

    def build(self, input_shape):
        w_dim = int(input_shape[-1])
        self.const = self.add_weight(shape=(1, 4, 4, self.channels[0]), initializer="random_normal", name="const")
        channels_in = self.channels[0]
        for _, conv in self.convs:
            conv.build([(None, None, None, channels_in), (None, w_dim)])
            channels_in = conv.filters
        self.to_rgb.build([(None, None, None, channels_in), (None, w_dim)])

    def call(self, ws, noises):
        """ws: [B, num_ws, w_dim]; noises: list of [B, r, r, 1]. Returns images [B, r, r, C] centred on
        0.5 with no output nonlinearity (as in StyleGAN: a saturating sigmoid let the generator
        collapse to all-black images here); `StyleGANLite` clips to [0, 1] where images leave the model."""
        x, current = tf.tile(self.const, [tf.shape(ws)[0], 1, 1, 1]), 4
        for i, ((res, conv), noise) in enumerate(zip(self.convs, noises)):
            if res > current:  # nearest-neighbour 2x
                x, current = tf.repeat(tf.repeat(x, 2, axis=1), 2, axis=2), res
            x = conv([x, ws[:, i], noise])
        return 0.5 + 0.5 * self.to_rgb([x, ws[:, -1]])

    def get_config(self):
        return {
            **super().get_config(),
            "resolution": self.resolution,
            "channels": self.channels,
            "image_channels": self.image_channels,
        }


def build_mapping(latent_dim, w_dim, layers_count):
    z = keras.Input((latent_dim,))
    ops = keras.ops
    x = z * ops.rsqrt(ops.mean(ops.square(z), axis=1, keepdims=True) + 1e-8)  # pixel norm
    for i in range(layers_count):
        x = EqualizedDense(w_dim, lr_multiplier=0.01, activation="lrelu", name=f"mapping{i}")(x)
    return keras.Model(z, x, name="mapping")


def build_discriminator(image_shape, width):
    images = keras.Input(image_shape)
    x = images
    for filters in (width, 2 * width, 4 * width):  # 32 -> 16 -> 8 -> 4
        x = layers.LeakyReLU(0.2)(layers.Conv2D(filters, 3, padding="same")(x))
        x = layers.AveragePooling2D(2)(layers.LeakyReLU(0.2)(layers.Conv2D(filters, 3, padding="same")(x)))
    x = layers.LeakyReLU(0.2)(layers.Dense(4 * width)(layers.Flatten()(x)))
    return keras.Model(images, layers.Dense(1)(x), name="discriminator")


@register_architecture("stylegan-lite")
class StyleGANLite(GAN):
    def __init__(
        self,
        w_dim=64,
        mapping_layers=4,
        channels=(64, 64, 32, 32),
        d_width=32,
        r1_gamma=1.0,
        mixing=0.9,
        w_avg_decay=0.995,
        **kwargs,
    ):
        kwargs.setdefault("image_shape", (32, 32, 1))
        kwargs.setdefault("latent_dim", 64)
        super().__init__(r1_gamma=r1_gamma, **kwargs)  # loss: any of zoo.losses (non-saturating logistic)
        if mapping_layers < 4:
            raise ValueError(f"the mapping network needs at least 4 layers, got {mapping_layers}")
        self.w_dim, self.mapping_layers, self.channels = int(w_dim), int(mapping_layers), [int(c) for c in channels]
        self.d_width, self.mixing, self.w_avg_decay = int(d_width), float(mixing), float(w_avg_decay)
        self.mapping = build_mapping(self.latent_dim, self.w_dim, self.mapping_layers)
        self.synthesis = Synthesis(self.image_shape[0], self.channels, self.image_shape[2], name="synthesis")
        self.synthesis.build((None, self.synthesis.num_ws, self.w_dim))
        self.discriminator = build_discriminator(self.image_shape, self.d_width)
        self.w_avg = self.add_weight(shape=(self.w_dim,), initializer="zeros", trainable=False, name="w_avg")
        # The generator's moving average (ema_decay > 0): `mapping_ema` and `synthesis_ema`, which
        # sampling, previews, evaluation and export use (as StyleGAN's G_ema).
        self.track_averages()
        self.built = True

    def get_config(self):
        return {
            **super().get_config(),
            "w_dim": self.w_dim,
            "mapping_layers": self.mapping_layers,
            "channels": self.channels,
            "d_width": self.d_width,
            "mixing": self.mixing,
            "w_avg_decay": self.w_avg_decay,
        }

    @property
    def generator_variables(self):
        return self.mapping.trainable_variables + self.synthesis.trainable_variables

    def compile(self, learning_rate=1e-3, d_learning_rate=None, **kwargs):
        keras.Model.compile(self, **kwargs)
        self.g_optimizer = keras.optimizers.Adam(learning_rate, beta_1=0.0, beta_2=0.99, epsilon=1e-8)
        self.d_optimizer = keras.optimizers.Adam(
            d_learning_rate or learning_rate, beta_1=0.0, beta_2=0.99, epsilon=1e-8
        )
        self.g_optimizer.build(self.generator_variables)
        self.d_optimizer.build(self.discriminator.trainable_variables)

    # --- pieces of the step -----------------------------------------------------------------------
    def draw_noise(self, batch):
        return [keras.random.normal((batch, *shape), seed=self.noise) for shape in self.synthesis.noise_shapes]

    def mixed_ws(self, batch):
        """[B, num_ws, w_dim]: one w per layer; with p = mixing, layers from a crossover point on use a second w."""
        n = self.synthesis.num_ws
        w1, w2 = (
            self.mapping(self.draw_latents(batch), training=True),
            self.mapping(self.draw_latents(batch), training=True),
        )
        crossover = keras.random.randint((batch, 1), 1, n, seed=self.noise)
        mix = keras.random.uniform((batch, 1), seed=self.noise) < self.mixing
        use_second = tf.logical_and(mix, tf.range(n)[None, :] >= crossover)  # [B, n]
        return tf.where(use_second[:, :, None], w2[:, None, :], w1[:, None, :]), w1

    def train_step(self, data):
        real, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        batch = tf.shape(real)[0]
        with tf.GradientTape() as g_tape:
            ws, w1 = self.mixed_ws(batch)
            fake = self.synthesis(ws, self.draw_noise(batch))
            # 1. Discriminator: the adversarial loss + R1 on real images (+ the loss's own penalty),
            #    on augmented images when the recipe asks for it (zoo.gan.base).
            with g_tape.stop_recording():
                logs = self.discriminator_step(real, tf.stop_gradient(fake))
            # 2. Generator (mapping + synthesis) against the updated discriminator.
            g_loss = batch_mean(self.adversarial.generator(self.critic(fake)))
        minimize(g_tape, self.g_optimizer, g_loss, self.generator_variables)
        self.update_generator_average()
        # 3. Track the average w for the truncation trick.
        self.w_avg.assign(self.w_avg_decay * self.w_avg + (1.0 - self.w_avg_decay) * tf.reduce_mean(w1, axis=0))
        return self.record({**logs, "g_loss": g_loss})

    averaged = ("mapping", "synthesis")  # the generator is two networks; outputs come from their averages
    part_names = ("mapping", "synthesis", "discriminator")

    def empty_copy(self, network):
        if network is self.mapping:
            return super().empty_copy(network)
        synthesis = Synthesis(self.image_shape[0], self.channels, self.image_shape[2], name=f"{network.name}_ema")
        synthesis.build((None, self.synthesis.num_ws, self.w_dim))
        return synthesis

    @property
    def output_networks(self):
        """(mapping, synthesis) that images come from: the moving averages when the model keeps them."""
        return self.output_network("mapping"), self.output_network("synthesis")

    # --- use -------------------------------------------------------------------------------------
    @property
    def generator(self):
        """z -> images with zero noise and psi = 1 (for tools that expect a plain generator), from the
        averaged networks when the model keeps them (the trained ones: `mapping`, `synthesis`)."""
        return lambda z, training=False: self._generate(z, None, 1.0)

    def _generate(self, z, noises, psi):
        mapping, synthesis = self.output_networks
        w = mapping(z, training=False)
        w = self.w_avg + tf.reshape(psi, [-1, 1]) * (w - self.w_avg)
        ws = tf.tile(w[:, None, :], [1, synthesis.num_ws, 1])
        if noises is None:
            noises = [tf.zeros((tf.shape(z)[0], *s)) for s in synthesis.noise_shapes]
        return tf.clip_by_value(synthesis(ws, noises), 0.0, 1.0)

    def noise_inputs(self, n, seed=0):
        """Per-layer noise tensors {noise0: [n, 4, 4, 1], …} from a NumPy generator."""
        rng = np.random.default_rng(seed + 1_000_003)
        return {
            f"noise{i}": rng.standard_normal((n, *s)).astype(np.float32)
            for i, s in enumerate(self.synthesis.noise_shapes)
        }

    def sample(self, n=16, seed=0, psi=1.0):
        """`n` images in [0, 1] (float32 [n, 32, 32, C]); `psi` < 1 trades variety for typicality."""
        z, psi = self.latents(n, seed), checks.number(psi, "psi", 0.0, 1.0)
        return self.endpoint("sample").batched(z=z, psi=np.full((n,), psi, np.float32), **self.noise_inputs(n, seed))[
            "images"
        ]

    def endpoints(self):
        noise_specs = {f"noise{i}": Input((None, *s), "float32") for i, s in enumerate(self.synthesis.noise_shapes)}
        keys = list(noise_specs)

        mapping_network, synthesis_network = self.output_networks

        def mapping(z):
            return {"w": mapping_network(z, training=False)}

        def synthesis(w, **noise):
            images = tf.clip_by_value(
                synthesis_network(tf.tile(w[:, None, :], [1, synthesis_network.num_ws, 1]), [noise[k] for k in keys]),
                0.0,
                1.0,
            )
            return {"images": images, "images_uint8": to_uint8(images)}

        def sample(z, psi, **noise):
            images = self._generate(z, [noise[k] for k in keys], psi)
            return {"images": images, "images_uint8": to_uint8(images)}

        return {
            "sample": Endpoint(
                "sample",
                sample,
                {
                    "z": Input((None, self.latent_dim)),
                    "psi": Input((None,), low=0.0, high=1.0, example=lambda rng, shape: rng.uniform(0.5, 1.0, shape)),
                    **noise_specs,
                },
                doc="z, per-layer noise and truncation psi in [0, 1] -> images",
                outputs=("images", "images_uint8"),
            ),
            "mapping": Endpoint(
                "mapping", mapping, {"z": Input((None, self.latent_dim))}, doc="z -> w", outputs=("w",)
            ),
            "synthesis": Endpoint(
                "synthesis",
                synthesis,
                {"w": Input((None, self.w_dim)), **noise_specs},
                doc="w (used by every layer) and per-layer noise -> images",
                outputs=("images", "images_uint8"),
            ),
        }
