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
                {"sequences": Input((None, self.fixed_length, self.features), "float32", example=self._example)},
                doc=f"sequences [N, T, {self.features}] ({self._values}) -> class probabilities "
                f"[N, {self.num_classes}] and label",
                outputs=("probabilities", "label"),
            )
        }

    _values = "an image's rows, pixels in [0, 1]"  # what the sequences' values are, for the endpoint's doc
    _example = staticmethod(unit_interval)  # declared draws of the endpoint's input

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
        return self.endpoint("classify").batched(sequences=sequences)["probabilities"]

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


@register_architecture("series-classifier")
class SeriesClassifier(SequenceClassifier):
    """Labelled sequences `[N, T, F]` (a UCR/UEA set, your CSV or .npz) -> class probabilities. With
    `instance_norm`, each sequence is z-normalised per channel over time inside the model (the UCR
    convention), so raw values in any units go in, from Python or from an exported file."""

    uses_labels = False  # (sequences, labels) come from the ArraySet's own pipeline
    data_kind = "arrays"
    vis_kinds = ("confusion", "curves")

    def __init__(self, features=1, num_classes=2, steps=24, instance_norm=True, variable_length=False, **kwargs):
        self.instance_norm = bool(instance_norm)
        # variable_length: the model reads (sequences zero-padded at the end, lengths) and masks the
        # padding: the recurrent layers skip it (their state carries over), the normalisation ignores it
        self.variable_length = bool(variable_length)
        super().__init__(features=features, num_classes=num_classes, steps=steps, **kwargs)

    def get_config(self):
        config = {**super().get_config(), "instance_norm": self.instance_norm}
        return {**config, "variable_length": True} if self.variable_length else config

    def call(self, inputs, training=False):
        if not self.variable_length:
            inputs = tf.cast(inputs, tf.float32)
            if self.instance_norm:
                centre = tf.reduce_mean(inputs, axis=1, keepdims=True)
                spread = tf.sqrt(tf.reduce_mean(tf.square(inputs - centre), axis=1, keepdims=True) + 1e-6)
                inputs = (inputs - centre) / spread
            self._cells_for(training)
            return self.network(inputs, training=training)
        sequences, lengths = inputs
        sequences = tf.cast(sequences, tf.float32)
        steps = tf.shape(sequences)[1]
        lengths = tf.clip_by_value(tf.cast(tf.reshape(lengths, [-1]), tf.int32), 1, steps)  # a length past T is T
        mask = tf.sequence_mask(lengths, steps)
        weight = tf.cast(mask, tf.float32)[..., None]
        if self.instance_norm:  # per sequence and channel over its own steps only
            count = tf.reduce_sum(weight, axis=1, keepdims=True)
            centre = tf.reduce_sum(sequences * weight, axis=1, keepdims=True) / count
            spread = tf.sqrt(
                tf.reduce_sum(tf.square(sequences - centre) * weight, axis=1, keepdims=True) / count + 1e-6
            )
            sequences = (sequences - centre) / spread
        self._cells_for(training)
        outputs = sequences * weight
        for layer in self.network.layers:  # the network's layers with the mask handed to the recurrent ones
            recurrent = isinstance(layer, (keras.layers.RNN, keras.layers.Bidirectional))
            outputs = layer(outputs, mask=mask, training=training) if recurrent else layer(outputs)
        return outputs

    @property
    def class_names(self):
        """The class names of the run's data (as the training file writes them); () without a run."""
        return tuple((self.recipe or {}).get("class_names") or ())

    def _names(self):
        return self.class_names or tuple(str(i) for i in range(self.num_classes))

    @property
    def _values(self):
        return f"raw values; T = {self.steps} in training"

    def _example(self, rng, shape):
        return rng.standard_normal((shape[0], self.fixed_length or self.steps, self.features))

    def endpoints(self):
        if not self.variable_length:
            return super().endpoints()

        def classify(sequences, lengths):
            probabilities = tf.nn.softmax(self((sequences, lengths)))
            return {"probabilities": probabilities, "label": tf.argmax(probabilities, axis=-1, output_type=tf.int32)}

        steps = self.fixed_length or self.steps
        return {
            "classify": Endpoint(
                "classify",
                classify,
                {
                    "sequences": Input((None, self.fixed_length, self.features), "float32", example=self._example),
                    "lengths": Input(
                        (None,),
                        "int32",
                        example=lambda rng, shape: rng.integers(2, steps + 1, shape[:1]),
                        low=1,
                        at_most_axis=("sequences", 1),
                    ),
                },
                doc=f"sequences [N, T, {self.features}] (raw values), each zero-padded at the end to T, and their "
                f"lengths [N] (1..T; refused past T, which the graph alone would read as T) -> class "
                f"probabilities [N, {self.num_classes}] and label",
                outputs=("probabilities", "label"),
            )
        }

    api = ("probabilities", "predict_labels")

    def probabilities(self, sequences, lengths=None):
        """Softmax class probabilities `[N, classes]` of sequences `[N, T, F]` (or `[N, T]` when F = 1).
        A model trained on sequences of different lengths also takes a list of `[T_i, F]` arrays (padded
        here), or padded `sequences` with their `lengths`."""
        sequences, lengths = self._padded(sequences, lengths)
        if sequences.ndim == 2 and self.features == 1:
            sequences = sequences[..., None]
        if sequences.ndim != 3 or sequences.shape[-1] != self.features or sequences.shape[1] < 2:
            raise InputError(
                f"expected sequences [N, T, {self.features}]"
                + (" or [N, T]" if self.features == 1 else "")
                + f" with T >= 2, got shape {list(sequences.shape)}"
            )
        if not self.variable_length:
            return self.endpoint("classify").batched(sequences=sequences)["probabilities"]
        if lengths is None:
            lengths = np.full(len(sequences), sequences.shape[1], np.int32)
        if (
            lengths.shape != (len(sequences),)
            or lengths.min(initial=2) < 1
            or lengths.max(initial=2) > sequences.shape[1]
        ):
            raise InputError(
                f"lengths must be [{len(sequences)}] integers in 1..{sequences.shape[1]} (the padded T), "
                f"got {lengths.tolist()[:8]}"
            )
        return self.endpoint("classify").batched(sequences=sequences, lengths=lengths)["probabilities"]

    def _padded(self, sequences, lengths):
        """(array, lengths or None): a list of sequences of different lengths padded with zeros at the end."""
        if isinstance(sequences, (list, tuple)) and sequences and not np.isscalar(sequences[0]):
            parts = [checks.array(part, "sequences[i]") for part in sequences]
            parts = [p[:, None] if p.ndim == 1 and self.features == 1 else p for p in parts]
            sizes = {p.shape[0] for p in parts}
            if any(p.ndim != 2 or p.shape[1] != self.features for p in parts):
                raise InputError(
                    f"each sequence must be [T_i, {self.features}], got {[list(p.shape) for p in parts][:4]}"
                )
            if len(sizes) > 1 and not self.variable_length:
                raise InputError(
                    f"this model was trained on sequences of one length ({self.steps}); got lengths {sorted(sizes)}"
                )
            padded = np.zeros((len(parts), max(sizes), self.features), np.float32)
            for i, part in enumerate(parts):
                padded[i, : len(part)] = part
            if lengths is not None:
                raise InputError("give either a list of sequences or padded sequences with lengths, not both")
            return padded, np.array([len(p) for p in parts], np.int32)
        if lengths is not None:
            if not self.variable_length:
                raise InputError("lengths: this model was trained on sequences of one length and takes none")
            lengths = checks.array(lengths, "lengths")
            if lengths.dtype.kind not in "iuf":
                raise InputError(f"lengths must be whole numbers, got {lengths.dtype} values")
            lengths = lengths.astype(np.float64).reshape(-1)
            if not np.all(np.isfinite(lengths)) or np.any(lengths != np.round(lengths)):
                raise InputError(f"lengths must be whole numbers, got {lengths.tolist()[:8]}")
            lengths = lengths.astype(np.int64)
        return checks.array(sequences, "sequences"), lengths

    def predict_labels(self, sequences):
        """The class name of each sequence (as the training file writes it; "0", "1", ... without a run)."""
        names = self._names()
        return [names[i] for i in self.probabilities(sequences).argmax(1)]

    def data(self, split):
        from zoo.sequence.labelled import check_unchanged, load_labelled

        check_unchanged(self.recipe)
        return load_labelled(self.recipe["dataset"], split, (self.recipe or {}).get("label", "label"))

    def calibration_inputs(self, n=64):
        if self.recipe is None:
            return {}
        train = self.data("train")
        if self.variable_length:
            return {"classify": {"sequences": train.inputs[:n], "lengths": train.lengths[:n]}}
        return {"classify": {"sequences": train.inputs[:n]}}

    def held_out_metrics(self, test_set):
        """Accuracy on the test split beside 1-NN DTW and ROCKET (aeon) fitted on the same train split."""
        from zoo.sequence.baselines import classification_baselines

        lengths = getattr(test_set, "lengths", None)
        predicted = self.probabilities(test_set.inputs, lengths if self.variable_length else None).argmax(1)
        labels = np.asarray(test_set.targets)
        names = self._names()
        train = self.data("train")
        result = {
            "test_accuracy": float(np.mean(predicted == labels)),
            "test_examples": int(len(labels)),
            "chance": float(np.max(np.bincount(labels, minlength=self.num_classes)) / len(labels)),
            "per_class_accuracy": {
                str(names[c]): float(np.mean(predicted[labels == c] == c)) for c in np.unique(labels)
            },
            "protocol": f"{test_set.info['split']}; {len(train)} training and {len(labels)} test sequences; "
            "chance = the most common test class's share",
        }
        if self.variable_length:  # each baseline sees the sequences at their own lengths
            result.update(
                classification_baselines(
                    [x[:n] for x, n in zip(train.inputs, train.lengths)],
                    train.targets,
                    [x[:n] for x, n in zip(test_set.inputs, test_set.lengths)],
                    labels,
                    self.instance_norm,
                )
            )
        else:
            result.update(
                classification_baselines(train.inputs, train.targets, test_set.inputs, labels, self.instance_norm)
            )
        return result
