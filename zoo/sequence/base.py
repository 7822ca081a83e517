"""What every sequence model shares: recurrent cells x task heads, one clipped train_step, and the
mobile copy.

    inputs [N, T, F] (or token ids [N, T]) -> recurrent stack (cell x depth) -> head
      cell  "lstm"    stacked LSTM layers
            "gru"     stacked GRU layers
            "bilstm"  stacked bidirectional LSTM layers (forward and backward states concatenated)

A task subclass (forecast, classify, char LM) declares its input layer, its head and its loss; the
cell stack and the training step are written once, here. The step clips the gradient's global norm
(Pascanu et al. 2013) before the update and logs the norm before clipping.

Mobile: Keras turns a recurrent layer into a TensorList while-loop that needs Flex ops in LiteRT,
so `mobile()` rebuilds the model at a fixed sequence length with `unroll=True` (builtin ops only)
and copies the weights; the exporter writes LiteRT from that copy and checks it against this model.
"""

from __future__ import annotations

import zoo._tensorflow  # noqa: F401  (TensorFlow, loaded quietly)

import keras
import tensorflow as tf
from keras import layers

from zoo.contract import ZooModel
from zoo.data import RaggedSet
from zoo.errors import InputError
from zoo.losses import batch_mean
from zoo.training import OneOptimizer, apply_gradients, loss_scale, scaled_gradient

CELLS = ("lstm", "gru", "bilstm")


def recurrent_stack(cell, units, depth, return_sequences, unroll=False, dropout=0.0, recurrent_dropout=0.0):
    """`depth` recurrent layers of `units`; all but the last return sequences (the last only if asked).
    `dropout` drops each layer's inputs, `recurrent_dropout` its recurrent state (one mask per sequence,
    Gal & Ghahramani 2016), in training only."""
    if cell not in CELLS:
        raise InputError(f"unknown cell '{cell}'; choose one of {', '.join(CELLS)}")
    stack = []
    rates = {"dropout": dropout, "recurrent_dropout": recurrent_dropout}
    for i in range(depth):
        sequences = return_sequences or i < depth - 1
        if cell == "gru":
            stack.append(layers.GRU(units, return_sequences=sequences, unroll=unroll, name=f"gru_{i}", **rates))
        else:
            lstm = layers.LSTM(units, return_sequences=sequences, unroll=unroll, name=f"lstm_{i}", **rates)
            stack.append(layers.Bidirectional(lstm, name=f"bilstm_{i}") if cell == "bilstm" else lstm)
    return stack


