"""Text -> image GAN (GAN-INT-CLS, Reed et al. 2016), small: an emoji drawn from words.

  words          a prompt's distinct lower-case words -> ids (`zoo.serving.prompts`; the vocabulary is
                 every word of the training emoji's names, short names and skin tones)
  text encoder   each network has its own: the mean of its word embeddings (padding masked) -> Dense,
                 LeakyReLU; word order does not matter
  generator      [z ; text_G(words)] -> the DCGAN generator (two sub-pixel x2 steps, sigmoid)
  discriminator  DCGAN conv trunk -> h;  D(x, words) = w.h + b + <text_D(words), h>   (projection)
  step           the matching-aware discriminator: D learns (real, its words) -> real, and both
                 (generated, its words) and (real, another emoji's words) -> fake, weighted 1/2 each
                 (the other words: the batch's word lists rolled by one); then the generator step of
                 the conditional GAN. Word dropout: each training text keeps each word with
                 probability `keep_words` (at least one), so a prompt of two or three words is
                 something the networks have seen.
`generate(prompts, seed)` draws one image per prompt; the exported `generate` endpoint takes `tokens`
int32 [N, length] and `z` float32 [N, latent] (the client tokenizes, as `zoo.decoding` does).
"""

from __future__ import annotations

import zoo._tensorflow  # noqa: F401  (TensorFlow, loaded quietly)

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from zoo import checks
from zoo.errors import InputError, UnknownNameError
from zoo.gan.base import GAN
from zoo.gan.cgan import generator_trunk, projection_discriminator
from zoo.images import to_uint8
from zoo.losses import batch_mean
from zoo.registry import register_architecture
from zoo.serving import prompts
from zoo.serving.endpoints import Endpoint, Input
from zoo.training import minimize

TEXT_LENGTH = 16  # the most distinct words of an emoji's text is 14


def load_emoji_texts(split, image_size=32, vocabulary=None, length=TEXT_LENGTH):
    """ArraySet of (word ids [N, length], images [N, size, size, 3] float32 in [0, 1]) of the emoji
    `split`; `vocabulary` defaults to the train split's words. `info`: texts, categories, names."""
    from zoo.data import ArraySet, scale_images
    from zoo.data.emoji import emoji_names, load_emoji

    images = load_emoji("emoji", split, image_size=image_size)
    entries = emoji_names(split)
    texts = [prompts.emoji_text(e) for e in entries]
    if vocabulary is None:
        vocabulary = prompts.vocabulary_of(prompts.emoji_text(e) for e in emoji_names("train"))
    ids, unknown = prompts.encode(texts, vocabulary, length, strict=False)
    info = {
        "texts": texts,
        "labels": np.asarray(images.labels),
        "class_names": list(images.class_names),
        "vocabulary": list(vocabulary),
        "without_known_words": int(sum(not row.any() for row in ids)),
        "description": f"Noto emoji {split} split at {image_size}x{image_size}, each with the words of its name, "
        "short names and skin tones (emoji-datasource 16.0.0)",
        "recipe": {"image_size": int(image_size), "split": images.facts["split"], "text_length": int(length)},
    }
    return ArraySet("emoji", split, ids, np.asarray(scale_images(images.images), np.float32), info)


def load_texts(name, split, image_size=32, vocabulary=None):
    if name != "emoji":
        raise UnknownNameError(f"unknown text -> image dataset '{name}'; the zoo has 'emoji'")
    return load_emoji_texts(split, image_size, vocabulary)


def text_encoder(vocabulary_size, dim, name):
    """ids [N, L] -> [N, dim]: the masked mean of word embeddings, then Dense + LeakyReLU."""
    ids = keras.Input((None,), dtype="int32", name="tokens")
    embedded = layers.Embedding(vocabulary_size + 1, dim)(ids)
    mask = keras.ops.expand_dims(keras.ops.cast(keras.ops.greater(ids, 0), "float32"), -1)
    total = keras.ops.sum(embedded * mask, axis=1)
    mean = total / keras.ops.maximum(keras.ops.sum(mask, axis=1), 1.0)
    return keras.Model(ids, layers.LeakyReLU(0.2)(layers.Dense(dim)(mean)), name=name)


