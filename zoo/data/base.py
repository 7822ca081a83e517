"""The shared types of the zoo's data: one split of images (`ImageData`, in memory as `ImageSet`),
unpaired domains, non-image arrays (`ArraySet`), and the batching every training pipeline uses.

Every image dataset is one split of uint8 pixels `[N, H, W, C]` with int32 labels `[N]` and the
names of its classes; `scale_images` is the one place where pixels become the float range the
models expect ([0, 1]). Where the pixels come from is said by the source modules beside this one
(`offline`, `imagefolder`, `tfds_source`, `pairing`), each registered under a `--dataset` scheme in
`zoo.data.sources`; this module imports none of them.

Training reads every kind through `training_batches`: epoch e's order is a stateless function of
(seed, e), so a resumed run sees exactly the batches an uninterrupted run would have seen, and
streamed data is decoded in parallel and prefetched instead of being loaded whole.

A run's card stores the *recipe* of its data (`ImageData.recipe()`): the dataset reference, made
resolvable from any working directory (absolute folder path + content fingerprint; TFDS name +
version + data_dir), image shape, class names, scaling and split. `zoo.data.from_recipe(recipe,
split)` gives the same split back wherever the run is evaluated, exported or drawn.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from zoo.errors import DataError


def read_pinned(path, sha256, what, rebuild):
    """The bytes of a data file that ships inside the package, checked against its pinned `sha256`
    ("sha256:..."): a missing or damaged file is a DataError naming it and how to get it back."""
    import hashlib

    if not path.is_file():
        raise DataError(f"the {what} data file {path} is missing; reinstall the package")
    raw = path.read_bytes()
    found = "sha256:" + hashlib.sha256(raw).hexdigest()
    if found != sha256:
        raise DataError(
            f"the {what} data file {path} is damaged (sha256 {found[:19]}…, expected {sha256[:19]}…); "
            f"reinstall the package or rebuild it with {rebuild}"
        )
    return raw


SPLITS = ("train", "test", "all")
SCALING = "uint8 pixels / 255 -> float32 in [0, 1]"
DIGIT_CLASSES = tuple(str(d) for d in range(10))
# Datasets of handwritten digits 0-9: the ones the zoo's digit classifier is a fair judge of.
DIGIT_DATASETS = ("mnist5k", "mnist5k-32", "digits", "tfds:mnist")


def scale_images(pixels):
    """uint8 pixels in [0, 255] -> float32 in [0, 1]: the range every zoo model takes and returns.

    Accepts a NumPy array (returns NumPy) or a tf.Tensor (returns a tensor, for tf.data maps).
    """
    if isinstance(pixels, np.ndarray):
        return pixels.astype(np.float32) / np.float32(255.0)
    import tensorflow as tf

    return tf.cast(pixels, tf.float32) / 255.0


class ImageData:
    """One split of an image dataset. Subclasses say where the pixels come from."""

    random_access = True  # examples can be gathered by index (TFDS streams cannot)

    @property
    def image_shape(self):
        raise NotImplementedError

    def __len__(self):
        return len(self.labels)

    @property
    def images(self):
        """All uint8 pixels of the split, in memory (streamed sets read every file for this)."""
        return self.first(len(self))

    def chunks(self, size=256, limit=None):
        """uint8 image arrays of up to `size` images, the split (or its first `limit`) in its fixed
        order, which mixes the classes; streamed sets decode one chunk at a time."""
        raise NotImplementedError

    def first(self, n):
        """The first `n` images (uint8) in the split's fixed order."""
        parts = list(self.chunks(1024, n))
        return np.concatenate(parts) if parts else np.zeros((0, *self.image_shape), np.uint8)

    def subset(self, keep, split=None):
        """The examples where the boolean mask `keep` is true, as a split named `split`."""
        raise NotImplementedError

    def index_pixels(self, indices):
        """tf.data: a dataset of index batches -> a dataset of uint8 image batches."""
        raise NotImplementedError

    def in_memory(self):
        """The same split decoded once into memory (same order, labels and recipe)."""
        return ImageSet(self.name, self.split, self.images, self.labels, self.class_names, facts=self.source_facts())

    def recipe(self):
        """The data recipe stored in a run's card (without training settings)."""
        return {
            "dataset": self.name,
            "kind": "images",
            "image_shape": list(self.image_shape),
            "class_names": list(self.class_names),
            "scaling": SCALING,
            **self.source_facts(),
        }

    def source_facts(self):
        return {}

    @property
    def digits(self):
        """True for the handwritten-digit datasets the shipped digit classifier may judge."""
        return self.name in DIGIT_DATASETS


