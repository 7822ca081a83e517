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
from zoo.errors import InputError
from zoo.gan.augment import augment, parse_policy
from zoo.images import to_uint8
from zoo.losses import adversarial_loss, batch_mean, gradient_penalty
from zoo.serving.endpoints import Endpoint, Input
from zoo.training import minimize, replica_draw

#: ADA's step of p per training step: from 0 to 1 in 500 steps (ADA moves it in 500k images; these
#: runs see a few hundred thousand images in all, so p must be able to follow within an epoch or two)
ADA_SPEED = 1.0 / 500


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


class AveragedGenerator:
    """Mixin for models with a `g_optimizer` and an `ema_decay` (0 = off): the exponential moving
    average of the generator's weights that the model's outputs come from.

    `averaged` names the attributes holding the trained networks; each one's average is kept in
    `<name>_ema` (None without one), so a model whose generator is several networks (StyleGAN's
    mapping and synthesis, CycleGAN's two directions) lists each and the rest is shared."""

    #: attributes of the trained networks that outputs come from
    averaged = ("generator",)

    #: False: outputs come from the trained networks even where a moving average is kept (to
    #: score the two apart: python -m zoo.evaluate RUN --raw-generator)
    use_average = True

    def track_averages(self):
        """Called by a subclass once its networks exist: with `ema_decay` > 0, keep an exponential
        moving average of each one's weights (Karras et al. 2018; Yazici et al. 2019) in
        `<name>_ema`, named `<network name>_ema`, which sampling, previews, evaluation and export
        use. Its weights are part of the model (saved, checkpointed, restored on resume)."""
        for name in self.averaged:
            setattr(self, f"{name}_ema", None)
        if self.ema_decay > 0:
            for name in self.averaged:
                network = getattr(self, name)
                average = self.empty_copy(network)
                average.name = f"{network.name}_ema"
                average.set_weights(network.get_weights())
                setattr(self, f"{name}_ema", average)

    def empty_copy(self, network):
        """A network of `network`'s architecture with its own, built weights (a model whose
        networks are not functional Keras models overrides this)."""
        return keras.models.clone_model(network)

    @property
    def keeps_average(self):
        return bool(self.averaged_networks())

    def averaged_networks(self):
        """(trained network, its moving average) pairs, one per name in `averaged`."""
        pairs = [(getattr(self, name), getattr(self, f"{name}_ema", None)) for name in self.averaged]
        return [(network, average) for network, average in pairs if average is not None]

    def output_network(self, name):
        """The network `name` that outputs run: its moving average when the model keeps one (and
        `use_average`), else the trained network itself."""
        average = getattr(self, f"{name}_ema", None)
        return average if average is not None and self.use_average else getattr(self, name)

    def endpoint_state(self):
        return (self.use_average,)  # which generator the endpoints run: its moving average or itself

    @property
    def sampler(self):
        """The generator that `sample`, the previews and the exported endpoints run."""
        return self.output_network("generator")

    def update_generator_average(self):
        """After a generator step: average <- d * average + (1 - d) * weights, where the decay
        warms up as d_t = min(d, (1 + t) / (10 + t)) (t = generator steps taken), so the average
        does not remember the random initial weights for thousands of steps."""
        pairs = self.averaged_networks()
        if not pairs:
            return
        t = tf.cast(self.g_optimizer.iterations, tf.float32)
        decay = tf.minimum(self.ema_decay, (1.0 + t) / (10.0 + t))
        for network, averaged in pairs:
            for average, weight in zip(averaged.weights, network.weights):
                value = tf.cast(weight, average.dtype)
                average.assign(value + tf.cast(decay, average.dtype) * (average - value))


def unwrapped(layer):
    """The layer a keras wrapper (such as SpectralNormalization) holds, else the layer itself."""
    return layer.layer if isinstance(layer, keras.layers.Wrapper) else layer


