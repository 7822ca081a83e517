"""Datasets: small real sets that ship inside installed packages (offline), image folders, and TFDS.

    from zoo.data import load_images, from_recipe, training_batches
    train = load_images("mnist5k", "train")          # offline: see zoo.data.offline
    mine = load_images("folder:~/shapes", "test")    # your own images: see zoo.data.imagefolder
    cifar = load_images("tfds:cifar10", "train")     # TFDS's prepared files: see zoo.data.tfds_source

The package is layered so its imports run one way: `base` holds the shared types and batching;
`offline` the bundled sets; `sources` resolves `--dataset` names through a registry of schemes; each
source module (`imagefolder`, `tfds_source`, `pairing`) registers itself there. This file imports
them all (none loads TensorFlow) and re-exports the public names.
"""

from zoo.data import imagefolder, pairing, tfds_source  # noqa: F401  (each registers its scheme)
from zoo.data.base import (
    DIGIT_CLASSES,
    DIGIT_DATASETS,
    PREFETCH,
    SCALING,
    SPLITS,
    ArraySet,
    ImageData,
    ImageSet,
    RaggedSet,
    Rows,
    RowSet,
    TokenChunks,
    Unpaired,
    epoch_order,
    prefetched,
    scale_images,
    stratified_split,
    training_batches,
)
from zoo.data.offline import OFFLINE, OFFLINE_SPLITS, PHOTOS_TEST, PHOTOS_TRAIN, available
from zoo.data.sources import SCHEMES, check_dataset, from_recipe, load_images, load_unpaired, register_scheme

__all__ = [
    "DIGIT_CLASSES",
    "DIGIT_DATASETS",
    "OFFLINE",
    "OFFLINE_SPLITS",
    "PHOTOS_TEST",
    "PHOTOS_TRAIN",
    "PREFETCH",
    "SCALING",
    "SCHEMES",
    "SPLITS",
    "ArraySet",
    "RaggedSet",
    "Rows",
    "RowSet",
    "TokenChunks",
    "ImageData",
    "ImageSet",
    "Unpaired",
    "available",
    "epoch_order",
    "from_recipe",
    "load_images",
    "check_dataset",
    "load_unpaired",
    "prefetched",
    "register_scheme",
    "scale_images",
    "stratified_split",
    "training_batches",
]
