"""A small CNN digit classifier: the zoo's feature network for FID/KID/precision-recall on digit
images (TF-GAN's MNIST protocol: a classifier's penultimate layer as the feature space), the judge
of conditional samples, and a deployable model in its own right.

    images [B, H, W, C] in [0, 1] -> Conv3x3(w) x2 -> MaxPool -> Conv3x3(2w) x2 -> MaxPool
        -> Dense(feature_dim, relu)  = "features" (penultimate layer)
        -> Dropout -> Dense(classes) = logits
"""

from __future__ import annotations

import zoo._tensorflow  # noqa: F401  (TensorFlow, loaded quietly)

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from zoo import checks
from zoo.contract import ZooModel
from zoo.errors import InputError
from zoo.losses import batch_mean
from zoo.registry import register_architecture
from zoo.serving.endpoints import Endpoint, Input, unit_interval
from zoo.training import OneOptimizer, minimize


@register_architecture("classifier")
class Classifier(OneOptimizer, ZooModel, keras.Model):
    uses_labels = True  # the harness feeds (images, labels)
    vis_kinds = ("saliency", "gradcam", "activation", "curves")
    part_names = ("body", "head")
    feature_network = True

    def saliency_subject(self):
        return [self.body, self.head], None, "classifier logit of the predicted class"

    api = ("features", "probabilities", "accuracy")

    def __init__(
        self, image_shape=(28, 28, 1), num_classes=10, width=32, feature_dim=128, dropout=0.3, seed=0, **kwargs
    ):
        super().__init__(**kwargs)
        self.image_shape = tuple(int(d) for d in image_shape)
        self.num_classes, self.width, self.feature_dim = int(num_classes), int(width), int(feature_dim)
        self.dropout, self.seed = float(dropout), int(seed)
        w = self.width
        self.body = keras.Sequential(
            [
                keras.Input(self.image_shape),
                layers.Conv2D(w, 3, padding="same", activation="relu"),
                layers.Conv2D(w, 3, padding="same", activation="relu"),
                layers.MaxPooling2D(),
                layers.Conv2D(2 * w, 3, padding="same", activation="relu"),
                layers.Conv2D(2 * w, 3, padding="same", activation="relu"),
                layers.MaxPooling2D(),
                layers.Flatten(),
                layers.Dense(self.feature_dim, activation="relu"),
            ],
            name="features",
        )
        self.head = keras.Sequential(
            [keras.Input((self.feature_dim,)), layers.Dropout(self.dropout), layers.Dense(self.num_classes)],
            name="head",
        )
        self.trackers = {
            "loss": keras.metrics.Mean(name="loss"),
            "accuracy": keras.metrics.SparseCategoricalAccuracy(name="accuracy"),
        }
        self.built = True

    def get_config(self):
        return {
            "image_shape": list(self.image_shape),
            "num_classes": self.num_classes,
            "width": self.width,
            "feature_dim": self.feature_dim,
            "dropout": self.dropout,
            "seed": self.seed,
            "name": self.name,
        }

    def call(self, images, training=False):
        return self.head(self.body(images, training=training), training=training)

    def train_step(self, data):
        images, labels, _ = keras.utils.unpack_x_y_sample_weight(data)
        with tf.GradientTape() as tape:
            logits = self(images, training=True)
            loss = batch_mean(keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True))
        minimize(tape, self.optimizer, loss, self.trainable_variables)
        self.trackers["loss"].update_state(loss)
        self.trackers["accuracy"].update_state(labels, logits)
        return {k: t.result() for k, t in self.trackers.items()}

    # --- inference, batched, NumPy in and out ------------------------------------------------
    def _batched(self, fn, images, batch_size=500):
        images = self.endpoints()["classify"].validate({"images": images})["images"]
        return np.concatenate([np.asarray(fn(images[i : i + batch_size])) for i in range(0, len(images), batch_size)])

    def features(self, images):
        """Penultimate-layer activations `[N, feature_dim]` of images in [0, 1]."""
        return self._batched(lambda x: self.body(x, training=False), images)

    def probabilities(self, images):
        """Softmax class probabilities `[N, num_classes]`."""
        return self.endpoint("classify").batched(images=images)["probabilities"]

    def accuracy(self, images, labels):
        """Fraction of `images` whose arg-max class is `labels` (integers, one per image)."""
        predicted = self.probabilities(images).argmax(1)
        labels = checks.array(labels, "labels")
        if labels.shape != predicted.shape or not np.issubdtype(labels.dtype, np.integer):
            raise InputError(
                f"labels must be {len(predicted)} integers, one per image, got {labels.dtype} {list(labels.shape)}"
            )
        return float(np.mean(predicted == labels))

    def calibration_inputs(self, n=64):
        """The first `n` training images of the run (the split's fixed order mixes the classes)."""
        from zoo.data import scale_images

        if self.recipe is None:  # a model without a run (e.g. built in a test): declared draws
            return {}
        return {"classify": {"images": scale_images(self.data("train").first(n))}}

    def held_out_metrics(self, test_set):
        """What the harness records in the card after training: accuracy on the held-out split."""
        from zoo.data import scale_images

        return {
            "test_accuracy": self.accuracy(scale_images(test_set.images), test_set.labels),
            "test_examples": len(test_set),
        }

    def endpoints(self):
        def classify(images):
            probabilities = tf.nn.softmax(self(images, training=False))
            return {"probabilities": probabilities, "label": tf.argmax(probabilities, axis=-1, output_type=tf.int32)}

        return {
            "classify": Endpoint(
                "classify",
                classify,
                {"images": Input((None, *self.image_shape), "float32", example=unit_interval, low=0.0, high=1.0)},
                doc="images in [0, 1] -> class probabilities and the arg-max label",
                outputs=("probabilities", "label"),
            )
        }
