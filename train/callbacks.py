"""Keras callbacks shared by every trainer: sample grids, full-state checkpoints, a NaN/Inf guard."""

from __future__ import annotations

import math
import os
import sys

import zoo._tensorflow  # noqa: F401  (TensorFlow, loaded quietly)

import keras
import numpy as np

from zoo import checkpoint
from zoo.atomic import save_weights
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
        images = self.model.preview()
        if images is None:  # the model shows nothing per epoch (e.g. a forecaster)
            return
        picture = grid(images, cols=8)  # previews come in rows of eight
        save_png(picture, os.path.join(self.out_dir, f"epoch_{epoch + 1:03d}.png"), scale=self.scale)
        if self.log_dir:
            import tensorflow as tf

            self._writer = self._writer or tf.summary.create_file_writer(os.path.join(self.log_dir, "samples"))
            with self._writer.as_default():
                tf.summary.image("samples", picture[None], step=epoch + 1)
            self._writer.flush()


class EpochLog(keras.callbacks.CSVLogger):
    """log.csv with epochs counted from 1, as the progress bar, the card and epoch_NNN.png count them."""

    def on_epoch_end(self, epoch, logs=None):
        super().on_epoch_end(epoch + 1, logs)


class FullStateCheckpoint(keras.callbacks.Callback):
    """After every epoch: weights, optimizer states, RNG states and the epoch, written atomically."""

    def __init__(self, path, **meta):
        super().__init__()
        self.path, self.meta = path, meta

    def on_epoch_end(self, epoch, logs=None):
        history = self.meta.setdefault("history", [])
        history.append({"epoch": epoch + 1, **{k: float(v) for k, v in (logs or {}).items()}})
        checkpoint.save(self.path, self.model, epoch + 1, **self.meta)


class ValidationScore(keras.callbacks.Callback):
    """After every epoch: the model's loss and task metrics on a validation slice, logged as `val_*`;
    with `patience`, early stopping on `val_loss` (stop after `patience` epochs without a new best).

    The best epoch's weights are written to `best_path` whenever val_loss improves, and its record
    (best epoch and value, epochs without improvement) lives in the run's checkpoint meta, so a resumed
    run stops at the same epoch as an uninterrupted one. `restore_best` loads them at the end.
    """

    def __init__(self, data, meta, best_path, patience=None):
        super().__init__()
        self.data, self.meta, self.best_path, self.patience = data, meta, str(best_path), patience
        record = meta.get("early_stopping") or {}
        self.best, self.best_epoch = record.get("best_val_loss", math.inf), record.get("best_epoch", 0)
        self.wait, self.stopped_epoch = record.get("epochs_without_improvement", 0), record.get("stopped_epoch")

    def on_epoch_end(self, epoch, logs=None):
        scores = self.model.validation_logs(self.data)
        if logs is not None:
            logs.update(scores)
        if scores["val_loss"] < self.best:
            self.best, self.best_epoch, self.wait = scores["val_loss"], epoch + 1, 0
            save_weights(self.model, self.best_path)
        else:
            self.wait += 1
        if self.patience and self.wait >= self.patience:
            self.stopped_epoch = epoch + 1
            self.model.stop_training = True
        self.meta["early_stopping"] = {
            "monitor": "val_loss",
            "patience": self.patience,
            "best_epoch": self.best_epoch,
            "best_val_loss": self.best,
            "epochs_without_improvement": self.wait,
            "stopped_epoch": self.stopped_epoch,
        }

    def restore_best(self, model):
        """Load the best validation epoch's weights into `model` (if it is not the last epoch's)."""
        history = self.meta.get("history") or [{}]
        if self.best_epoch and self.best_epoch != history[-1].get("epoch"):
            model.load_weights(self.best_path)