class ImageSet(ImageData):
    """uint8 images `[N, H, W, C]` and int32 labels `[N]` held in memory (class names default to
    "0", "1", ... up to the largest label)."""

    def __init__(self, name, split, images, labels, class_names=None, facts=None):
        self.name, self.split, self._images, self.labels, self.facts = name, split, images, labels, facts
        if class_names is None:
            class_names = tuple(str(c) for c in range(int(np.max(labels)) + 1 if len(labels) else 0))
        self.class_names = tuple(class_names)

    @property
    def images(self):
        return self._images

    @property
    def image_shape(self):
        return tuple(self.images.shape[1:])

    def __len__(self):
        return len(self.images)

    def chunks(self, size=256, limit=None):
        stop = len(self) if limit is None else min(limit, len(self))
        for start in range(0, stop, size):
            yield self.images[start : min(start + size, stop)]

    def first(self, n):
        return self.images[:n]

    def subset(self, keep, split=None):
        return ImageSet(
            self.name, split or self.split, self.images[keep], self.labels[keep], self.class_names, self.facts
        )

    def index_pixels(self, indices):
        import tensorflow as tf

        store = tf.constant(self.images)  # uint8: 4x smaller than floats; scaled per batch
        return indices.map(lambda idx: tf.gather(store, idx))

    def source_facts(self):
        return self.facts if self.facts is not None else {}  # an offline set's split, a folder's fingerprint...


def stratified_split(labels, test_fraction, seed=0):
    rng = np.random.default_rng(seed)
    test = []
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        size = int(round(len(idx) * test_fraction))
        size = max(size, 1) if len(idx) >= 2 else size  # a small class still gets one test example
        test.extend(rng.choice(idx, size=size, replace=False))
    mask = np.zeros(len(labels), bool)
    mask[test] = True
    # Fixed shuffled order, so that any prefix (--limit) holds every class.
    return rng.permutation(np.flatnonzero(~mask)), rng.permutation(np.flatnonzero(mask))


@dataclass(frozen=True)
class Unpaired:
    """Two image sets of the same shape with no pairing between them (domains A and B)."""

    a: ImageData
    b: ImageData

    @property
    def name(self):
        return f"{self.a.name}+{self.b.name}"

    @property
    def split(self):
        return self.a.split

    @property
    def image_shape(self):
        return self.a.image_shape

    @property
    def labels(self):
        return None

    @property
    def class_names(self):
        return ()

    def __len__(self):
        return max(len(self.a), len(self.b))

    def recipe(self):
        return {
            "dataset": self.name,
            "kind": "unpaired",
            "image_shape": list(self.image_shape),
            "scaling": SCALING,
            "a": self.a.recipe(),
            "b": self.b.recipe(),
        }


#: Batches every zoo input pipeline keeps ready ahead of the training step.
PREFETCH = 2


def prefetched(ds):
    """`ds` as every zoo input pipeline ends: `PREFETCH` batches ahead, with tf.data's autotuning
    off. Autotuning runs an optimisation thread that sleeps 10 ms, then 20, 40, ... (doubling);
    deleting an iterator sometimes waits for that thread's next wake-up, so a `fit` (whose iterator
    is deleted when it returns) ended on the grid 10 ms x (2^k - 1) after the iterator was made:
    20.5, 41.0, 81.9 s, whatever its steps took (benchmarks/fit_stall.py; the README's "Training
    throughput"). Without autotuning the pipeline never waits so."""
    import tensorflow as tf

    options = tf.data.Options()
    options.autotune.enabled = False
    return ds.prefetch(PREFETCH).with_options(options)


