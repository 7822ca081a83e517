"""Feature networks: the space in which generated images are compared with the run's own test split.

Which one is used is part of every number's protocol:
  (a) `classifier-mnist`, penultimate layer: for the handwritten-digit datasets (mnist5k,
      mnist5k-32 center-cropped to 28x28, UCI digits, tfds:mnist); TF-GAN's MNIST protocol;
      `classifier-emoji` (32x32; 64x64 images are averaged over 2x2 blocks first, as the dataset's
      own --image-size 32 does) for Noto emoji, `classifier-emoji-both` (trained on both styles) where
      Twemoji are involved: classifier-emoji reads Twemoji test images at 0.625 (commonest class 0.593)
  (b) a classifier trained on the user's own labelled data (`--feature-network RUN_OR_ENTRY`, e.g.
      the folder of `python -m train.classifier --dataset folder:DIR`); its input shape must fit
  (c) Inception-V3 pool features at 299x299 (keras.applications, ImageNet weights): the standard
      FID protocol of papers, used when its weights are on this machine (the Keras cache,
      $ZOO_INCEPTION_WEIGHTS or `--feature-network inception:FILE`); never downloaded here
Class-probability metrics (Inception score, label entropy, class accuracy, label kept) need a
network whose classes are the data's classes; otherwise they are left out, with the reason.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from zoo.errors import DataError, UnknownNameError

INCEPTION_FILE = "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5"
INCEPTION_SIZE = 299


class FeatureNetwork:
    """A fixed network mapping images in [0, 1] to feature vectors (and maybe class probabilities)."""

    name = "?"
    description = ""
    class_names = ()  # the classes `probabilities` refers to; () when it has none

    def features(self, images):
        raise NotImplementedError

    def probabilities(self, images):
        raise NotImplementedError(f"{self.name} has no class probabilities")

    def judges_classes_of(self, class_names):
        """True when this network's classes are exactly the data's (so its labels mean the same)."""
        return bool(self.class_names) and tuple(self.class_names) == tuple(class_names)

    def protocol(self):
        return self.description


class ClassifierFeatures(FeatureNetwork):
    """A zoo classifier (a shipped entry or a run folder) used as a feature network."""

    def __init__(self, classifier, name, crop=None):
        self.classifier, self.name, self.crop = classifier, name, crop
        self.class_names = tuple(classifier.class_names) or tuple(str(i) for i in range(classifier.num_classes))
        data = (classifier.recipe or {}).get("dataset", "its training data")
        self.description = (
            f"{name} (trained on {data}), penultimate layer (Dense {classifier.feature_dim}, ReLU), images in [0, 1]"
            + (
                f"; the images averaged over {crop}x{crop} blocks"
                if isinstance(crop, int)
                else f"; {crop[0]}x{crop[1]} center crop of the {crop[2]}x{crop[3]} images"
                if crop
                else ""
            )
        )

    def _fit(self, images):
        if isinstance(self.crop, int):  # a whole-number multiple of the classifier's side: block averages
            n, h, w, c = images.shape
            k = self.crop
            return np.asarray(images, np.float32).reshape(n, h // k, k, w // k, k, c).mean(axis=(2, 4))
        if self.crop:
            h, w = self.classifier.image_shape[:2]
            top, left = (images.shape[1] - h) // 2, (images.shape[2] - w) // 2
            images = images[:, top : top + h, left : left + w]
        return images

    def features(self, images):
        return self.classifier.features(self._fit(images))

    def probabilities(self, images):
        return self.classifier.probabilities(self._fit(images))


class InceptionFeatures(FeatureNetwork):
    """Inception-V3 2048-d average-pool features of images resized to 299x299 (grey -> RGB)."""

    name = "inception-v3"
    class_names = ()

    def __init__(self, weights):
        import keras

        self.weights = str(weights)
        self.network = keras.applications.InceptionV3(
            include_top=False, pooling="avg", weights=None, input_shape=(299, 299, 3)
        )
        try:
            self.network.load_weights(self.weights)
        except Exception as exc:  # h5py / Keras raise several kinds for a wrong file
            raise DataError(f"Inception-V3 weights in {self.weights} could not be loaded: {exc}") from None
        self.description = (
            f"Inception-V3 (keras.applications, weights {Path(self.weights).name}) 2048-d pool features, images "
            f"resized "
            f"bilinearly to {INCEPTION_SIZE}x{INCEPTION_SIZE}, grey repeated to RGB, scaled to [-1, 1]: the "
            f"standard FID feature space"
        )

    def features(self, images, batch_size=50):
        import tensorflow as tf

        out = []
        for i in range(0, len(images), batch_size):
            x = tf.image.resize(np.asarray(images[i : i + batch_size], np.float32), (INCEPTION_SIZE, INCEPTION_SIZE))
            if x.shape[-1] == 1:
                x = tf.repeat(x, 3, axis=-1)
            out.append(np.asarray(self.network(x * 2.0 - 1.0, training=False)))
        return np.concatenate(out)


def inception_weights(explicit=None):
    """Path of local Inception-V3 (no top) weights, or None: an explicit file, $ZOO_INCEPTION_WEIGHTS,
    or the Keras cache (~/.keras/models/, where keras.applications stores its download)."""
    candidates = [
        explicit,
        os.environ.get("ZOO_INCEPTION_WEIGHTS"),
        Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "models" / INCEPTION_FILE,
    ]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    if explicit:
        raise DataError(f"no Inception-V3 weights file at {explicit}")
    return None


HOW_TO = (
    "train a classifier on the same data (python -m train.classifier --dataset {dataset}) and pass "
    "--feature-network runs/classifier, or put Inception-V3 weights ({file}) in ~/.keras/models/ or "
    "$ZOO_INCEPTION_WEIGHTS"
)

HOW_TO_UNLABELLED = (
    "this data has no classes to train a classifier on (real pairs, or one class): pass --feature-network "
    "with a classifier trained on labelled images like these (python -m train.classifier --dataset "
    "folder:DIR with one folder per class), or put Inception-V3 weights ({file}) in ~/.keras/models/ or "
    "$ZOO_INCEPTION_WEIGHTS, or pass --feature-network swd (no network: image patches' statistics)"
)


def _fits(classifier, shape):
    """None if `classifier` takes images of `shape`; the crop (h, w, H, W) if it takes their centre
    (only for the 32x32 padded digits); the block size k if it takes them averaged over k x k blocks
    (square images whose side is a whole multiple of its own); raises DataError otherwise."""
    want = tuple(classifier.image_shape)
    shape = tuple(shape)
    if want == shape:
        return None
    if want[-1] == shape[-1] and shape[:2] == (32, 32) and want[:2] == (28, 28):
        return (28, 28, 32, 32)
    if want[-1] == shape[-1] and want[0] == want[1] and shape[0] == shape[1] and shape[0] % want[0] == 0:
        return shape[0] // want[0]
    raise DataError(
        f"feature network takes {'x'.join(map(str, want))} images, but the data are {'x'.join(map(str, shape))}"
    )


def load_classifier(reference, image_shape):
    """The zoo classifier `reference` (entry name or run folder) as a FeatureNetwork for `image_shape`."""
    import zoo

    try:
        model = zoo.load(reference)
    except UnknownNameError:
        raise UnknownNameError(
            f"unknown --feature-network '{reference}': not a zoo entry, run folder or inception[:FILE]"
        ) from None
    if not model.feature_network:
        raise DataError(f"--feature-network {reference} is a {model.architecture}, not a classifier")
    try:
        crop = _fits(model, image_shape)
    except DataError as exc:
        raise DataError(f"--feature-network {reference}: {exc}") from None
    return ClassifierFeatures(model, (model.card or {}).get("name", str(reference)), crop)


def choose(recipe, requested=None, allow_inception=True):
    """The feature network for data described by `recipe`: `requested` if given ("inception",
    "inception:FILE", an entry or a run folder), else classifier-mnist for digit data, else local
    Inception-V3 weights. Raises DataError (saying how to provide one) when none fits."""
    from zoo.data import DIGIT_DATASETS
    from zoo.data.offline import EMOJI

    shape = tuple(recipe["image_shape"])
    if requested:
        if requested == "inception" or requested.startswith("inception:"):
            return InceptionFeatures(inception_weights(requested.partition(":")[2] or None) or _no_inception(recipe))
        return load_classifier(requested, shape)
    parts = [recipe["a"], recipe["b"]] if recipe.get("kind") == "unpaired" else [recipe]
    if all(part.get("dataset") in DIGIT_DATASETS for part in parts):
        return load_classifier("classifier-mnist", shape)
    if all(part.get("dataset") in EMOJI for part in parts):  # Noto alone: classifier-emoji; Twemoji: both styles'
        noto = all(part.get("dataset") == "emoji" for part in parts)
        return load_classifier("classifier-emoji" if noto else "classifier-emoji-both", shape)
    weights = inception_weights() if allow_inception else None
    if weights is not None:
        return InceptionFeatures(weights)
    how = HOW_TO if len(recipe.get("class_names") or ()) > 1 else HOW_TO_UNLABELLED
    raise DataError(
        f"no feature network fits {recipe.get('dataset')} ({'x'.join(map(str, shape))}): "
        + how.format(dataset=recipe.get("dataset"), file=INCEPTION_FILE)
    )


def _no_inception(recipe):
    raise DataError(
        f"Inception-V3 weights are not on this machine (and are never downloaded here): put {INCEPTION_FILE} in "
        f"~/.keras/models/ or point $ZOO_INCEPTION_WEIGHTS / --feature-network inception:FILE at it"
    )


def for_monitor(recipe, requested=None):
    """The feature network the collapse monitor may use while training, or None (then it watches
    data-free signals only). Never Inception: too slow to run every epoch on a CPU."""
    from zoo.evaluation import patches

    if requested == patches.NAME:  # no network: the monitor watches data-free signals only
        return None
    try:
        network = choose(recipe, requested, allow_inception=False)
    except DataError:
        if requested:
            raise
        return None
    return network
