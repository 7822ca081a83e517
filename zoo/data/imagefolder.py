"""Your own images: a folder read the way the ecosystem reads one, streamed through tf.data.

Layouts (the first that matches):
  DIR/train/<class>/...  and optionally DIR/test/<class>/...   (TFDS ImageFolder, zoo.generate)
  DIR/<class>/...                                               (keras image_dataset_from_directory)
  DIR/*.png ...                                                 (no classes: one class, the folder's name)
A folder without a test part is split per class with a stated seed and fraction.

Class folders may have any names: sorted, they become ids 0..K-1, and the names are kept in the
recipe. PNG, JPEG, BMP and GIF (first frame) are read; other files are ignored. Grey, RGB and RGBA
files are brought to one channel count (1 if every file is grey, else 3; alpha is dropped).
Without `image_size` every image must have the same size; with it each is resized to a square side.
A file that cannot be decoded stops the scan with its path named.

Each split's files are held in a fixed shuffled order (so any prefix, e.g. --limit, mixes the
classes), and only paths and labels stay in memory: pixels are read, decoded and resized in
parallel per batch. The recipe records the absolute path and a content fingerprint (sha256 over
every file's relative path and bytes), so a run can be evaluated or exported from anywhere and a
folder changed since training is refused rather than silently measured.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from zoo.data.base import SCALING, ImageData, prefetched, stratified_split, unreadable
from zoo.data.sources import register_scheme
from zoo.errors import DataError

SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif")
GREY_MODES = ("1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "F")


@dataclass(frozen=True)
class Scan:
    """Every image file of a dataset folder, checked once."""

    root: Path
    files: tuple  # relative paths
    labels: np.ndarray
    parts: np.ndarray  # "train" / "test" per file, as found on disk ("" where there is no split)
    class_names: tuple
    image_shape: tuple
    fingerprint: str
    layout: str


def _class_dirs(folder):
    return sorted((d for d in folder.iterdir() if d.is_dir() and not d.name.startswith(".")), key=lambda d: d.name)


def image_files(folder, recursive=True):
    found = folder.rglob("*") if recursive else folder.iterdir()
    return sorted(f for f in found if f.is_file() and f.suffix.lower() in SUFFIXES and not f.name.startswith("."))


def scan(root, image_size=None):
    """Find, decode-check and fingerprint every image under `root` (see the module docstring)."""

    root = Path(root).expanduser()
    if not root.is_dir():
        raise DataError(f"dataset folder {root} does not exist or is not a folder")
    root = root.resolve()
    entries = []  # (path, class name, part)
    if (root / "train").is_dir() or (root / "test").is_dir():
        parts = [p for p in ("train", "test") if (root / p).is_dir()]
        layout = {2: "DIR/train/<class>/ + DIR/test/<class>/", 1: f"DIR/{parts[0]}/<class>/ only"}[len(parts)]
        for part in ("train", "test"):
            if (root / part).is_dir():
                for d in _class_dirs(root / part):
                    entries += [(f, d.name, part) for f in image_files(d)]
    elif _class_dirs(root):
        layout = "DIR/<class>/"
        for d in _class_dirs(root):
            entries += [(f, d.name, "") for f in image_files(d)]
    else:
        layout = "DIR/*.image (one class)"
        entries = [(f, root.name, "") for f in image_files(root, recursive=False)]
    if not entries:
        raise DataError(f"no images ({', '.join(SUFFIXES)}) under {root}")
    _say_empty(root, entries)
    # A run loads its train and test splits (and evaluation reloads them): decode-check and hash the
    # files once per process, unless a file was added, removed or rewritten since (size, mtime).
    listing = tuple((str(f), c, part, f.stat().st_size, f.stat().st_mtime_ns) for f, c, part in entries)
    key = (root, image_size, listing)
    if key not in _SCANS:
        _SCANS.clear()  # keep one folder's scan: the point is not to read it twice in a row
        _SCANS[key] = _check(root, image_size, entries, layout)
    return _SCANS[key]


_SCANS = {}
_SAID = set()


def _say_empty(root, entries):
    """A class folder without images is left out, and said once per process (not silently)."""
    import sys

    classes = {(part, c) for _, c, part in entries}
    parts = ("train", "test") if (root / "train").is_dir() or (root / "test").is_dir() else ("",)
    empty = [
        f"{part}/{d.name}" if part else d.name
        for part in parts
        if (root / part).is_dir()
        for d in _class_dirs(root / part)
        if (part, d.name) not in classes
    ]
    if empty and (root, tuple(empty)) not in _SAID:
        _SAID.add((root, tuple(empty)))
        print(f"warning: {root}: class folder(s) {', '.join(empty)} hold no images and are left out", file=sys.stderr)


def _check(root, image_size, entries, layout):
    """Decode-check and fingerprint the files of `scan`."""
    from PIL import Image, UnidentifiedImageError

    class_names = tuple(sorted({c for _, c, _ in entries}))
    ids = {c: i for i, c in enumerate(class_names)}
    digest, sizes, grey = hashlib.sha256(), {}, True
    for path, _, _ in entries:
        try:
            blob = path.read_bytes()
            with Image.open(io.BytesIO(blob)) as image:
                image.load()  # decodes fully: a truncated file fails here, not in the middle of training
                size, mode = image.size, image.mode
                if mode in ("P", "PA"):  # palette (GIF, some PNGs): grey if every palette colour is
                    rgb = np.asarray(image.convert("RGB"))
                    mode = "L" if (rgb == rgb[..., :1]).all() else "RGB"
        except (OSError, UnidentifiedImageError, ValueError, SyntaxError) as exc:
            raise unreadable(path, exc) from None
        relative = path.relative_to(root).as_posix()
        digest.update(relative.encode() + b"\0" + hashlib.sha256(blob).digest())
        sizes.setdefault(size, relative)
        grey = grey and mode in GREY_MODES
    if image_size is None and len(sizes) > 1:
        (first, a), (other, b) = list(sizes.items())[:2]
        raise DataError(
            f"images under {root} differ in size ({a}: {first[0]}x{first[1]}, {b}: {other[0]}x{other[1]}); "
            f"pass --image-size N to resize every image to NxN"
        )
    width, height = next(iter(sizes)) if image_size is None else (image_size, image_size)
    return Scan(
        root=root,
        files=tuple(p.relative_to(root).as_posix() for p, _, _ in entries),
        labels=np.array([ids[c] for _, c, _ in entries], np.int32),
        parts=np.array([p for _, _, p in entries]),
        class_names=class_names,
        image_shape=(int(height), int(width), 1 if grey else 3),
        fingerprint="sha256:" + digest.hexdigest(),
        layout=layout,
    )


def split_indices(found, split, test_fraction, seed):
    """Indices of `split` in a fixed shuffled order; a folder without a test part is split per
    class (`test_fraction` of each class to test, chosen with `seed`)."""
    rng = np.random.default_rng(seed)
    if (found.parts == "test").any() or not (found.parts == "train").any() and (found.parts != "").all():
        train, test = np.flatnonzero(found.parts == "train"), np.flatnonzero(found.parts == "test")
        train, test = rng.permutation(train), rng.permutation(test)
    else:
        if len(found.files) < 2:
            raise DataError(f"{found.root} holds {len(found.files)} image: too few to split into train and test")
        train, test = stratified_split(found.labels, test_fraction, seed)
    return {"train": train, "test": test, "all": np.concatenate([train, test])}[split]


class FolderImages(ImageData):
    """One split of an image folder; pixels are read from disk when batches are drawn."""

    def __init__(self, found, split, indices, image_size, test_fraction, split_seed):
        self.found, self.split, self.indices = found, split, np.asarray(indices, np.int64)
        self.image_size, self.test_fraction, self.split_seed = image_size, float(test_fraction), int(split_seed)
        self.name = f"folder:{found.root}"
        self.labels = found.labels[self.indices]
        self.class_names = found.class_names

    @classmethod
    def load(cls, path, split, image_size=None, test_fraction=0.2, split_seed=0):
        if not 0 < float(test_fraction) < 1:
            raise DataError(f"test fraction must lie strictly between 0 and 1, got {test_fraction}")
        found = scan(path, image_size)
        return cls(
            found, split, split_indices(found, split, test_fraction, split_seed), image_size, test_fraction, split_seed
        )

    @classmethod
    def from_recipe(cls, recipe, split):
        data = cls.load(
            recipe["path"],
            split,
            recipe.get("image_size"),
            recipe.get("test_fraction", 0.2),
            recipe.get("split_seed", 0),
        )
        if data.found.fingerprint != recipe.get("fingerprint", data.found.fingerprint):
            raise DataError(
                f"the dataset folder {recipe['path']} changed since the run was trained (fingerprint "
                f"{data.found.fingerprint[:19]}… vs {recipe['fingerprint'][:19]}… in the card): its figures "
                f"would describe other data"
            )
        if list(data.image_shape) != list(recipe["image_shape"]):
            raise DataError(
                f"{recipe['path']} now gives {data.image_shape} images, the run was trained on "
                f"{tuple(recipe['image_shape'])}"
            )
        return data

    @property
    def image_shape(self):
        return self.found.image_shape

    def __len__(self):
        return len(self.indices)

    def subset(self, keep, split=None):
        return FolderImages(
            self.found, split or self.split, self.indices[keep], self.image_size, self.test_fraction, self.split_seed
        )

    def paths(self):
        return [str(self.found.root / self.found.files[i]) for i in self.indices]

    def decode(self):
        """A tf function: file path -> uint8 `[H, W, C]` pixels (the one decoder of folder data)."""
        import tensorflow as tf

        height, width, channels = self.image_shape

        def read(path):
            image = tf.io.decode_image(tf.io.read_file(path), expand_animations=False, dtype=tf.uint8)
            have = tf.shape(image)[-1]
            image = tf.cond(
                tf.equal(have % 2, 0), lambda: image[..., : have - 1], lambda: image
            )  # drop alpha (LA, RGBA)
            if channels == 1:
                image = tf.cond(
                    tf.equal(tf.shape(image)[-1], 3), lambda: tf.image.rgb_to_grayscale(image), lambda: image
                )
            else:
                image = tf.cond(
                    tf.equal(tf.shape(image)[-1], 1), lambda: tf.image.grayscale_to_rgb(image), lambda: image
                )
            if self.image_size is not None:
                resized = tf.image.resize(
                    tf.cast(image, tf.float32), (height, width), method="bilinear", antialias=True
                )
                image = tf.cast(tf.round(tf.clip_by_value(resized, 0.0, 255.0)), tf.uint8)
            return tf.ensure_shape(image, (height, width, channels))

        return read

    def index_pixels(self, indices):
        import tensorflow as tf

        batch = indices.element_spec.shape[0]
        paths = tf.constant(self.paths())
        read = self.decode()
        pixels = indices.unbatch().map(
            lambda i: read(tf.gather(paths, i)), num_parallel_calls=tf.data.AUTOTUNE, deterministic=True
        )
        return pixels.batch(batch, drop_remainder=True)

    def chunks(self, size=256, limit=None):
        import tensorflow as tf

        paths = self.paths()[:limit]
        if paths:
            ds = tf.data.Dataset.from_tensor_slices(paths)
            ds = prefetched(ds.map(self.decode(), num_parallel_calls=tf.data.AUTOTUNE, deterministic=True).batch(size))
            yield from ds.as_numpy_iterator()

    def source_facts(self):
        split = (
            "the folder's own train/ and test/ parts"
            if (self.found.parts == "test").any()
            else f"stratified per class: {self.test_fraction:.0%} to test, seed {self.split_seed}"
        )
        return {
            "path": str(self.found.root),
            "fingerprint": self.found.fingerprint,
            "files": len(self.found.files),
            "layout": self.found.layout,
            "image_size": self.image_size,
            "test_fraction": self.test_fraction,
            "split_seed": self.split_seed,
            "split": split,
            "scaling": SCALING
            + (f", resized to {self.image_size}x{self.image_size} (bilinear, antialiased)" if self.image_size else ""),
        }


register_scheme(
    "folder",
    lambda path, split, image_size, test_fraction, split_seed: FolderImages.load(
        path, split, image_size, test_fraction, split_seed
    ),
    FolderImages.from_recipe,
)
