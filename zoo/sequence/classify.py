"""Sequence classification: an image read row by row (MNIST rows: 28 steps of 28 features) or any
[N, T, F] sequences, the recurrent stack's last state -> class logits."""

from __future__ import annotations

import zoo._tensorflow  # noqa: F401  (TensorFlow, loaded quietly)

import keras
import numpy as np
import tensorflow as tf

from zoo import checks
from zoo.errors import InputError
from zoo.registry import register_architecture
from zoo.sequence.base import SequenceModel
from zoo.serving.endpoints import Endpoint, Input, unit_interval


@register_architecture("sequence-classifier")
class SequenceClassifier(SequenceModel):
    uses_labels = True  # the harness feeds (images, labels); images [N, H, W, 1] are read as H rows
    data_kind = "images"
    task_metric_names = ("accuracy",)

    def __init__(self, features=28, num_classes=10, steps=28, **kwargs):
        self.features, self.num_classes, self.steps = int(features), int(num_classes), int(steps)
        super().__init__(**kwargs)

    def get_config(self):
        return {**super().get_config(), "features": self.features, "num_classes": self.num_classes, "steps": self.steps}

    @property
    def mobile_length(self):
        return self.steps

    def input_layers(self):
        return [keras.Input((self.fixed_length, self.features))]

    def head(self):
        return [keras.layers.Dense(self.num_classes, name="logits")]

    def call(self, inputs, training=False):
        if len(inputs.shape) == 4:  # images [N, H, W, 1] -> rows [N, H, W]
            inputs = tf.squeeze(inputs, axis=-1)
        return self.network(inputs, training=training)

    def per_example_loss(self, labels, logits):
        return keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)

    def task_metrics(self, labels, logits):
        return {
            "accuracy": tf.reduce_mean(
                tf.cast(tf.equal(tf.argmax(logits, -1, output_type=tf.int32), tf.cast(labels, tf.int32)), tf.float32)
            )
        }

    def endpoints(self):
        def classify(sequences):
            probabilities = tf.nn.softmax(self(sequences))
            return {"probabilities": probabilities, "label": tf.argmax(probabilities, axis=-1, output_type=tf.int32)}

        return {
            "classify": Endpoint(
                "classify",
                classify,
                {"sequences": Input((None, self.fixed_length, self.features), "float32", example=unit_interval)},
                doc=f"sequences [N, T, {self.features}] (an image's rows, pixels in [0, 1]) -> class "
                f"probabilities and label",
                outputs=("probabilities", "label"),
            )
        }

    api = ("probabilities",)

    def probabilities(self, sequences):
        """Softmax class probabilities `[N, classes]` of sequences `[N, T, F]` (or images `[N, T, F, 1]`)."""
        sequences = checks.array(sequences, "sequences")
        if sequences.ndim == 4 and sequences.shape[-1] == 1:
            sequences = sequences[..., 0]
        if sequences.ndim != 3 or sequences.shape[-1] != self.features:
            raise InputError(
                f"expected sequences [N, T, {self.features}] (or images [N, T, {self.features}, 1]), got shape "
                f"{list(sequences.shape)}"
            )
        return self.endpoints()["classify"].batched(sequences=sequences)["probabilities"]

    def calibration_inputs(self, n=64):
        from zoo.data import scale_images

        if self.recipe is None:  # a model without a run (e.g. built in a test): declared draws
            return {}
        rows = scale_images(self.data("train").first(n))[..., 0]
        return (
            {"classify": {"sequences": rows}}
            if rows.shape[1:] == (self.fixed_length or self.steps, self.features)
            else {}
        )

    def held_out_metrics(self, test_set):
        from zoo.data import scale_images

        predicted = self.probabilities(scale_images(test_set.images)).argmax(1)
        labels = np.asarray(test_set.labels)
        per_class = {str(c): float(np.mean(predicted[labels == c] == c)) for c in np.unique(labels)}
        return {
            "test_accuracy": float(np.mean(predicted == labels)),
            "test_examples": int(len(labels)),
            "per_class_accuracy": per_class,
        }
