"""Keras callbacks shared by every trainer: sample grids, full-state checkpoints, a NaN/Inf guard."""
from __future__ import annotations

import math
import os

import keras
import numpy as np

from zoo import checkpoint
from zoo.errors import TrainingDiverged
from zoo.images import grid, save_png


class SampleGrid(keras.callbacks.Callback):
    """After every epoch: the model's `preview()` images (fixed inputs, so epochs are comparable) as
    `samples/epoch_NNN.png` and as a TensorBoard image summary."""

    def __init__(self, out_dir, log_dir=None, scale=2):
        super().__init__()
        self.out_dir, self.log_dir, self.scale = out_dir, log_dir, scale
        os.makedirs(out_dir, exist_ok=True)
        self._writer = None

    def on_epoch_end(self, epoch, logs=None):
        picture = grid(self.model.preview())
        save_png(picture, os.path.join(self.out_dir, f"epoch_{epoch + 1:03d}.png"), scale=self.scale)
        if self.log_dir:
            import tensorflow as tf

            self._writer = self._writer or tf.summary.create_file_writer(os.path.join(self.log_dir, "samples"))
            with self._writer.as_default():
                tf.summary.image("samples", picture[None], step=epoch + 1)
            self._writer.flush()


class FullStateCheckpoint(keras.callbacks.Callback):
    """After every epoch: weights, optimizer states, RNG states and the epoch, written atomically."""

    def __init__(self, path, **meta):
        super().__init__()
        self.path, self.meta = path, meta

    def on_epoch_end(self, epoch, logs=None):
        history = self.meta.setdefault("history", [])
        history.append({"epoch": epoch + 1, **{k: float(v) for k, v in (logs or {}).items()}})
        checkpoint.save(self.path, self.model, epoch + 1, **self.meta)


class NonFiniteGuard(keras.callbacks.Callback):
    """Stops training with TrainingDiverged the first time a logged loss is NaN or infinite.

    The checkpoint of the last completed epoch is left as it was, so the run can be resumed (with
    a lower learning rate, say) from before the divergence.
    """

    def __init__(self):
        super().__init__()
        self.epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        for key, value in (logs or {}).items():
            value = float(np.asarray(value))
            if not math.isfinite(value):
                raise TrainingDiverged(
                    f"'{key}' became {value} at epoch {self.epoch + 1}, step {batch + 1}; "
                    f"the last checkpoint is intact: try a lower --lr, then --resume"
                )
