"""TFDS image datasets by name ("tfds:cifar10"), streamed from TFDS's prepared files.

TFDS files have no random access, so an epoch is the split read in file order and shuffled through
a buffer seeded by (seed, epoch): still a function of the seed and the epoch only, so a resumed run
sees the batches an uninterrupted one would have. The recipe records the name, version and
data_dir; a run is later evaluated or exported from those prepared files with downloads off.
A dataset with no "test" split is split as train[:90%] / train[90%:].
"""

from __future__ import annotations

import numpy as np

from zoo.data.base import ImageData, prefetched, scale_images
from zoo.data.sources import register_scheme
from zoo.errors import DataError

SHUFFLE_BUFFER = 10_000


class TfdsImages(ImageData):
    random_access = False

    def __init__(self, builder, split, tfds_split, split_note, labels, keep=None):
        self.builder, self.split, self.tfds_split, self.split_note = builder, split, tfds_split, split_note
        self.name = f"tfds:{builder.name}"
        self.keep = keep  # boolean mask over the split's examples (None: all)
        self.labels = labels if keep is None else labels[keep]
        self._all_labels = labels
        self.class_names = tuple(builder.info.features["label"].names)

    @classmethod
    def load(cls, name, split, data_dir=None, version=None, download=True):
        import tensorflow_datasets as tfds

        reference = f"{name}:{version}" if version else name
        try:
            builder = tfds.builder(reference, data_dir=data_dir)
            if download:
                builder.download_and_prepare()
        except Exception as exc:  # tfds raises many kinds (network, registration, checksum)
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            where = (
                f" from {data_dir} (downloads off: the run was trained on these prepared files)" if not download else ""
            )
            raise DataError(
                f"could not load TFDS dataset '{reference}'{where} ({type(exc).__name__}: {first}); "
                f"offline, use --dataset mnist5k or folder:DIR instead"
            ) from None
        features = builder.info.features
        if "image" not in features or "label" not in features:
            raise DataError(f"TFDS dataset '{name}' has no 'image' and 'label' features (it has {sorted(features)})")
        shape = tuple(features["image"].shape)
        if None in shape or len(shape) != 3:
            raise DataError(
                f"TFDS dataset '{name}' has images of varying size {shape}; write them to a folder and "
                f"use --dataset folder:DIR --image-size N"
            )
        splits = set(builder.info.splits) or {"train", "test"}  # (mocked datasets list no splits)
        if "test" in splits:
            train, test, note = "train", "test", "TFDS 'train' and 'test' splits"
        else:
            train, test, note = "train[:90%]", "train[90%:]", "TFDS has no test split: train[:90%] / train[90%:]"
        tfds_split = {"train": train, "test": test, "all": f"{train}+{test}"}[split]
        labels_only = builder.as_dataset(
            split=tfds_split, shuffle_files=False, decoders={"image": tfds.decode.SkipDecoding()}
        )
        labels = np.fromiter((int(x) for x in labels_only.map(lambda ex: ex["label"]).as_numpy_iterator()), np.int32)
        if len(labels) == 0:
            raise DataError(f"TFDS dataset '{name}' split '{tfds_split}' is empty")
        return cls(builder, split, tfds_split, note, labels)

    @classmethod
    def from_recipe(cls, recipe, split):
        data = cls.load(
            recipe["dataset"][len("tfds:") :], split, recipe.get("data_dir"), recipe.get("version"), download=False
        )
        return data

    @property
    def image_shape(self):
        return tuple(int(d) for d in self.builder.info.features["image"].shape)

    def subset(self, keep, split=None):
        full = np.ones(len(self._all_labels), bool) if self.keep is None else self.keep.copy()
        full[np.flatnonzero(full)] = keep
        return TfdsImages(self.builder, split or self.split, self.tfds_split, self.split_note, self._all_labels, full)

    def _examples(self, n):
        """(uint8 image, int32 label) pairs in file order, the first `n` kept examples."""
        import tensorflow as tf

        ds = self.builder.as_dataset(split=self.tfds_split, shuffle_files=False)
        ds = ds.map(lambda ex: (ex["image"], tf.cast(ex["label"], tf.int32)))
        if self.keep is not None:
            keep = tf.constant(self.keep)
            ds = ds.enumerate().filter(lambda i, ex: tf.gather(keep, i)).map(lambda i, ex: ex)
        return ds.take(n)

    def chunks(self, size=256, limit=None):
        for images, _ in (
            self._examples(len(self) if limit is None else min(limit, len(self))).batch(size).as_numpy_iterator()
        ):
            yield images

    def stream_batches(self, batch_size, seed, initial_epoch, epochs, labels, n, max_steps=None):
        from functools import reduce

        import tensorflow as tf

        steps = n // batch_size
        if steps == 0:
            raise DataError(f"batch size {batch_size} is larger than the dataset ({n} examples)")
        steps = min(steps, max_steps or steps)
        base = self._examples(n)

        def epoch(e):
            shuffled = base.shuffle(min(n, SHUFFLE_BUFFER), seed=seed * 1_000_003 + e, reshuffle_each_iteration=False)
            return shuffled.batch(batch_size, drop_remainder=True).take(steps)

        ds = reduce(lambda a, b: a.concatenate(b), (epoch(e) for e in range(initial_epoch, epochs)))
        ds = ds.map(
            lambda x, y: (scale_images(x), y) if labels else scale_images(x), num_parallel_calls=tf.data.AUTOTUNE
        )
        return prefetched(ds), steps

    def index_pixels(self, indices):
        raise DataError(f"{self.name} has no random access: it cannot be a CycleGAN domain (use folder:DIR)")

    def source_facts(self):
        from pathlib import Path

        root = Path(self.builder.data_dir).parents[1]  # <data_dir>/<name>/<version>
        return {"version": str(self.builder.info.version), "data_dir": str(root), "split": self.split_note}


register_scheme("tfds", lambda name, split, *_: TfdsImages.load(name, split), TfdsImages.from_recipe)
