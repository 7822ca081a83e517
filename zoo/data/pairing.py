"""Paired data for image-to-image models: (input image, target image) examples.

A pairing says how each example's input is made from its target (any image set becomes paired
data), or reads real pairs from a folder:

  downscale2, downscale4   the target averaged over 2x2 / 4x4 blocks (area downsampling): the
                           low-resolution input of a super-resolution model
  edges                    Sobel gradient magnitude of the target's luminance, /4 and clipped to
                           [0, 1] (a 0 -> 1 step edge reads 1): a "sketch" of the image, 1 channel
  grey                     luminance 0.299 R + 0.587 G + 0.114 B, 1 channel (colourisation)
  mask                     the target with its centre square (half the side) set to 0.5 grey
                           (inpainting; the same hole in every image)
  pairs                    real pairs from `folder:DIR`: DIR/A/<name>.png is the input of
                           DIR/B/<name>.<any image suffix>; every file needs its partner

Inputs are computed per batch in the training pipeline, from the same target pixels the model is
scored against, so a paired split is as exactly reproducible (and resumable) as its image set.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from zoo.data.base import SCALING, ImageData, ImageSet, epoch_order, prefetched, scale_images, unreadable
from zoo.data.imagefolder import image_files
from zoo.data.sources import from_recipe, load_images, register_recipe_kind
from zoo.errors import DataError, UnknownNameError, did_you_mean

PAIRINGS = {
    "downscale2": "input = the target averaged over 2x2 blocks (area downsampling, x2)",
    "downscale4": "input = the target averaged over 4x4 blocks (area downsampling, x4)",
    "edges": "input = Sobel gradient magnitude of the target's luminance / 4, clipped to [0, 1] (1 channel)",
    "grey": "input = luminance 0.299 R + 0.587 G + 0.114 B of the target (1 channel)",
    "mask": "input = the target with its centre square (half the side) set to 0.5",
    "pairs": "real pairs: folder:DIR/A/<name> is the input of DIR/B/<name>",
}
MADE = tuple(p for p in PAIRINGS if p != "pairs")


def check_pairing(name):
    if name not in PAIRINGS:
        raise UnknownNameError(
            f"unknown pairing '{name}'{did_you_mean(name, PAIRINGS)}; choose one of {', '.join(PAIRINGS)}"
        )
    return name


def scale_of(pairing):
    """The downscaling factor of a `downscaleN` pairing (1 for the others)."""
    return int(pairing[len("downscale") :]) if pairing.startswith("downscale") else 1


def input_shape(pairing, target_shape):
    """The input image shape a made pairing gives for targets of `target_shape` (H, W, C); refuses
    sizes a downscaling does not divide, and colour operations on grey images."""
    h, w, c = (int(d) for d in target_shape)
    s = scale_of(pairing)
    if h % s or w % s:
        raise DataError(f"images of {h}x{w} cannot be downscaled x{s}: both sides must be multiples of {s}")
    if pairing == "grey" and c != 3:
        raise DataError(f"the grey pairing colourises RGB images; these have {c} channel(s)")
    if pairing in ("edges", "grey"):
        return (h, w, 1)
    return (h // s, w // s, c)


# --- the pairings, on float [0, 1] batches [N, H, W, C] (NumPy or tensors; TensorFlow ops) ----------
def downscale(images, factor):
    import tensorflow as tf

    images = tf.convert_to_tensor(images, tf.float32)
    h, w, c = images.shape[1:]
    if h % factor or w % factor:
        raise DataError(f"images of {h}x{w} cannot be downscaled x{factor}: both sides must be multiples of {factor}")
    blocks = tf.reshape(images, [-1, h // factor, factor, w // factor, factor, c])
    return tf.reduce_mean(blocks, axis=[2, 4])


def luminance(images):
    import tensorflow as tf

    images = tf.convert_to_tensor(images, tf.float32)
    if images.shape[-1] == 1:
        return images
    return tf.reduce_sum(images * tf.constant([0.299, 0.587, 0.114]), axis=-1, keepdims=True)


def edges(images):
    import tensorflow as tf

    grad = tf.image.sobel_edges(luminance(images))  # [N, H, W, 1, 2] (dy, dx), reflect-padded
    return tf.clip_by_value(tf.norm(grad, axis=-1) / 4.0, 0.0, 1.0)


def mask(images):
    import tensorflow as tf

    images = tf.convert_to_tensor(images, tf.float32)
    h, w = images.shape[1:3]
    rows = (np.arange(h) >= h // 4) & (np.arange(h) < h // 4 + h // 2)
    cols = (np.arange(w) >= w // 4) & (np.arange(w) < w // 4 + w // 2)
    hole = tf.constant((rows[:, None] & cols[None, :])[None, :, :, None])
    return tf.where(hole, tf.constant(0.5, tf.float32), images)


def make_inputs(pairing, targets):
    """The inputs of `targets` (float [0, 1] `[N, H, W, C]`) under a made `pairing`."""
    if pairing.startswith("downscale"):
        return downscale(targets, scale_of(pairing))
    return {"edges": edges, "grey": luminance, "mask": mask}[pairing](targets)


# --- paired splits ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Paired:
    """One split of paired data: `targets` (what the model should output) and how each input is made
    (`pairing`), or, for real pairs, the `sources` images aligned with the targets."""

    targets: ImageData
    pairing: str
    sources: ImageData = None

    @property
    def name(self):
        return self.targets.name

    @property
    def split(self):
        return self.targets.split

    @property
    def image_shape(self):
        return self.targets.image_shape

    @property
    def input_shape(self):
        return self.sources.image_shape if self.sources is not None else input_shape(self.pairing, self.image_shape)

    @property
    def labels(self):
        return self.targets.labels

    @property
    def class_names(self):
        return self.targets.class_names

    @property
    def digits(self):
        return self.targets.digits

    def __len__(self):
        return len(self.targets)

    def first(self, n):
        return self.targets.first(n)

    def arrays(self, n=None):
        """(inputs, targets) of the first `n` examples (all by default), float32 in [0, 1]."""
        n = len(self) if n is None else min(n, len(self))
        targets = scale_images(self.targets.first(n))
        if self.sources is not None:
            return scale_images(self.sources.first(n)), targets
        return np.asarray(make_inputs(self.pairing, targets)), targets

    def recipe(self):
        recipe = {
            "dataset": self.name,
            "kind": "paired",
            "pairing": self.pairing,
            "pairing_rule": PAIRINGS[self.pairing],
            "image_shape": list(self.image_shape),
            "input_shape": list(self.input_shape),
            "class_names": list(self.class_names),
            "scaling": SCALING,
            "targets": self.targets.recipe(),
        }
        if self.sources is not None:
            recipe.update(self.targets.source_facts())
        return recipe

    def batches(self, batch_size, seed, initial_epoch, epochs, limit=None, max_steps=None):
        """(inputs, targets) float batches in the epoch-keyed order of `zoo.data.epoch_order`."""
        import tensorflow as tf

        if not self.targets.random_access:
            raise DataError(f"{self.name} is streamed; paired training needs random access (pass --in-memory)")
        n = min(len(self), limit or len(self))
        order, steps = epoch_order(n, batch_size, seed, initial_epoch, epochs, max_steps)
        targets = self.targets.index_pixels(order).map(scale_images)
        if self.sources is not None:
            pairs = tf.data.Dataset.zip((self.sources.index_pixels(order).map(scale_images), targets))
        else:
            pairing = self.pairing
            pairs = targets.map(lambda t: (make_inputs(pairing, t), t))
        return prefetched(pairs), steps


def load_paired(dataset, pairing, split="train", image_size=None, test_fraction=0.2):
    """Split `split` of `dataset` (any image set name) paired by `pairing` (see PAIRINGS)."""
    check_pairing(pairing)
    if pairing == "pairs":
        if not str(dataset).startswith("folder:"):
            raise DataError(f"--pairing pairs reads real pairs from folder:DIR (with A/ and B/); got '{dataset}'")
        return load_pairs_folder(dataset[len("folder:") :], split, image_size, test_fraction)
    data = load_images(dataset, split, image_size=image_size, test_fraction=test_fraction)
    input_shape(pairing, data.image_shape)  # refuses shapes the pairing cannot take, before any work
    return Paired(data, pairing)


def paired_from_recipe(recipe, split):
    if recipe["pairing"] == "pairs":
        found = load_pairs_folder(
            recipe["dataset"][len("folder:") :], split, recipe.get("image_size"), recipe["test_fraction"]
        )
        if found.targets.facts["fingerprint"] != recipe.get("fingerprint"):
            raise DataError(
                f"the pairs folder {recipe['dataset']} changed since this model was trained (fingerprint differs)"
            )
        return found
    return Paired(from_recipe(recipe["targets"], split), recipe["pairing"])


# --- real pairs from a folder -------------------------------------------------------------------------
def _decode(path, image_size):
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image.load()
            grey = image.mode in ("1", "L", "LA", "I", "I;16", "F")
            image = image.convert("L" if grey else "RGB")
            if image_size:
                image = image.resize((image_size, image_size), Image.BILINEAR)
            pixels = np.asarray(image, np.uint8)
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError) as exc:
        raise unreadable(path, exc) from None
    return pixels[..., None] if pixels.ndim == 2 else pixels


def _stack(paths, image_size, root):
    pixels = [_decode(p, image_size) for p in paths]
    sizes = {}
    for p, x in zip(paths, pixels):
        sizes.setdefault(x.shape[:2], p)
    if len(sizes) > 1:
        (a, pa), (b, pb) = list(sizes.items())[:2]
        raise DataError(
            f"images under {root} differ in size ({pa.relative_to(root)}: {a[1]}x{a[0]}, {pb.relative_to(root)}: "
            f"{b[1]}x{b[0]}); pass --image-size N"
        )
    channels = max(x.shape[-1] for x in pixels)
    return np.stack([np.repeat(x, channels, axis=-1) if x.shape[-1] != channels else x for x in pixels])


def load_pairs_folder(folder, split="train", image_size=None, test_fraction=0.2, seed=0):
    """Real pairs: DIR/A/<stem>.* (inputs) and DIR/B/<stem>.* (targets), matched by file stem. A file
    without its partner is refused by name; pairs are split `test_fraction` to test with `seed`."""
    root = Path(folder).expanduser()
    if not (root / "A").is_dir() or not (root / "B").is_dir():
        raise DataError(f"a pairs folder needs A/ (inputs) and B/ (targets) subfolders; {root} has not both")
    root = root.resolve()
    sides = {side: {p.stem: p for p in image_files(root / side)} for side in ("A", "B")}
    for side, other in (("A", "B"), ("B", "A")):
        alone = sorted(set(sides[side]) - set(sides[other]))
        if alone:
            raise DataError(
                f"{sides[side][alone[0]].relative_to(root)} has no partner in {other}/ (pairs are matched by file "
                f"name without suffix)" + (f"; {len(alone) - 1} more unpaired" if len(alone) > 1 else "")
            )
    stems = sorted(sides["A"])
    if len(stems) < 2:
        raise DataError(f"{root} holds {len(stems)} pair: too few to split into train and test")
    digest = hashlib.sha256()
    for stem in stems:
        for side in ("A", "B"):
            path = sides[side][stem]
            digest.update(
                path.relative_to(root).as_posix().encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest()
            )
    order = np.random.default_rng(seed).permutation(len(stems))
    n_test = max(1, int(round(len(stems) * test_fraction)))
    keep = {"train": order[n_test:], "test": order[:n_test], "all": order}[split]
    chosen = [stems[i] for i in keep]
    facts = {
        "fingerprint": "sha256:" + digest.hexdigest(),
        "test_fraction": float(test_fraction),
        "image_size": image_size,
        "split": f"{n_test} of {len(stems)} pairs to test (seed {seed}, permutation of the sorted names)",
        "pairs": len(stems),
    }
    name = f"folder:{root}"
    labels = np.zeros(len(chosen), np.int32)
    # real pairs carry no classes (the labels are all 0 and name none)
    a = ImageSet(name, split, _stack([sides["A"][s] for s in chosen], image_size, root), labels, (), facts)
    b = ImageSet(name, split, _stack([sides["B"][s] for s in chosen], image_size, root), labels, (), facts)
    return Paired(b, "pairs", sources=a)


register_recipe_kind("paired", paired_from_recipe)