def epoch_order(n, batch_size, seed, initial_epoch, epochs, max_steps=None):
    """A tf.data pipeline of index batches `[batch_size]` for epochs `initial_epoch .. epochs-1`.

    Epoch e's order is a stateless shuffle keyed by (seed, e), so a run resumed at epoch e sees
    exactly the batches an uninterrupted run would have seen. Last partial batch dropped; with
    `max_steps`, each epoch is its first `max_steps` batches. Returns (dataset, steps_per_epoch).
    """
    import tensorflow as tf

    steps = n // batch_size
    if steps == 0:
        raise DataError(f"batch size {batch_size} is larger than the dataset ({n} examples)")
    steps = min(steps, max_steps or steps)

    def epoch(e):
        order = tf.random.experimental.stateless_shuffle(tf.range(n), seed=tf.stack([tf.constant(seed, tf.int64), e]))
        return tf.data.Dataset.from_tensor_slices(order).batch(batch_size, drop_remainder=True).take(steps)

    return tf.data.Dataset.range(initial_epoch, epochs).flat_map(epoch), steps


def training_batches(data, batch_size, seed, initial_epoch, epochs, labels=False, limit=None, max_steps=None):
    """Float [0, 1] image batches of `data` (an ImageData, an Unpaired pair, or a uint8 array) in
    the epoch-keyed order of `epoch_order`; with `labels`, (images, labels) batches. `limit` keeps
    the first N examples of the split's fixed order; `max_steps` cuts every epoch to that many
    batches. Returns (dataset, steps_per_epoch)."""
    import tensorflow as tf

    if isinstance(data, np.ndarray):
        data = ImageSet("array", "train", data, np.zeros(len(data), np.int32))
    if isinstance(data, Unpaired):
        return _unpaired_batches(data, batch_size, seed, initial_epoch, epochs, limit, max_steps)
    n = min(len(data), limit or len(data))
    if not data.random_access:  # TFDS: a per-epoch seeded shuffle of the stream
        return data.stream_batches(batch_size, seed, initial_epoch, epochs, labels, n, max_steps)
    order, steps = epoch_order(n, batch_size, seed, initial_epoch, epochs, max_steps)
    pixels = data.index_pixels(order).map(scale_images)
    if labels:
        label_store = tf.constant(np.asarray(data.labels, np.int32))
        pixels = tf.data.Dataset.zip((pixels, order.map(lambda idx: tf.gather(label_store, idx))))
    return prefetched(pixels), steps


@dataclass(frozen=True)
class ArraySet:
    """Non-image training data: `inputs` and `targets` arrays with one example per row (sequence
    windows, token chunks), batched in the same epoch-keyed order as images."""

    name: str
    split: str
    inputs: np.ndarray
    targets: np.ndarray
    info: dict = None  # what a model needs to know about the data (scaling, vocabulary, series...)
    validation_part = "the last examples of the training split, in order (never trained on)"  # split_off_tail's

    def __len__(self):
        return len(self.inputs)

    def recipe(self):
        facts = {
            k: v for k, v in (self.info or {}).items() if isinstance(v, (int, float, str, bool)) and k != "vocabulary"
        }
        return {"dataset": self.name, "kind": "arrays", **facts, **(self.info or {}).get("recipe", {})}

    def split_off_tail(self, fraction):
        """(the first examples, the last `fraction` of them as a "validation" set): in order, so for
        text chunks or time windows the validation slice is the end of the training text or series."""
        cut = len(self) - max(1, int(round(len(self) * fraction)))
        if cut < 1:
            raise DataError(
                f"{len(self)} training examples leave none to train on after a validation share of {fraction}"
            )
        head = ArraySet(self.name, self.split, self.inputs[:cut], self.targets[:cut], self.info)
        return head, ArraySet(self.name, "validation", self.inputs[cut:], self.targets[cut:], self.info)

    def batches(self, batch_size, seed, initial_epoch, epochs, limit=None, max_steps=None):
        import tensorflow as tf

        n = min(len(self), limit or len(self))
        ds, steps = epoch_order(n, batch_size, seed, initial_epoch, epochs, max_steps)
        inputs, targets = tf.constant(self.inputs[:n]), tf.constant(self.targets[:n])
        return prefetched(ds.map(lambda idx: (tf.gather(inputs, idx), tf.gather(targets, idx)))), steps


