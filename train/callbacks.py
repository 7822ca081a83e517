"""Keras callbacks shared by every trainer: sample grids, full-state checkpoints, a NaN/Inf guard."""
from __future__ import annotations

import math
import os
import sys

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
        picture = grid(self.model.preview(), cols=8)  # previews come in rows of eight
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


class LearningRateByEpoch(keras.callbacks.Callback):
    """Sets every optimizer's learning rate to `model.learning_rate_at(epoch, epochs)` at each
    epoch's start (a function of the epoch only, so a resumed run gets the same schedule)."""

    def __init__(self, epochs):
        super().__init__()
        self.epochs = epochs

    def on_epoch_begin(self, epoch, logs=None):
        rate = self.model.learning_rate_at(epoch, self.epochs)
        for optimizer in self.model.optimizers.values():
            optimizer.learning_rate.assign(rate)

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = float(self.model.learning_rate_at(epoch, self.epochs))


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


class CollapseMonitor(keras.callbacks.Callback):
    """Training-health alarms for any GAN (anything with `sample(n, seed)` and a discriminator).

    Every `every` epochs it draws a fixed batch of samples and logs, to the epoch logs (so the CSV
    and TensorBoard get them):
      label_entropy       entropy of the classifier's label histogram / log(classes) (needs a
                          classifier for the image shape; 1 = all classes equally often)
      duplicate_fraction  share of samples with a near-identical other sample
    It warns once when these indicate mode collapse, and once when the discriminator's accuracy
    has sat at 0 or 1 for `pinned_steps` consecutive steps (the generator's gradients vanish).
    """

    def __init__(self, classifier=None, every=1, samples=256, entropy_floor=0.5, duplicate_ceiling=0.2,
                 pinned_steps=200, seed=12345):
        super().__init__()
        self.classifier, self.every, self.samples, self.seed = classifier, every, samples, seed
        self.entropy_floor, self.duplicate_ceiling, self.pinned_steps = entropy_floor, duplicate_ceiling, pinned_steps
        self.pinned = 0
        self.warnings = []  # the messages given, for callers and tests

    def warn(self, kind, message):
        if kind not in {k for k, _ in self.warnings}:
            self.warnings.append((kind, message))
            print(f"warning: {message}", file=sys.stderr, flush=True)

    def on_train_batch_end(self, batch, logs=None):
        # Keras logs hold the running epoch mean; a mean of exactly 0 or 1 means every step was.
        accuracy = (logs or {}).get("d_accuracy")
        if accuracy is None:
            return
        accuracy = float(np.asarray(accuracy))
        self.pinned = self.pinned + 1 if (accuracy >= 0.999 or accuracy <= 0.001) else 0
        if self.pinned >= self.pinned_steps:
            self.warn("pinned", f"discriminator accuracy has been {accuracy:.0%} for {self.pinned} steps: "
                                f"the generator's gradients are vanishing (try another --loss or a lower --lr)")

    def measure(self, images):
        from zoo import metrics

        result = {"duplicate_fraction": metrics.duplicate_fraction(images)}
        shape = tuple(getattr(self.classifier, "image_shape", ()))
        if shape and images.shape[-1] == shape[-1] and all(a >= b for a, b in zip(images.shape[1:3], shape[:2])):
            from zoo.evaluate import center_crop  # 32x32 digits are padded 28x28 ones

            result["label_entropy"] = metrics.label_entropy(self.classifier.probabilities(center_crop(images, shape)))
        return result

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every:
            return
        found = self.measure(self.model.sample(self.samples, seed=self.seed))
        if logs is not None:
            logs.update(found)
        entropy, duplicates = found.get("label_entropy"), found["duplicate_fraction"]
        if (entropy is not None and entropy < self.entropy_floor) or duplicates > self.duplicate_ceiling:
            shown = f"label entropy {entropy:.2f} (alarm below {self.entropy_floor}), " if entropy is not None else ""
            self.warn("collapse", f"possible mode collapse at epoch {epoch + 1}: {shown}"
                                  f"{duplicates:.0%} near-duplicate samples (alarm above {self.duplicate_ceiling:.0%})")
