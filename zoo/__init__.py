"""A TensorFlow/Keras model zoo of generative and sequence models, trained, carded and deployable.

import zoo
zoo.available()                 # pretrained entries shipped in the package
model = zoo.load("dcgan-mnist") # offline, sha256-checked weights; model.card is its card
images = model.sample(16, seed=0)   # float32 [16, 28, 28, 1] in [0, 1]
model.endpoints()               # deployable functions, as `python -m export` writes them
"""

from zoo.errors import (
    CheckpointError,
    DataError,
    InputError,
    TrainingDiverged,
    UnknownNameError,
    WeightsError,
    ZooError,
)
from zoo.registry import available, build, card, load, register_architectures

# Model classes and families load TensorFlow: they are imported on first use (PEP 562), so that
# `import zoo`, `zoo.available()`, `zoo.card()` and every command's --help stay fast.
_LAZY = {
    "DCGAN": "zoo.gan.dcgan",
    "WGANGP": "zoo.gan.wgan_gp",
    "ConditionalGAN": "zoo.gan.cgan",
    "CycleGAN": "zoo.gan.cyclegan",
    "StyleGANLite": "zoo.gan.stylegan",
    "SRGAN": "zoo.gan.srgan",
    "Pix2Pix": "zoo.gan.pix2pix",
    "TextToImageGAN": "zoo.gan.text2image",
    "Classifier": "zoo.classifier",
    "VariationalAutoencoder": "zoo.autoencoders",
    "Forecaster": "zoo.sequence",
    "SequenceClassifier": "zoo.sequence",
    "CharLanguageModel": "zoo.sequence",
}


def __getattr__(name):
    import importlib

    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    if name in ("autoencoders", "sequence"):
        return importlib.import_module(f"zoo.{name}")
    raise AttributeError(f"module 'zoo' has no attribute '{name}'")


__all__ = [
    "available",
    "load",
    "card",
    "build",
    "register_architectures",
    "DCGAN",
    "WGANGP",
    "ConditionalGAN",
    "CycleGAN",
    "StyleGANLite",
    "TextToImageGAN",
    "Classifier",
    "autoencoders",
    "VariationalAutoencoder",
    "sequence",
    "Forecaster",
    "SequenceClassifier",
    "CharLanguageModel",
    "ZooError",
    "UnknownNameError",
    "WeightsError",
    "DataError",
    "InputError",
    "CheckpointError",
    "TrainingDiverged",
]
__version__ = "0.1.0"
