"""CycleGAN (Zhu et al. 2017): unpaired translation between image domains A and B.

  generators      G: A -> B and F: B -> A, ResNet style: c7s1-k, one stride-2 down (2k),
                  `blocks` residual blocks, one 2x up (k), c7s1-C + sigmoid; instance norm
                  (GroupNormalization(groups=-1)) after every inner convolution
  discriminators  D_A, D_B: 70x70-style PatchGAN scaled to small images (4x4 convs, stride 2, 2, 1, 1),
                  one real/fake logit per patch
  losses          least squares:  D: (D(real) - 1)^2 + D(fake)^2,  G: (D(G(x)) - 1)^2
                  cycle:          λ |F(G(a)) - a|_1 + λ |G(F(b)) - b|_1        λ = 10
                  identity:       λ_id (|G(b) - b|_1 + |F(a) - a|_1)            λ_id = 0.5 λ
  history pool    the discriminators see fakes from a pool of the last 50 generated images
                  (Shrivastava et al. 2017): each fake is swapped, with probability 1/2, for an
                  older one once the pool is full; the pool is model state, so resume is exact
  schedule        constant learning rate, then linear decay to 0 over the second half of training
  average         with `ema_decay` > 0, a moving average of each generator's weights (zoo.gan.base's
                  AveragedGenerator), which the endpoints, previews and evaluation use
The step reads as the paper's: generators first (adversarial + cycle + identity), then both
discriminators on real images and pooled fakes. Endpoints `a_to_b(images)` and `b_to_a(images)`.
"""

from __future__ import annotations

import zoo._tensorflow  # noqa: F401  (TensorFlow, loaded quietly)

import keras
import tensorflow as tf
from keras import layers

from zoo import checks
from zoo.contract import ZooModel
from zoo.gan.base import AveragedGenerator, TwoPlayer
from zoo.gan.dcgan import upsample
from zoo.images import to_uint8
from zoo.losses import adversarial_loss, batch_mean
from zoo.registry import register_architecture
from zoo.serving.endpoints import Endpoint, Input, unit_interval
from zoo.training import minimize


def instance_norm():
    return layers.GroupNormalization(groups=-1, epsilon=1e-5)


def build_generator(image_shape, width, blocks, name):
    h, w, c = image_shape
    images = keras.Input(image_shape)
    x = layers.ReLU()(instance_norm()(layers.Conv2D(width, 7, padding="same")(images)))
    x = layers.ReLU()(instance_norm()(layers.Conv2D(2 * width, 3, 2, padding="same")(x)))
    for _ in range(blocks):
        y = layers.ReLU()(instance_norm()(layers.Conv2D(2 * width, 3, padding="same")(x)))
        y = instance_norm()(layers.Conv2D(2 * width, 3, padding="same")(y))
        x = layers.Add()([x, y])
    for layer in upsample(width, "subpixel"):
        x = layer(x)
    x = layers.ReLU()(instance_norm()(x))
    out = layers.Conv2D(c, 7, padding="same", activation="sigmoid")(x)
    return keras.Model(images, out, name=name)


def build_patch_discriminator(image_shape, width, name):
    """PatchGAN (Isola et al. 2017) scaled to small images: 4x4 convs with strides 2, 2, 1 and a
    1-channel 4x4 conv; each output logit judges a patch of the image (about 22 pixels across)."""
    images = keras.Input(image_shape)
    x = layers.LeakyReLU(0.2)(layers.Conv2D(width, 4, 2, padding="same")(images))
    x = layers.LeakyReLU(0.2)(instance_norm()(layers.Conv2D(2 * width, 4, 2, padding="same")(x)))
    x = layers.LeakyReLU(0.2)(instance_norm()(layers.Conv2D(4 * width, 4, 1, padding="same")(x)))
    return keras.Model(images, layers.Conv2D(1, 4, 1, padding="same")(x), name=name)


def per_pixel(x, y):
    """Mean absolute difference per example, [B]."""
    return tf.reduce_mean(tf.abs(x - y), axis=[1, 2, 3])


def patch_mean(per_patch, images):
    """Per-patch values (flattened over the batch by the loss table) -> mean per example, [B]."""
    return tf.reduce_mean(tf.reshape(per_patch, [tf.shape(images)[0], -1]), axis=1)


