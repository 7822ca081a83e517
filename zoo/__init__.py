"""A TensorFlow/Keras model zoo of generative and sequence models, trained, carded and deployable.

import zoo
zoo.available()                 # pretrained entries shipped in the package
model = zoo.load("dcgan-mnist") # offline, sha256-checked weights; model.card is its card
images = model.sample(16, seed=0)   # float32 [16, 28, 28, 1] in [0, 1]
model.endpoints()               # deployable functions, as `python -m export` writes them
"""

import os as _os
import sys as _sys

_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # hide C++ INFO/WARNING/cuInit noise on CPU hosts


def _import_tensorflow_quietly():
    """TensorFlow's C++ runtime prints absl/CUDA-probe lines to fd 2 while it loads, before any
    log level applies; on a CPU host they are noise in front of every CLI message. Load it with
    fd 2 pointed at /dev/null (a failed import still raises, with its message, after restoring)."""
    if "tensorflow" in _sys.modules:
        return
    saved, null = _os.dup(2), _os.open(_os.devnull, _os.O_WRONLY)
    try:
        _os.dup2(null, 2)
        import tensorflow  # noqa: F401
    finally:
        _os.dup2(saved, 2)
        _os.close(saved)
        _os.close(null)


_import_tensorflow_quietly()

from zoo import (
    autoencoders,  # noqa: E402  (registers the nine autoencoder types)
    sequence,  # noqa: E402  (registers the sequence models)
)
from zoo.autoencoders import VariationalAutoencoder  # noqa: E402
from zoo.classifier import Classifier  # noqa: E402
from zoo.errors import (  # noqa: E402
    CheckpointError,
    DataError,
    InputError,
    TrainingDiverged,
    UnknownNameError,
    WeightsError,
    ZooError,
)
from zoo.gan.cgan import ConditionalGAN  # noqa: E402
from zoo.gan.cyclegan import CycleGAN  # noqa: E402
from zoo.gan.dcgan import DCGAN  # noqa: E402  (importing registers the architecture)
from zoo.gan.stylegan import StyleGANLite  # noqa: E402
from zoo.gan.wgan_gp import WGANGP  # noqa: E402
from zoo.registry import available, build, card, load  # noqa: E402
from zoo.sequence import CharLanguageModel, Forecaster, SequenceClassifier  # noqa: E402

__all__ = [
    "available",
    "load",
    "card",
    "build",
    "DCGAN",
    "WGANGP",
    "ConditionalGAN",
    "CycleGAN",
    "StyleGANLite",
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