class GAN(AveragedGenerator, TwoPlayer, ZooModel, keras.Model):
    """Base of the zoo's GANs. Images are float32 in [0, 1], shape `image_shape` (H, W, C)."""

    tracked = ("d_loss", "g_loss", "d_accuracy")
    evaluation = ("samples",)
    vis_kinds = ("saliency", "gradcam", "interpolate", "curves")
    part_names = ("generator", "discriminator")

    def saliency_subject(self):
        if len(self.discriminator.inputs) != 1:  # a conditional discriminator also reads the label
            return None
        return [self.discriminator], (lambda out: out[:, 0]), "discriminator 'real' logit"

    api = ("sample", "latents")

    def __init__(
        self,
        latent_dim=128,
        image_shape=(28, 28, 1),
        loss="non-saturating",
        seed=1337,
        ema_decay=0.0,
        augment="",
        augment_target=None,
        r1_gamma=0.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.latent_dim = int(latent_dim)
        self.image_shape = tuple(int(d) for d in image_shape)
        self.loss_name = loss
        self.adversarial = adversarial_loss(loss)
        self.seed = int(seed)
        self.noise = keras.random.SeedGenerator(seed)  # latents and α inside train_step
        self.augment_noise = keras.random.SeedGenerator(seed + 7919)  # augmentation draws, apart from latents
        self.ema_decay = checks.number(ema_decay, "ema_decay", 0.0, 0.99999)
        self.augment_policy = parse_policy(augment)
        self.augment_target = None if augment_target is None else checks.number(augment_target, "augment_target", 0, 1)
        self.r1_gamma = checks.number(r1_gamma, "r1_gamma", 0.0)
        self.trackers = {name: keras.metrics.Mean(name=name) for name in self.tracked}
        if self.adversarial.gradient_penalty_weight:
            for name in ("gradient_penalty", "wasserstein"):
                self.trackers[name] = keras.metrics.Mean(name=name)
        if self.r1_gamma:
            self.trackers["r1_penalty"] = keras.metrics.Mean(name="r1_penalty")
        if self.augment_target is not None:
            if not self.augment_policy:
                raise InputError("an adaptive augmentation target needs an augmentation policy (augment=...)")
            # ADA's p: part of the model's state, so the checkpoint (and resume) carries it.
            self.augment_probability = self.add_weight(
                shape=(), initializer="zeros", trainable=False, name="augment_probability"
            )
            self.trackers["augment_p"] = keras.metrics.Mean(name="augment_p")

    # --- configuration -------------------------------------------------------------------------
    def get_config(self):
        return {
            "latent_dim": self.latent_dim,
            "image_shape": list(self.image_shape),
            "loss": self.loss_name,
            "seed": self.seed,
            "ema_decay": self.ema_decay,
            "augment": ",".join(self.augment_policy),
            "augment_target": self.augment_target,
            "r1_gamma": self.r1_gamma,
            "name": self.name,
        }

    def compile(self, g_optimizer=None, d_optimizer=None, learning_rate=2e-4, d_learning_rate=None, **kwargs):
        """Two optimizers; the defaults follow the loss: Adam(lr, β1=0.5), or β=(0, 0.9) for WGAN-GP.
        `d_learning_rate` gives the discriminator its own rate (two time-scales, Heusel et al. 2017);
        default: `learning_rate`."""
        super().compile(**kwargs)
        self.g_optimizer = g_optimizer or self.default_optimizer(learning_rate)
        self.d_optimizer = d_optimizer or self.default_optimizer(d_learning_rate or learning_rate)
        # Build the optimizer slots now, so a checkpoint can be restored into them before fit().
        self.g_optimizer.build(self.generator.trainable_variables)
        self.d_optimizer.build(self.discriminator.trainable_variables)

    def default_optimizer(self, learning_rate=2e-4):
        """Adam as the loss's paper uses it: β=(0, 0.9) for WGAN-GP (Gulrajani et al.), β=(0, 0.99)
        with an R1 penalty (StyleGAN2's setting), else the DCGAN paper's β1 = 0.5."""
        if self.adversarial.gradient_penalty_weight:
            return keras.optimizers.Adam(learning_rate, beta_1=0.0, beta_2=0.9)
        if self.r1_gamma:
            return keras.optimizers.Adam(learning_rate, beta_1=0.0, beta_2=0.99)
        return keras.optimizers.Adam(learning_rate, beta_1=0.5)

    # --- the shared half of a GAN step ------------------------------------------------------------
    def draw_latents(self, batch_size):
        return replica_draw(lambda shape: keras.random.normal(shape, seed=self.noise), batch_size, self.latent_dim)

    def augment_draw(self, shape):
        return replica_draw(lambda s: keras.random.uniform(s, seed=self.augment_noise), shape[0], *shape[1:])

    def augmented(self, images):
        """What the discriminator sees in training: `images` through the augmentation policy
        (real and generated alike; differentiable, so the generator's gradient flows through)."""
        if not self.augment_policy:
            return images
        p = self.augment_probability if self.augment_target is not None else None
        return augment(images, self.augment_policy, self.augment_draw, p)

    def critic(self, images, labels=None, training=True):
        """Discriminator logits of `images` (conditional GANs also take the `labels`); in training
        the images are first augmented (see `augmented`)."""
        return self.discriminator(self.augmented(images) if training else images, training=training)

    def adapt_augmentation(self, real_logits):
        """ADA: move p by one step towards E[sign(D(real))] = target (mean over every replica)."""
        if self.augment_target is None:
            return {}
        sign = tf.reduce_mean(tf.sign(tf.reshape(real_logits, [-1]) - self.adversarial.decision_threshold))
        context = tf.distribute.get_replica_context()
        if context is not None and context.num_replicas_in_sync > 1:
            sign = context.all_reduce("mean", sign)
        step = tf.sign(sign - self.augment_target) * ADA_SPEED
        self.augment_probability.assign(tf.clip_by_value(self.augment_probability + step, 0.0, 1.0))
        return {"augment_p": self.augment_probability}

    def discriminator_step(self, real, fake, labels=None, mismatched=None):
        """One discriminator update on real and (already detached) fake images; returns its logs.
        `mismatched`: other conditions for the real images (GAN-INT-CLS's matching-aware
        discriminator, Reed et al. 2016): real images with wrong conditions count as fake, and the
        two fake terms weigh 1/2 each."""
        real = tf.convert_to_tensor(real)  # a tape watches tensors, not NumPy arrays
        batch = tf.shape(real)[0]
        with tf.GradientTape() as tape:
            with tf.GradientTape(watch_accessed_variables=False) as input_tape:
                input_tape.watch(real)
                real_logits = self.critic(real, labels)
            fake_logits = self.critic(fake, labels)
            per_example = self.adversarial.discriminator(real_logits, fake_logits)
            if mismatched is not None:
                wrong_logits = self.critic(real, mismatched)
                per_example = 0.5 * (per_example + self.adversarial.discriminator(real_logits, wrong_logits))
                fake_logits = tf.concat([tf.reshape(fake_logits, [-1]), tf.reshape(wrong_logits, [-1])], 0)
            logs = {}
            if self.r1_gamma:
                # R1 (Mescheder et al. 2018): (gamma / 2) |grad_x D(x)|^2 on the real images, the same
                # forward pass as the loss's (the gradient passes through the augmentation, if any).
                grads = input_tape.gradient(real_logits, real)  # of the sum over the batch
                r1 = tf.reduce_sum(tf.square(grads), axis=list(range(1, len(real.shape))))
                per_example += 0.5 * self.r1_gamma * r1
                logs["r1_penalty"] = batch_mean(r1)
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
        logs.update(self.adapt_augmentation(real_logits))
        return logs

    # --- using a trained generator ----------------------------------------------------------------
    def call(self, z, training=False):
        return self.sampler(z, training=training)

    def latents(self, n, seed=0):
        """`[n, latent_dim]` standard-normal latents from a NumPy generator seeded with `seed`."""
        n = checks.sample_count(n)
        return np.random.default_rng(checks.seed(seed)).standard_normal((n, self.latent_dim)).astype(np.float32)

    def sample(self, n=16, seed=0):
        """`n` images as float32 `[n, H, W, C]` in [0, 1], reproducible for a given `seed`."""
        return self.endpoint("sample").batched(z=self.latents(n, seed))["images"]

    def preview(self):
        """The images the training callbacks show each epoch: 64 samples from fixed latents (seed 0)."""
        return self.sample(64, seed=0)

    def discriminator_features(self, images):
        """`[N, D]` activations entering the discriminator's last layer (its own feature space)."""
        net = self.discriminator
        dense = [layer for layer in net.layers if isinstance(unwrapped(layer), keras.layers.Dense)]
        last = dense[-1]
        # Built per call and not kept: an attribute holding it would enter the saved weights.
        features = keras.Model(net.inputs, last.input)
        inputs = [images, np.zeros(len(images), np.int32)] if len(net.inputs) == 2 else [images]
        return np.asarray(features(inputs, training=False)).reshape(len(images), -1)

    def monitored(self, reals, n=256, seed=12345):
        return [("generator", self.sample(n, seed=seed), reals, self.discriminator_features)]

    def endpoints(self):
        def sample(z):
            images = self.sampler(z, training=False)
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
