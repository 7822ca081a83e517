"""The autoencoder family: nine types over one shared loop (see base.py); importing registers them."""

from zoo.autoencoders.base import Autoencoder
from zoo.autoencoders.contractive import ContractiveAutoencoder
from zoo.autoencoders.conv import ConvAutoencoder
from zoo.autoencoders.denoising import DenoisingAutoencoder
from zoo.autoencoders.dense import (
    LinearAutoencoder,
    OvercompleteAutoencoder,
    UndercompleteAutoencoder,
    VanillaAutoencoder,
)
from zoo.autoencoders.sparse import SparseAutoencoder
from zoo.autoencoders.vae import VariationalAutoencoder

# type name (as `python -m train.autoencoder --type` takes it) -> class
TYPES = {
    "vanilla": VanillaAutoencoder,
    "linear": LinearAutoencoder,
    "undercomplete": UndercompleteAutoencoder,
    "overcomplete": OvercompleteAutoencoder,
    "sparse": SparseAutoencoder,
    "denoising": DenoisingAutoencoder,
    "contractive": ContractiveAutoencoder,
    "conv": ConvAutoencoder,
    "variational": VariationalAutoencoder,
}
__all__ = [c.__name__ for c in TYPES.values()] + ["Autoencoder", "TYPES"]