@register_architecture("cyclegan")
class CycleGAN(AveragedGenerator, TwoPlayer, ZooModel, keras.Model):
    data_kind = "unpaired"  # the harness feeds (images_a, images_b) batches from two unpaired sets
    evaluation = ("translation",)
    part_names = ("g_ab", "g_ba", "d_a", "d_b")
    api = ("translate",)

    def __init__(
        self,
        image_shape=(28, 28, 1),
        width=16,
        blocks=3,
        d_width=32,
        cycle_weight=10.0,
        identity_weight=5.0,
        pool_size=50,
        seed=0,
        ema_decay=0.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.image_shape = tuple(int(d) for d in image_shape)
        self.width, self.blocks, self.d_width = int(width), int(blocks), int(d_width)
        self.cycle_weight, self.identity_weight = float(cycle_weight), float(identity_weight)
        self.pool_size, self.seed = int(pool_size), int(seed)
        self.adversarial = adversarial_loss("least-squares")
        self.g_ab = build_generator(self.image_shape, self.width, self.blocks, "g_a_to_b")
        self.g_ba = build_generator(self.image_shape, self.width, self.blocks, "g_b_to_a")
        self.d_a = build_patch_discriminator(self.image_shape, self.d_width, "d_a")
        self.d_b = build_patch_discriminator(self.image_shape, self.d_width, "d_b")
        self.noise = keras.random.SeedGenerator(seed)
        pool_shape = (self.pool_size, *self.image_shape)
        self.pool_a = self.add_weight(shape=pool_shape, initializer="zeros", trainable=False, name="pool_a")
        self.pool_b = self.add_weight(shape=pool_shape, initializer="zeros", trainable=False, name="pool_b")
        self.pool_filled = self.add_weight(
            shape=(2,), initializer="zeros", trainable=False, name="pool_filled", dtype="int32"
        )
        self.ema_decay = checks.number(ema_decay, "ema_decay", 0.0, 0.99999)
        self.track_averages()  # g_ab_ema, g_ba_ema: what translations come from
        names = ("g_loss", "d_loss", "cycle_loss", "identity_loss", "adversarial_loss")
        self.trackers = {n: keras.metrics.Mean(name=n) for n in names}
        self.built = True

    def get_config(self):
        return {
            "image_shape": list(self.image_shape),
            "width": self.width,
            "blocks": self.blocks,
            "d_width": self.d_width,
            "cycle_weight": self.cycle_weight,
            "identity_weight": self.identity_weight,
            "pool_size": self.pool_size,
            "seed": self.seed,
            "ema_decay": self.ema_decay,
            "name": self.name,
        }

    @property
    def domain_names(self):
        """The two domains' dataset names, from the run's recipe ("A", "B" before it has one)."""
        recipe = self.recipe or {}
        return [recipe.get(k, {}).get("dataset", k.upper()) for k in ("a", "b")]

    @property
    def generators(self):
        return self.g_ab.trainable_variables + self.g_ba.trainable_variables

    @property
    def discriminators(self):
        return self.d_a.trainable_variables + self.d_b.trainable_variables

    def compile(self, learning_rate=2e-4, **kwargs):
        super().compile(**kwargs)
        self.base_learning_rate = float(learning_rate)
        self.g_optimizer = keras.optimizers.Adam(learning_rate, beta_1=0.5)
        self.d_optimizer = keras.optimizers.Adam(learning_rate, beta_1=0.5)
        self.g_optimizer.build(self.generators)
        self.d_optimizer.build(self.discriminators)

    def learning_rate_at(self, epoch, epochs):
        """Constant for the first half of training, then linear decay to 0 (as in the paper)."""
        start = epochs // 2
        fraction = 1.0 if epoch < start else 1.0 - (epoch - start) / max(epochs - start, 1)
        return self.base_learning_rate * fraction

    def pooled(self, which, fakes):
        """Fakes for the discriminator from the history pool (see module docstring)."""
        pool = self.pool_a if which == 0 else self.pool_b
        n = tf.shape(fakes)[0]
        filled = self.pool_filled[which]
        full = filled >= self.pool_size
        slots = tf.where(
            full,
            keras.random.randint((n,), 0, self.pool_size, seed=self.noise),
            (filled + tf.range(n)) % self.pool_size,
        )
        older = tf.gather(pool, slots)
        swap = tf.logical_and(full, keras.random.uniform((n,), seed=self.noise) < 0.5)
        served = tf.where(swap[:, None, None, None], older, fakes)
        stored = tf.where(tf.logical_or(tf.logical_not(full), swap)[:, None, None, None], fakes, older)
        pool.assign(tf.tensor_scatter_nd_update(pool, slots[:, None], stored))
        self.pool_filled.assign(
            tf.tensor_scatter_nd_update(self.pool_filled, [[which]], [tf.minimum(filled + n, self.pool_size)])
        )
        return served

    def train_step(self, data):
        real_a, real_b = data
        # 1. Generators: fool both discriminators, map back (cycle), leave the target domain alone (identity).
        with tf.GradientTape() as tape:
            fake_a, fake_b, parts = self.generator_losses(real_a, real_b)
            adversarial, cycle, identity = parts["adversarial"], parts["cycle"], parts["identity"]
            g_loss = adversarial + self.cycle_weight * cycle + self.identity_weight * identity
        minimize(tape, self.g_optimizer, g_loss, self.generators)
        self.update_generator_average()
        # 2. Discriminators: real vs fakes served by the history pools.
        pooled_a, pooled_b = self.pooled(0, tf.stop_gradient(fake_a)), self.pooled(1, tf.stop_gradient(fake_b))
        with tf.GradientTape() as tape:
            d_loss = batch_mean(
                self.patch_loss(self.d_a, real_a, pooled_a) + self.patch_loss(self.d_b, real_b, pooled_b)
            )
        minimize(tape, self.d_optimizer, d_loss, self.discriminators)
        return self.record(
            {
                "g_loss": g_loss,
                "d_loss": d_loss,
                "cycle_loss": cycle,
                "identity_loss": identity,
                "adversarial_loss": adversarial,
            }
        )

    def generator_losses(self, real_a, real_b):
        """(fake_a, fake_b, {adversarial, cycle, identity}) of one generator step, each reduced over the batch."""
        fake_b, fake_a = self.g_ab(real_a, training=True), self.g_ba(real_b, training=True)
        cycled_a, cycled_b = self.g_ba(fake_b, training=True), self.g_ab(fake_a, training=True)
        same_a, same_b = self.g_ba(real_a, training=True), self.g_ab(real_b, training=True)
        adversarial = batch_mean(
            patch_mean(self.adversarial.generator(self.d_b(fake_b, training=True)), fake_b)
            + patch_mean(self.adversarial.generator(self.d_a(fake_a, training=True)), fake_a)
        )
        cycle = batch_mean(per_pixel(cycled_a, real_a) + per_pixel(cycled_b, real_b))
        identity = batch_mean(per_pixel(same_a, real_a) + per_pixel(same_b, real_b))
        return fake_a, fake_b, {"adversarial": adversarial, "cycle": cycle, "identity": identity}

    def patch_loss(self, discriminator, real, fake):
        """Least-squares discriminator loss averaged over patches, per example [B]."""
        per_patch = self.adversarial.discriminator(
            discriminator(real, training=True), discriminator(fake, training=True)
        )
        return patch_mean(per_patch, real)

    averaged = ("g_ab", "g_ba")  # both directions' generators

    @property
    def output_generators(self):
        """(A -> B, B -> A) that translations come from: the moving averages when the model keeps them."""
        return self.output_network("g_ab"), self.output_network("g_ba")

    # --- use -------------------------------------------------------------------------------------
    def call(self, images, training=False):
        return self.output_generators[0](images, training=training)

    def translate(self, images, direction="a_to_b"):
        """Translate float [0, 1] images `[N, H, W, C]`; direction "a_to_b" or "b_to_a"."""
        direction = checks.choice(direction, tuple(self.endpoints()), "direction")
        return self.endpoint(direction).batched(images=images)["translated"]

    def preview(self):
        """Rows: 8 held-out inputs from A, their translation to B, 8 from B, their translation to A."""
        import numpy as np

        from zoo.data import scale_images

        if self._preview_inputs is None:
            test = self.data("test")
            self._preview_inputs = (scale_images(test.a.first(8)), scale_images(test.b.first(8)))
        a, b = self._preview_inputs
        return np.concatenate([a, self.translate(a, "a_to_b"), b, self.translate(b, "b_to_a")])

    _preview_inputs = None

    def discriminator_features(self, discriminator):
        """`images -> [N, patches]`: a PatchGAN's per-patch logits, its own view of the images."""
        import numpy as np

        return lambda images: np.asarray(discriminator(images, training=False)).reshape(len(images), -1)

    def monitored(self, reals, n=256, seed=12345):
        """Both directions: translations of the first training images of one domain, watched in the
        other domain's discriminator against that domain's real images."""
        a, b = reals
        return [
            ("a_to_b", self.translate(a[:n], "a_to_b"), b[:n], self.discriminator_features(self.d_b)),
            ("b_to_a", self.translate(b[:n], "b_to_a"), a[:n], self.discriminator_features(self.d_a)),
        ]

    def endpoints(self):
        def direction(generator):
            def translate(images):
                out = generator(images, training=False)
                return {"translated": out, "translated_uint8": to_uint8(out)}

            return translate

        spec = {"images": Input((None, *self.image_shape), "float32", example=unit_interval, low=0.0, high=1.0)}
        a, b = self.domain_names
        a_to_b, b_to_a = self.output_generators
        return {
            "a_to_b": Endpoint(
                "a_to_b",
                direction(a_to_b),
                spec,
                doc=f"{a} images in [0, 1] -> {b} style",
                outputs=("translated", "translated_uint8"),
            ),
            "b_to_a": Endpoint(
                "b_to_a",
                direction(b_to_a),
                spec,
                doc=f"{b} images in [0, 1] -> {a} style",
                outputs=("translated", "translated_uint8"),
            ),
        }
