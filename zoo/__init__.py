"""A TensorFlow/Keras model zoo of generative and sequence models, trained, carded and deployable.

    import zoo
    zoo.available()                 # pretrained entries shipped in the package
    model = zoo.load("dcgan-mnist") # offline, sha256-checked weights; model.card is its card
    images = model.sample(16, seed=0)   # float32 [16, 28, 28, 1] in [0, 1]
    model.endpoints()               # deployable functions, as `python -m export` writes them
"""
import os as _os

_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from zoo.errors import (  # noqa: E402
    CheckpointError,
    DataError,
    InputError,
    TrainingDiverged,
    UnknownNameError,
    WeightsError,
    ZooError,
)
from zoo.registry import available, build, card, load  # noqa: E402
from zoo.gan.dcgan import DCGAN  # noqa: E402  (registers the architecture)

__all__ = [
    "available", "load", "card", "build", "DCGAN",
    "ZooError", "UnknownNameError", "WeightsError", "DataError", "InputError", "CheckpointError", "TrainingDiverged",
]
__version__ = "0.1.0"