def build_generator(latent_dim, image_shape, vocabulary_size, width, embed_dim):
    z, tokens = keras.Input((latent_dim,), name="z"), keras.Input((None,), dtype="int32", name="tokens")
    x = layers.Concatenate()([z, text_encoder(vocabulary_size, embed_dim, "text_g")(tokens)])
    return keras.Model([z, tokens], generator_trunk(x, image_shape, width), name="generator")


def build_discriminator(image_shape, vocabulary_size, width, dropout, embed_dim):
    images, tokens = keras.Input(image_shape, name="images"), keras.Input((None,), dtype="int32", name="tokens")

    def embedded(size):  # the words' vector, projected to the size of the trunk's features
        return layers.Dense(size)(text_encoder(vocabulary_size, embed_dim, "text_d")(tokens))

    return projection_discriminator(images, tokens, embedded, dropout, width)


@register_architecture("text2image")
class TextToImageGAN(GAN):
    data_kind = "arrays"  # (word ids, images) batches of its own ArraySet
    evaluation = ("held_out",)
    vis_kinds = ("curves",)
    api = ("generate", "latents", "tokens")

    def __init__(
        self,
        vocabulary=(),
        width=32,
        dropout=0.2,
        embed_dim=64,
        text_length=TEXT_LENGTH,
        keep_words=0.75,
        image_shape=(32, 32, 3),
        **kwargs,
    ):
        super().__init__(image_shape=image_shape, **kwargs)
        self.vocabulary = [str(w) for w in vocabulary]
        if not self.vocabulary or len(set(self.vocabulary)) != len(self.vocabulary):
            raise InputError("vocabulary must be a non-empty list of distinct words")
        if any(prompts.words(w) != [w] for w in self.vocabulary):
            raise InputError("every vocabulary entry must be one lower-case word of letters and digits")
        self.width, self.dropout, self.embed_dim = int(width), float(dropout), int(embed_dim)
        self.text_length = checks.count(text_length, "text_length")
        self.keep_words = checks.number(keep_words, "keep_words", 0.0, 1.0)
        h, w, _ = self.image_shape
        if h % 4 or w % 4:
            raise InputError(f"image sides must be multiples of 4, got {h}x{w}")
        size = len(self.vocabulary)
        self.generator = build_generator(self.latent_dim, self.image_shape, size, self.width, self.embed_dim)
        self.discriminator = build_discriminator(self.image_shape, size, self.width, self.dropout, self.embed_dim)
        self.word_noise = keras.random.SeedGenerator(self.seed + 104729)
        self.track_averages()
        self.built = True

    def get_config(self):
        return {
            **super().get_config(),
            "vocabulary": list(self.vocabulary),
            "width": self.width,
            "dropout": self.dropout,
            "embed_dim": self.embed_dim,
            "text_length": self.text_length,
            "keep_words": self.keep_words,
        }

    def critic(self, images, labels=None, training=True):
        return self.discriminator([self.augmented(images) if training else images, labels], training=training)

    def drop_words(self, tokens):
        """Each word kept with probability `keep_words`; a text that would lose every word keeps all."""
        if self.keep_words >= 1.0:
            return tokens
        keep = keras.random.uniform(tf.shape(tokens), seed=self.word_noise) < self.keep_words
        kept = tf.where(keep, tokens, tf.zeros_like(tokens))
        empty = tf.reduce_all(tf.equal(kept, 0), axis=1, keepdims=True)
        return tf.where(empty, tokens, kept)

    def train_step(self, data):
        """GAN-INT-CLS: the discriminator also learns that a real image with another emoji's words is
        fake; the generator learns to draw what the words say."""
        tokens, real = data
        tokens = self.drop_words(tf.cast(tokens, tf.int32))
        wrong = tf.roll(tokens, shift=1, axis=0)  # each image with the next one's words
        z = self.draw_latents(tf.shape(real)[0])
        with tf.GradientTape() as tape:
            fake = self.generator([z, tokens], training=True)
            with tape.stop_recording():
                logs = self.discriminator_step(real, tf.stop_gradient(fake), tokens, mismatched=wrong)
            g_loss = batch_mean(self.adversarial.generator(self.critic(fake, tokens)))
        minimize(tape, self.g_optimizer, g_loss, self.generator.trainable_variables)
        self.update_generator_average()
        return self.record({**logs, "g_loss": g_loss})

    # --- use -------------------------------------------------------------------------------------
    def call(self, inputs, training=False):
        z, tokens = inputs
        return self.sampler([z, tokens], training=training)

    def tokens(self, texts):
        """Word ids int32 `[N, text_length]` of the prompts `texts` (see `zoo.serving.prompts`: unknown
        words dropped with a warning; an empty prompt or one with no known word refused)."""
        ids, unknown = prompts.encode(texts, self.vocabulary, self.text_length)
        prompts.warn_unknown(unknown)
        return ids

    def generate(self, texts, seed=0, z=None):
        """One image per prompt, float32 `[N, H, W, 3]` in [0, 1]: `generate(["smiling cat"], seed=0)`.
        `z` (`[N, latent_dim]`) replaces the latents drawn from `seed`."""
        ids = self.tokens(texts)
        z = self.latents(len(ids), seed) if z is None else checks.array(z, "z")
        if z.shape != (len(ids), self.latent_dim):
            raise InputError(f"z must have shape [{len(ids)}, {self.latent_dim}] (one per prompt), got {list(z.shape)}")
        return self.endpoint("generate").batched(tokens=ids, z=z)["images"]

    def sample(self, n=16, seed=0):
        """`n` images for the first `n` training texts in turn (what the training grid shows)."""
        texts = self.data("train").info["texts"] if self.recipe else [self.vocabulary[0]]
        chosen = [texts[i % len(texts)] for i in range(checks.sample_count(n))]
        ids, _ = prompts.encode(chosen, self.vocabulary, self.text_length, strict=False)
        return self.endpoint("generate").batched(tokens=ids, z=self.latents(len(ids), seed))["images"]

    def preview(self):
        """8 held-out texts (rows), 8 latents each: does the image follow the words, and vary with z."""
        test = self.data("test")
        picked = np.linspace(0, len(test) - 1, 8).astype(int)
        ids = np.repeat(test.inputs[picked], 8, axis=0)
        z = np.tile(self.latents(8, self.seed), (8, 1))
        return self.endpoint("generate")(tokens=ids, z=z)["images"]

    def data(self, split):
        recipe = self.recipe or {}
        return load_texts(recipe.get("dataset", "emoji"), split, recipe.get("image_size", 32), self.vocabulary)

    def discriminator_features(self, images):
        dense = [layer for layer in self.discriminator.layers if isinstance(layer, layers.Dense)][0]
        features = keras.Model(self.discriminator.inputs, dense.input)
        no_words = np.zeros((len(images), 1), np.int32)
        return np.asarray(features([images, no_words], training=False)).reshape(len(images), -1)

    def monitored(self, reals, n=256, seed=12345):
        return []  # conditioned on words: diversity alarms over mixed prompts would mislead

    def endpoints(self):
        def generate(tokens, z):
            images = self.sampler([z, tokens], training=False)
            return {"images": images, "images_uint8": to_uint8(images)}

        return {
            "generate": Endpoint(
                "generate",
                generate,
                {
                    "tokens": Input((None, self.text_length), "int32", low=0, high=len(self.vocabulary)),
                    "z": Input((None, self.latent_dim), "float32"),
                },
                doc=f"word ids [N, {self.text_length}] (0 = padding, word i of the vocabulary = i + 1; see "
                "zoo.serving.prompts) and latents z ~ N(0, I) -> images in [0, 1] and uint8",
                outputs=("images", "images_uint8"),
                meta={"vocabulary": list(self.vocabulary), "text_length": self.text_length, "padding": 0},
            )
        }

    def calibration_inputs(self, n=64):
        test = self.data("train")
        return {"generate": {"tokens": test.inputs[:n], "z": self.latents(n, 0)}}

    def held_out_metrics(self, test_set):
        from zoo.evaluation.text2image import text_to_image_metrics

        return text_to_image_metrics(self, test_set)
