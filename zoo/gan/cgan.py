"""Conditional GAN (Mirza & Osindero 2014) with a projection discriminator (Miyato & Koyama 2018).

  generator      [z ; embed_g(y)] -> the DCGAN generator           (label embedded, concatenated)
  discriminator  phi(x) = DCGAN conv trunk -> h;  D(x, y) = w.h + b + <embed_d(y), h>   (projection)
Both networks see the label; the discriminator's projection term scores "is this a good y". The step
is the DCGAN step with the labels of the real batch given to both networks, so the generator is
trained to make the class it was asked for. `sample(n, seed, labels)`; the exported `sample`
endpoint takes `z` float32 [N, latent] and `label` int32 [N].
"""

from __future__ import annotations

import zoo._tensorflow  # noqa: F401  (TensorFlow, loaded quietly)

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from zoo import checks
from zoo.errors import InputError
from zoo.gan.base import GAN
from zoo.gan.dcgan import upsample
from zoo.images import to_uint8
from zoo.losses import batch_mean
from zoo.registry import register_architecture
from zoo.serving.endpoints import Endpoint, Input
from zoo.training import minimize


def generator_trunk(x, image_shape, width, kind="subpixel"):
    """[z ; condition] -> images: Dense to (H/4, W/4, 2 width), two x2 upsampling steps, sigmoid conv
    (the conditional generators' shared body; text -> image uses it too)."""
    h, w, c = image_shape
    x = layers.Reshape((h // 4, w // 4, 2 * width))(layers.Dense(h // 4 * w // 4 * 2 * width)(x))
    for filters in (2 * width, width):
        for layer in upsample(filters, kind):
            x = layer(x)
        x = layers.LeakyReLU(0.2)(x)
    return layers.Conv2D(c, 5, padding="same", activation="sigmoid")(x)


def projection_discriminator(images, condition, embedded, dropout, width):
    """D(x, y) = w.h(x) + b + <embedded(h's size), h(x)>: the projection discriminator over the DCGAN
    conv trunk; `embedded(size)` maps the condition to a vector of h's size."""
    x = layers.LeakyReLU(0.2)(layers.Conv2D(width, 4, 2, padding="same")(images))
    x = layers.LeakyReLU(0.2)(layers.Conv2D(2 * width, 4, 2, padding="same")(x))
    h = layers.Dropout(dropout)(layers.Flatten()(x))
    unconditional = layers.Dense(1)(h)  # created before the embedding: the shipped weights' order
    projection = layers.Dot(axes=1)([embedded(h.shape[-1]), h])
    return keras.Model([images, condition], layers.Add()([unconditional, projection]), name="discriminator")


def build_generator(latent_dim, image_shape, num_classes, width, kind, embed_dim):
    z, label = keras.Input((latent_dim,), name="z"), keras.Input((), dtype="int32", name="label")
    x = layers.Concatenate()([z, layers.Embedding(num_classes, embed_dim)(label)])
    return keras.Model([z, label], generator_trunk(x, image_shape, width, kind), name="generator")


def build_discriminator(image_shape, num_classes, width, dropout):
    images, label = keras.Input(image_shape, name="images"), keras.Input((), dtype="int32", name="label")
    return projection_discriminator(
        images, label, lambda size: layers.Embedding(num_classes, size)(label), dropout, width
    )


@register_architecture("cgan")
class ConditionalGAN(GAN):
    uses_labels = True  # the harness feeds (images, labels)
    evaluation = ("samples", "conditional")
    vis_kinds = ("interpolate", "curves")  # its discriminator also takes the label: no single-input maps

    def __init__(self, num_classes=10, width=64, upsample="subpixel", dropout=0.2, embed_dim=32, **kwargs):
        super().__init__(**kwargs)
        self.num_classes, self.width, self.upsample = int(num_classes), int(width), upsample
        self.dropout, self.embed_dim = float(dropout), int(embed_dim)
        self.generator = build_generator(
            self.latent_dim, self.image_shape, self.num_classes, self.width, upsample, self.embed_dim
        )
        self.discriminator = build_discriminator(self.image_shape, self.num_classes, self.width, self.dropout)
        self.track_averages()
        self.built = True

    def get_config(self):
        return {
            **super().get_config(),
            "num_classes": self.num_classes,
            "width": self.width,
            "upsample": self.upsample,
            "dropout": self.dropout,
            "embed_dim": self.embed_dim,
        }

    def critic(self, images, labels=None, training=True):
        return self.discriminator([self.augmented(images) if training else images, labels], training=training)

    def train_step(self, data):
        """The DCGAN step with each real image's label given to both networks."""
        real, labels, _ = keras.utils.unpack_x_y_sample_weight(data)
        labels = tf.cast(labels, tf.int32)
        z = self.draw_latents(tf.shape(real)[0])
        with tf.GradientTape() as tape:
            fake = self.generator([z, labels], training=True)
            with tape.stop_recording():
                logs = self.discriminator_step(real, tf.stop_gradient(fake), labels)
            g_loss = batch_mean(self.adversarial.generator(self.critic(fake, labels)))
        minimize(tape, self.g_optimizer, g_loss, self.generator.trainable_variables)
        self.update_generator_average()
        return self.record({**logs, "g_loss": g_loss})

    # --- use -------------------------------------------------------------------------------------
    def call(self, inputs, training=False):
        z, labels = inputs
        return self.sampler([z, labels], training=training)

    def sample_labels(self, n):
        """0, 1, …, num_classes-1, 0, 1, …: `n` labels covering every class evenly."""
        return (np.arange(n) % self.num_classes).astype(np.int32)

    def sample(self, n=16, seed=0, labels=None):
        """`n` images of the given `labels` (default: every class in turn), float32 in [0, 1]."""
        z = self.latents(n, seed)
        labels = self.sample_labels(n) if labels is None else checks.array(labels, "labels")
        if labels.shape != (n,):
            raise InputError(f"labels must have shape [{n}], got {list(labels.shape)}")
        return self.endpoint("sample").batched(z=z, label=labels)["images"]

    def preview(self):
        """The per-epoch grid: row r shows class r (0-7) for eight fixed latents."""
        n = 8 * 8
        labels = np.repeat(np.arange(8) % self.num_classes, 8).astype(np.int32)
        return self.endpoint("sample")(z=self.latents(n, self.seed), label=labels)["images"]

    def endpoints(self):
        def sample(z, label):
            images = self.sampler([z, label], training=False)
            return {"images": images, "images_uint8": to_uint8(images)}

        return {
            "sample": Endpoint(
                "sample",
                sample,
                {
                    "z": Input((None, self.latent_dim), "float32"),
                    "label": Input((None,), "int32", low=0, high=self.num_classes - 1),
                },
                doc="latents z ~ N(0, I) and class labels -> images of those classes in [0, 1] and uint8",
                outputs=("images", "images_uint8"),
            )
        }

    def class_accuracy(self, classifier, per_class=100, seed=0):
        """Share of samples the classifier assigns to the requested class: overall and per class."""
        labels = np.repeat(np.arange(self.num_classes), per_class).astype(np.int32)
        predicted = classifier.probabilities(self.sample(len(labels), seed=seed, labels=labels)).argmax(1)
        per = {str(c): float(np.mean(predicted[labels == c] == c)) for c in range(self.num_classes)}
        return {"class_accuracy": float(np.mean(predicted == labels)), "class_accuracy_per_class": per}