class SequenceModel(OneOptimizer, ZooModel, keras.Model):
    """Base of the sequence models: `network` = input -> recurrent stack -> head.

    Subclasses define `input_layers()`, `head()`, `return_sequences`, `per_example_loss(y, out)` and
    `task_metrics(y, out)`, the names in `task_metric_names`, and `mobile_length`.
    """

    return_sequences = False
    task_metric_names = ()
    # Quantized LiteRT files the exporter offers. Full int8 quantizes the unrolled recurrent
    # matmuls and their state: measured, it doubled the forecaster's held-out MAE (23.3 -> 42.0) and
    # gave a BiLSTM file the interpreter cannot run, so recurrent models ship float16 and dynamic
    # range (int8 weights, float recurrent arithmetic: the recurrent layers kept in float).
    data_kind = "arrays"  # the model's own ArraySet (windows, chunks), batched by itself
    part_names = ("network",)
    litert_variants = ("float16", "dynamic")
    litert_variants_note = (
        "int8 activations break the unrolled recurrent layers (forecaster MAE 23.3 -> 42.0); use dynamic range"
    )

    def __init__(
        self,
        cell="lstm",
        units=64,
        depth=1,
        clip_norm=1.0,
        fixed_length=None,
        unroll=False,
        seed=0,
        dropout=0.0,
        recurrent_dropout=0.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if cell not in CELLS:
            raise InputError(f"unknown cell '{cell}'; choose one of {', '.join(CELLS)}")
        if int(depth) < 1 or int(units) < 1 or not float(clip_norm) > 0:
            raise InputError(f"depth and units must be positive and clip_norm > 0, got {depth}, {units}, {clip_norm}")
        if not (0 <= float(dropout) < 1 and 0 <= float(recurrent_dropout) < 1):
            raise InputError(f"dropout rates must lie in [0, 1), got {dropout} and {recurrent_dropout}")
        self.cell, self.units, self.depth, self.clip_norm = cell, int(units), int(depth), float(clip_norm)
        self.dropout, self.recurrent_dropout = float(dropout), float(recurrent_dropout)
        self.fixed_length = None if fixed_length is None else int(fixed_length)
        self.unroll, self.seed = bool(unroll), int(seed)
        if self.unroll and self.fixed_length is None:
            raise InputError("an unrolled sequence model needs a fixed_length")
        self.network = keras.Sequential(
            [
                *self.input_layers(),
                *recurrent_stack(
                    cell,
                    self.units,
                    self.depth,
                    self.return_sequences,
                    self.unroll,
                    self.dropout,
                    self.recurrent_dropout,
                ),
                *self.head(),
            ],
            name="network",
        )
        names = ("loss", "grad_norm", *self.task_metric_names)
        self.trackers = {name: keras.metrics.Mean(name=name) for name in names}
        self.built = True

    def get_config(self):
        return {
            "cell": self.cell,
            "units": self.units,
            "depth": self.depth,
            "clip_norm": self.clip_norm,
            "fixed_length": self.fixed_length,
            "unroll": self.unroll,
            "seed": self.seed,
            "name": self.name,
            # Written only when used, so the cards of models trained without them keep their config.
            **({"dropout": self.dropout} if self.dropout else {}),
            **({"recurrent_dropout": self.recurrent_dropout} if self.recurrent_dropout else {}),
        }

    def call(self, inputs, training=False):
        self._cells_for(training)
        return self.network(inputs, training=training)

    def _cells_for(self, training):
        """Keras computes a cell with recurrent dropout gate by gate (`implementation=1`: three
        matmuls where one would do), also at inference, where no dropout is applied: measured 5.6x
        slower for the char LM's 100-step window. The fused form (2) computes the same function, so
        cells use it whenever no recurrent dropout mask is drawn (read when a call is traced)."""
        if not self.recurrent_dropout:
            return
        for layer in self.network.layers:
            if isinstance(layer, layers.Bidirectional):
                cells = [layer.forward_layer.cell, layer.backward_layer.cell]
            else:
                cells = [layer.cell] if isinstance(layer, layers.RNN) else []
            for cell in cells:
                cell.implementation = 1 if training else 2

    def train_step(self, data):
        inputs, targets, _ = keras.utils.unpack_x_y_sample_weight(data)
        with tf.GradientTape() as tape:
            outputs = self(inputs, training=True)
            loss = batch_mean(self.per_example_loss(targets, outputs))
        grads = scaled_gradient(tape, self.optimizer, loss, self.trainable_variables)
        scale = loss_scale(self.optimizer)  # float16 gradients arrive scaled: clip and report in true units
        grads, norm = tf.clip_by_global_norm(grads, self.clip_norm * scale)  # norm: before clipping
        norm = norm / scale
        apply_gradients(self.optimizer, grads, self.trainable_variables)
        for name, value in {"loss": loss, "grad_norm": norm, **self.task_metrics(targets, outputs)}.items():
            self.trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    def validation_logs(self, data, batch_size=256):
        """{"val_loss", "val_<task metric>"...}: the training loss and metrics on `data` (an ArraySet),
        example-weighted means, without dropout or updates."""
        totals, count = {}, 0
        for i in range(0, len(data), batch_size):
            inputs, targets = tf.constant(data.inputs[i : i + batch_size]), data.targets[i : i + batch_size]
            if isinstance(data, RaggedSet):  # sequences of different lengths: the model masks the padding
                inputs = (inputs, tf.constant(data.lengths[i : i + batch_size]))
            outputs = self(inputs, training=False)
            values = {
                "loss": batch_mean(self.per_example_loss(targets, outputs)),
                **self.task_metrics(targets, outputs),
            }
            for name, value in values.items():
                totals[name] = totals.get(name, 0.0) + float(value) * len(inputs)
            count += len(inputs)
        return {f"val_{name}": total / count for name, total in totals.items()}

    def mobile(self, length=None):
        """A copy with the same weights at a fixed sequence length, unrolled (LiteRT builtins only)."""
        length = int(length or self.mobile_length)
        copy = type(self)(**{**self.get_config(), "fixed_length": length, "unroll": True})
        copy.set_weights(self.get_weights())
        copy.card = self.card
        copy.attach_recipe(self.recipe)
        return copy

    def export_source(self):
        """LiteRT is written from the fixed-length unrolled copy (builtin ops only)."""
        return self.mobile()