@dataclass(frozen=True)
class RaggedSet(ArraySet):
    """Sequences of different lengths: `inputs` [N, T, F] zero-padded at the end to the longest,
    `lengths` [N] the real length of each; batches are ((sequences, lengths), targets)."""

    lengths: np.ndarray = None

    def split_off_tail(self, fraction):
        head, tail = ArraySet.split_off_tail(self, fraction)
        cut = len(head)
        return (
            RaggedSet(head.name, head.split, head.inputs, head.targets, head.info, self.lengths[:cut]),
            RaggedSet(tail.name, tail.split, tail.inputs, tail.targets, tail.info, self.lengths[cut:]),
        )

    def batches(self, batch_size, seed, initial_epoch, epochs, limit=None, max_steps=None):
        import tensorflow as tf

        n = min(len(self), limit or len(self))
        ds, steps = epoch_order(n, batch_size, seed, initial_epoch, epochs, max_steps)
        inputs, lengths = tf.constant(self.inputs[:n]), tf.constant(self.lengths[:n])
        targets = tf.constant(self.targets[:n])
        return (
            prefetched(ds.map(lambda i: ((tf.gather(inputs, i), tf.gather(lengths, i)), tf.gather(targets, i)))),
            steps,
        )


class Rows:
    """Row k = `stream[starts[k] : starts[k] + length]` (its column `column` only, if given), read as
    `dtype` when sliced or taken: the examples of a set as views of one array (a memory map, for a
    file), so nothing is copied but the rows asked for. `starts` is an int array or a `range`."""

    def __init__(self, stream, starts, length, dtype, column=None):
        self.stream, self.starts, self.length, self.column = stream, starts, int(length), column
        self.dtype = np.dtype(dtype)

    @property
    def shape(self):
        rest = () if self.column is not None or self.stream.ndim == 1 else self.stream.shape[1:]
        return (len(self.starts), self.length, *rest)

    @property
    def ndim(self):
        return len(self.shape)

    def __len__(self):
        return len(self.starts)

    def part(self, rows):
        """The rows of the slice `rows`, still a view."""
        return Rows(self.stream, self.starts[rows], self.length, self.dtype, self.column)

    def take(self, index):
        """The rows `index` (int array), as an array."""
        index = np.asarray(index, np.int64)
        if isinstance(self.starts, range):
            starts = self.starts.start + index * self.starts.step
        else:
            starts = np.asarray(self.starts)[index]
        rows = self.stream[starts[:, None] + np.arange(self.length)]
        return np.asarray(rows if self.column is None else rows[..., self.column], self.dtype)

    def __getitem__(self, key):
        rest = ()
        if isinstance(key, tuple):
            key, rest = key[0], key[1:]
        if isinstance(key, slice):
            rows = self.take(np.arange(len(self))[key])
        elif isinstance(key, (int, np.integer)):
            rows = self.take([int(key) % len(self)])[0]
        else:
            rows = self.take(np.arange(len(self))[key])
        return rows[(slice(None), *rest)] if rest and not isinstance(key, (int, np.integer)) else rows[rest]

    def __array__(self, dtype=None, copy=None):
        return self[:] if dtype is None else self[:].astype(dtype)

    def __getattr__(self, name):  # any other array method (max, mean...) reads every row
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self[:], name)


@dataclass(frozen=True)
class RowSet(ArraySet):
    """An ArraySet whose `inputs` and `targets` are `Rows` over one stream: training holds the stream
    once, as a tensor, and gathers each batch's rows from it in the graph, never a copy per example;
    slicing (`split_off_tail`, `limit`) keeps views. (Not `tf.numpy_function`: a process that exits
    while such a pipeline still holds a prefetched call can hang in the interpreter's shutdown.)"""

    def split_off_tail(self, fraction):
        cut = len(self) - max(1, int(round(len(self) * fraction)))
        if cut < 1:
            ArraySet.split_off_tail(self, fraction)  # the same refusal
        head, tail = slice(None, cut), slice(cut, None)
        return (
            replace(self, inputs=self.inputs.part(head), targets=self.targets.part(head)),
            replace(self, split="validation", inputs=self.inputs.part(tail), targets=self.targets.part(tail)),
        )

    def batches(self, batch_size, seed, initial_epoch, epochs, limit=None, max_steps=None):

        n = min(len(self), limit or len(self))
        ds, steps = epoch_order(n, batch_size, seed, initial_epoch, epochs, max_steps)
        streams = {}  # one tensor per stream: inputs and targets usually share theirs
        x = _gatherer(self.inputs.part(slice(0, n)), streams)
        y = _gatherer(self.targets.part(slice(0, n)), streams)
        return prefetched(ds.map(lambda idx: (x(idx), y(idx)))), steps