class LearningRateByEpoch(keras.callbacks.Callback):
    """Sets every optimizer's learning rate to `model.learning_rate_at(epoch, epochs)` at each
    epoch's start (a function of the epoch only, so a resumed run gets the same schedule)."""

    def __init__(self, epochs):
        super().__init__()
        self.epochs = epochs

    def on_epoch_begin(self, epoch, logs=None):
        rate = self.model.learning_rate_at(epoch, self.epochs)
        if rate is not None:  # None: the model keeps the rate it was compiled with
            for optimizer in self.model.optimizers.values():
                optimizer.learning_rate.assign(rate)

    def on_epoch_end(self, epoch, logs=None):
        rate = self.model.learning_rate_at(epoch, self.epochs)
        if logs is not None and rate is not None:
            logs["learning_rate"] = float(rate)


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
    """Training-health alarms for every GAN (whatever `model.monitored(reals)` returns: samples of
    each generator, the real images they should look like, and the discriminator that judges them).

    Every `every` epochs it logs, per generator (suffix `_<what>` where a model has several):
      duplicate_fraction  share of samples with a near-identical other sample (data-free)
      feature_spread      spread of the samples in the discriminator's own penultimate features,
                          relative to the real images' spread (data-free; ~1 healthy, -> 0 when
                          the samples collapse onto a few points)
      label_entropy       entropy of the judge's label histogram / log(classes); only with a feature
                          network whose classes are the data's classes (see zoo.evaluation.features)
    It warns once when these indicate mode collapse (from epoch `warmup + 1` on: a generator's
    first epoch often looks collapsed and is not), and once when the discriminator's accuracy
    has sat at 0 or 1 for `pinned_steps` consecutive steps (the generator's gradients vanish).
    """

    def __init__(
        self,
        reals,
        judge=None,
        class_names=(),
        every=1,
        samples=256,
        entropy_floor=0.5,
        duplicate_ceiling=0.2,
        spread_floor=0.25,
        pinned_steps=200,
        seed=12345,
        warmup=1,
    ):
        super().__init__()
        self.reals, self.every, self.samples, self.seed = reals, every, samples, seed
        self.judge = judge if judge is not None and judge.judges_classes_of(class_names) else None
        self.entropy_floor, self.duplicate_ceiling, self.spread_floor = entropy_floor, duplicate_ceiling, spread_floor
        self.pinned_steps, self.pinned, self.warmup = pinned_steps, 0, warmup
        self.warnings = []  # the messages given, for callers and tests

    def warn(self, kind, message):
        if kind not in {k for k, _ in self.warnings}:
            self.warnings.append((kind, message))
            print(
                f"\nwarning: {message}", file=sys.stderr, flush=True
            )  # on its own line, not glued to the progress bar

    def on_train_batch_end(self, batch, logs=None):
        # Keras logs hold the running epoch mean; a mean of exactly 0 or 1 means every step was.
        accuracy = (logs or {}).get("d_accuracy")
        if accuracy is None:
            return
        accuracy = float(np.asarray(accuracy))
        self.pinned = self.pinned + 1 if (accuracy >= 0.999 or accuracy <= 0.001) else 0
        if self.pinned >= self.pinned_steps:
            self.warn(
                "pinned",
                f"discriminator accuracy has been {accuracy:.0%} for {self.pinned} steps: "
                f"the generator's gradients are vanishing (try another --loss or a lower --lr)",
            )

    def measure(self, fakes, reals, discriminator_features):
        from zoo.evaluation import metrics

        result = {"duplicate_fraction": metrics.duplicate_fraction(fakes)}
        spread = lambda f: float(np.mean(np.std(f, axis=0)))  # noqa: E731
        real_spread = spread(discriminator_features(reals))
        result["feature_spread"] = spread(discriminator_features(fakes)) / real_spread if real_spread > 0 else 1.0
        if self.judge is not None:
            result["label_entropy"] = metrics.label_entropy(self.judge.probabilities(fakes)) + 0.0  # (+0.0: no -0.0)
        return result

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every:
            return
        watched = self.model.monitored(self.reals, self.samples, self.seed)
        for what, fakes, reals, discriminator_features in watched:
            found = self.measure(fakes, reals, discriminator_features)
            suffix = f"_{what}" if len(watched) > 1 else ""
            if logs is not None:
                logs.update({f"{k}{suffix}": v for k, v in found.items()})
            entropy, duplicates, spread = (
                found.get("label_entropy"),
                found["duplicate_fraction"],
                found["feature_spread"],
            )
            alarms = []
            if entropy is not None and entropy < self.entropy_floor:
                alarms.append(f"label entropy {entropy:.2f} (alarm below {self.entropy_floor})")
            if duplicates > self.duplicate_ceiling:
                alarms.append(f"{duplicates:.0%} near-duplicate samples (alarm above {self.duplicate_ceiling:.0%})")
            if spread < self.spread_floor:
                alarms.append(
                    f"sample spread in the discriminator's features {spread:.2f} of the real images' (alarm "
                    f"below {self.spread_floor})"
                )
            if alarms and epoch + 1 > self.warmup:
                self.warn(
                    f"collapse{suffix}", f"possible mode collapse of {what} at epoch {epoch + 1}: " + "; ".join(alarms)
                )
