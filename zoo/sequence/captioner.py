"""Image to sequence (one-to-many): a small CNN encodes an image into a grid of feature vectors, and the
sequence-to-sequence decoder (`zoo.sequence.seq2seq`: recurrent cells, attention over the grid,
teacher forcing, greedy and beam decoding, `encode` + `decode_step` endpoints) writes its caption one
character at a time ("show, attend and tell", Xu et al. 2015, at digit scale).

    image [N, 28, 56, 1] -> 5 convs 3x3 (w, w/2, 2w, 2w/2, 2w) -> memory [N, 7 x 14, 2w] -> decoder

Data (`load_number_pairs`): two real MNIST-5k digits side by side -> their two-digit number in English
words ("42" -> "forty-two", "07" -> "seven"). Training pairs are drawn from the 4,000 training digits,
test pairs from the 1,000 held-out digits, so every test image is made of digits never seen in
training. Baseline: the zoo's digit classifier (`classifier-mnist`) reading each half, its two labels
turned into words by the same rule.
"""

from __future__ import annotations

import zoo._tensorflow  # noqa: F401  (TensorFlow, loaded quietly)

import numpy as np
import tensorflow as tf
from keras import layers

from zoo import checks
from zoo.data import ArraySet
from zoo.errors import InputError, UnknownNameError
from zoo.registry import register_architecture
from zoo.sequence.seq2seq import Seq2Seq
from zoo.serving.endpoints import Input, unit_interval

ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen"
).split()
TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def number_words(n):
    """English words of 0 <= n < 100: 7 -> "seven", 42 -> "forty-two", 90 -> "ninety"."""
    if not 0 <= n < 100:
        raise InputError(f"number_words covers 0..99, got {n}")
    if n < 20:
        return ONES[n]
    return TENS[n // 10] + (f"-{ONES[n % 10]}" if n % 10 else "")


WORD_CHARACTERS = "".join(sorted(set("".join(number_words(n) for n in range(100)))))
CAPTION_LENGTH = max(len(number_words(n)) for n in range(100)) + 1  # and <end>


def load_number_pairs(split, pairs=None, seed=0, shift=0):
    """ArraySet of (images [N, 28, 56, 1] float32 in [0, 1], caption ids [N, CAPTION_LENGTH]); `info`:
    the two digit labels of every image and the captions. `pairs` defaults to 12,000 training and
    2,000 test pairs. `shift` > 0 moves each digit of a pair by its own random offset of up to `shift`
    pixels across and down (zero-filled): an augmentation drawn once with the seed, so every pair is
    a new image (the test split is never shifted; `shift` is for training data)."""
    from zoo.data import load_images, scale_images
    from zoo.sequence.seq2seq import encode_texts

    shift = checks.count(shift, "shift", at_least=0)
    if shift >= 14:
        raise InputError(f"shift moves a 28-pixel digit by up to that many pixels: choose 0..13, got {shift}")
    digits = load_images("mnist5k", split)
    pairs = checks.count(pairs or (12000 if split == "train" else 2000), "pairs")
    rng = np.random.default_rng([seed, 0 if split == "train" else 1])
    left, right = rng.integers(len(digits), size=pairs), rng.integers(len(digits), size=pairs)
    halves = [digits.images[left], digits.images[right]]
    if shift:
        halves = [shifted(h, rng.integers(-shift, shift + 1, size=(pairs, 2))) for h in halves]
    images = scale_images(np.concatenate(halves, axis=2))
    labels = np.stack([digits.labels[left], digits.labels[right]], axis=1)
    captions = [number_words(10 * a + b) for a, b in labels]
    targets = encode_texts(captions, WORD_CHARACTERS, CAPTION_LENGTH, end=True)
    info = {
        "labels": labels,
        "captions": captions,
        "description": f"pairs of MNIST-5k {split} digits side by side -> the number in English words",
        "pairs": pairs,
        "shift": shift,
    }
    return ArraySet("mnist-pairs", split, np.asarray(images, np.float32), targets, info)


def shifted(images, offsets):
    """Each image `[H, W, C]` of `images` moved by its (down, across) offset in pixels, zero-filled."""
    out = np.zeros_like(images)
    h, w = images.shape[1:3]
    for i, (dy, dx) in enumerate(offsets):
        out[i, max(dy, 0) : h + min(dy, 0), max(dx, 0) : w + min(dx, 0)] = images[
            i, max(-dy, 0) : h - max(dy, 0), max(-dx, 0) : w - max(dx, 0)
        ]
    return out


def load_pairs(name, split, pairs=None, shift=0):
    if name != "mnist-pairs":
        raise UnknownNameError(f"unknown captioning dataset '{name}'; the zoo has 'mnist-pairs'")
    if split != "train":
        pairs, shift = None, 0  # the held-out pairs are the same for every run
    return load_number_pairs(split, pairs=pairs, shift=shift)


ENCODERS = ("strided", "classifier")


@register_architecture("captioner")
class ImageCaptioner(Seq2Seq):
    """images `[N, H, W, C]` in [0, 1] -> caption logits (teacher forced); `caption(images)` writes them."""

    api = ("caption", "attention_map", "teacher_forced_logits")
    vis_kinds = ("curves", "captions")
    part_names = ("target_embedding", "bridge", "combine", "score_keys", "logits_layer")
    greedy_endpoint = "caption"
    litert_variants_note = "full int8 was not measured for the decoder's recurrent state; use dynamic range"
    source_doc = "images [N, H, W, C] float32 in [0, 1]"

    def __init__(
        self,
        target_vocabulary=WORD_CHARACTERS,
        image_shape=(28, 56, 1),
        width=32,
        cell="gru",
        units=128,
        depth=1,
        attention="luong",
        embedding_dim=32,
        target_length=CAPTION_LENGTH,
        clip_norm=1.0,
        unroll=False,
        seed=0,
        encoder="strided",
        **kwargs,
    ):
        if encoder not in ENCODERS:
            raise InputError(f"unknown encoder '{encoder}'; choose one of {', '.join(ENCODERS)}")
        self.encoder_kind = encoder
        self.image_shape, self.width = tuple(int(d) for d in image_shape), int(width)
        if len(self.image_shape) != 3 or min(self.image_shape) < 1 or self.width < 1:
            raise InputError(f"image_shape must be (H, W, C) and width positive, got {image_shape}, {width}")
        if cell == "bilstm":
            raise InputError("the captioner's encoder is convolutional: choose gru or lstm for its decoder")
        positions = -(-self.image_shape[0] // 4) * -(-self.image_shape[1] // 4)
        kwargs.pop("source_vocabulary", None)
        kwargs.pop("source_length", None)
        super().__init__(
            source_vocabulary="",
            target_vocabulary=target_vocabulary,
            cell=cell,
            units=units,
            depth=depth,
            attention=attention,
            embedding_dim=embedding_dim,
            source_length=positions,
            target_length=target_length,
            clip_norm=clip_norm,
            unroll=unroll,
            seed=seed,
            **kwargs,
        )

    def get_config(self):
        config = {
            **super().get_config(),
            "image_shape": list(self.image_shape),
            "width": self.width,
            "encoder": self.encoder_kind,
        }
        for key in ("source_vocabulary", "source_length"):
            config.pop(key)
        return config

    def build_encoder(self):
        # "strided": five 3x3 convolutions, two of them strided: each grid cell sees 23x23 pixels, most
        # of a digit (with two layers, 7x7, the decoder could not tell digits apart: 85% token accuracy
        # at epoch 5). "classifier": classifier-mnist's convolutional trunk (two 3x3 convolutions, max
        # pooling, twice), so its trained weights can start the encoder (`start_encoder_from`).
        conv = lambda filters, stride, i: layers.Conv2D(  # noqa: E731
            filters, 3, strides=stride, padding="same", activation="relu", name=f"conv_{i}"
        )
        w = self.width
        if self.encoder_kind == "classifier":
            pool = lambda i: layers.MaxPooling2D(padding="same", name=f"pool_{i}")  # noqa: E731
            self.conv = [conv(w, 1, 0), conv(w, 1, 1), pool(0), conv(2 * w, 1, 2), conv(2 * w, 1, 3), pool(1)]
        else:
            self.conv = [conv(w, 1, 0), conv(w, 2, 1), conv(2 * w, 1, 2), conv(2 * w, 2, 3), conv(2 * w, 1, 4)]

    def start_encoder_from(self, classifier):
        """Copy a zoo classifier's four convolutions (classifier-mnist: width 32 on 1-channel images) into
        this encoder (encoder="classifier", the same width and channels); returns how many were copied."""
        if self.encoder_kind != "classifier":
            raise InputError("only encoder='classifier' has the classifier's convolutions to start from")
        theirs = [layer for layer in classifier.parts()["body"].layers if isinstance(layer, layers.Conv2D)]
        ours = [layer for layer in self.conv if isinstance(layer, layers.Conv2D)]
        if [w.shape for layer in theirs for w in layer.weights] != [w.shape for layer in ours for w in layer.weights]:
            raise InputError(
                f"the classifier's convolutions do not fit this encoder (width {self.width}, "
                f"{self.image_shape[-1]} channel(s)): train it with the classifier's width and channels"
            )
        for mine, source in zip(ours, theirs):
            mine.set_weights(source.get_weights())
        return len(ours)

    def source_spec(self):
        return Input((None, *self.image_shape), "float32", example=unit_interval, low=0.0, high=1.0)

    @property
    def memory_shape(self):
        return self.source_length, 2 * self.width

    def mask_inputs(self):
        return {}  # every grid cell is real

    def memory_mask(self, memory, source=None):
        return tf.ones(tf.shape(memory)[:2], tf.bool)

    def encode_source(self, source, training=False):
        x = source
        for layer in self.conv:
            x = layer(x)
        memory = tf.reshape(x, [-1, self.source_length, 2 * self.width])
        mask = tf.ones(tf.shape(memory)[:2], tf.bool)
        return memory, mask, self.bridge(tf.reduce_mean(memory, axis=1))

    def export_source(self):
        return self  # no recurrent encoder to unroll; the decoder runs one cell call per step

    # --- images in, text out ------------------------------------------------------------------------
    def _images(self, images):
        """[N, H, W, C] float32 in [0, 1] (one image may come without the batch axis), checked as the
        `caption` endpoint checks its input."""
        images = checks.array(images, "images")
        if images.ndim == len(self.image_shape):
            images = images[None]
        return self.endpoints()["caption"].validate({"source": images})["source"]

    def caption(self, images, beam=1, return_scores=False):
        """The caption of each image ([N, H, W, C] or one [H, W, C] in [0, 1]): greedy with beam=1,
        else beam search. `return_scores` as in `translate`: a `Scored` (text, log_prob, token_probs)
        per image, or the `beam` best of them, best first."""
        return self._decode(self._images(images), beam, return_scores)

    def attention_map(self, image):
        """(attention [T, H/4, W/4] over the image's grid for each caption character, the caption)."""
        images = self._images(image)[:1]
        ids, attention, _, _ = self.greedy(tf.constant(images))
        h, w = -(-self.image_shape[0] // 4), -(-self.image_shape[1] // 4)
        return np.asarray(attention[0]).reshape(-1, h, w), self.decode_ids(np.asarray(ids[0]))

    def teacher_forced_logits(self, image, target):
        """Logits `[T, V]` of the decoder reading <start> + `target` (a caption) for one image."""
        return self._teacher_forced_logits(self._images(image)[:1], target)

    def data(self, split):
        return load_pairs((self.recipe or {}).get("dataset", "mnist-pairs"), split)

    def calibration_inputs(self, n=64):
        return {}

    def held_out_metrics(self, test_set):
        captions = self.caption(test_set.inputs)
        truth = test_set.info["captions"]
        hits = np.array([c == t for c, t in zip(captions, truth)])
        labels = test_set.info["labels"]
        result = {
            "test_exact_match": float(hits.mean()),
            "test_examples": int(len(hits)),
            "protocol": "greedy decoding; exact match of the whole caption; test images are pairs of the 1,000 "
            "held-out MNIST-5k digits (never seen in training)",
        }
        try:
            import zoo

            classifier = zoo.load("classifier-mnist")
        except Exception:  # noqa: BLE001 (no shipped classifier: no baseline)
            return result
        read = np.stack(
            [
                classifier.probabilities(test_set.inputs[:, :, :28]).argmax(1),
                classifier.probabilities(test_set.inputs[:, :, 28:]).argmax(1),
            ],
            axis=1,
        )
        result["classifier_baseline"] = {
            "exact_match": float(np.mean([number_words(10 * a + b) == t for (a, b), t in zip(read, truth)])),
            "digits_right": float(np.mean(read == labels)),
            "note": "classifier-mnist reads each 28x28 half; its two labels in words by the same rule",
        }
        return result