def _held(stream):
    """`stream` (an array or a memory map) copied once into a variable. A variable, not a constant:
    tf.data's graph rewrites would copy a captured constant into the pipeline's graph (measured: the
    stream twice in memory); a variable is captured as a handle."""
    import tensorflow as tf

    with tf.device("/cpu:0"):
        return tf.Variable(np.asarray(stream), trainable=False)


def _gatherer(rows, streams):
    """A TensorFlow function: index batch [B] -> those rows of `rows` [B, length, ...] as its dtype."""
    import tensorflow as tf

    key = id(rows.stream)
    if key not in streams:
        streams[key] = _held(rows.stream)
    stream, offsets = streams[key], tf.range(rows.length, dtype=tf.int64)
    if isinstance(rows.starts, range):
        first, step = rows.starts.start, rows.starts.step
        start_of = lambda idx: first + tf.cast(idx, tf.int64) * step  # noqa: E731
    else:
        starts = tf.constant(np.asarray(rows.starts, np.int64))
        start_of = lambda idx: tf.gather(starts, tf.cast(idx, tf.int64))  # noqa: E731

    def read(idx):
        out = tf.gather(stream, start_of(idx)[:, None] + offsets)
        return tf.cast(out if rows.column is None else out[..., rows.column], tf.as_dtype(rows.dtype))

    return read


@dataclass(frozen=True)
class TokenChunks(RowSet):
    """Teacher-forcing chunks of one 1-D token stream: example k is `stream[kL : kL + L]`, its target
    the next tokens `stream[kL + 1 : kL + L + 1]`, both read as int32."""

    @classmethod
    def of(cls, name, split, stream, length, info=None):
        rows = (len(stream) - 1) // length
        inputs = Rows(stream, range(0, rows * length, length), length, np.int32)
        targets = Rows(stream, range(1, rows * length + 1, length), length, np.int32)
        return cls(name, split, inputs, targets, info)


def _unpaired_batches(domains, batch_size, seed, initial_epoch, epochs, limit=None, max_steps=None):
    """(a, b) batches: an epoch is max(|A|, |B|) // batch steps; the smaller domain is cycled.
    Each domain has its own stateless order per epoch, so A and B are never paired the same way."""
    import tensorflow as tf

    sizes = [min(len(d), limit or len(d)) for d in (domains.a, domains.b)]
    n = max(sizes)
    steps = n // batch_size
    if steps == 0:
        raise DataError(f"batch size {batch_size} is larger than the dataset ({n} examples)")
    steps = min(steps, max_steps or steps)

    def order(size, key):
        def epoch(e):
            idx = tf.random.experimental.stateless_shuffle(
                tf.range(size), seed=tf.stack([tf.constant(key, tf.int64), e])
            )
            idx = tf.tile(idx, [-(-steps * batch_size // size)])[: steps * batch_size]
            return tf.data.Dataset.from_tensor_slices(idx).batch(batch_size, drop_remainder=True)

        return tf.data.Dataset.range(initial_epoch, epochs).flat_map(epoch)

    a = domains.a.index_pixels(order(sizes[0], seed)).map(scale_images)
    b = domains.b.index_pixels(order(sizes[1], seed + 1)).map(scale_images)
    return prefetched(tf.data.Dataset.zip((a, b))), steps


def unreadable(path, exc):
    """The DataError for an image file PIL cannot read, naming the file (PIL's own message names an
    in-memory buffer, `<_io.BytesIO object at 0x...>`, when the bytes were read first)."""
    from PIL import UnidentifiedImageError

    if isinstance(exc, UnidentifiedImageError):
        why = "not an image: no PNG, JPEG, BMP or GIF data in it"
    else:
        why = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return DataError(f"cannot read image {path}: {why}")
