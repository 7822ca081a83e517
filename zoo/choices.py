"""The names the command lines offer, without importing TensorFlow (so --help and argument errors
answer at once). Each list equals the table it names; tests/test_cli.py checks that they agree."""

LOSSES = ("minimax", "non-saturating", "wgan-gp", "hinge", "least-squares")  # zoo.losses.ADVERSARIAL_LOSSES
AUTOENCODER_TYPES = (  # zoo.autoencoders.TYPES
    "vanilla",
    "linear",
    "undercomplete",
    "overcomplete",
    "sparse",
    "denoising",
    "contractive",
    "conv",
    "variational",
)
AUGMENTATIONS = ("translation", "cutout", "color")  # zoo.gan.augment.TRANSFORMS
CELLS = ("lstm", "gru", "bilstm")  # zoo.sequence.CELLS
SERIES = ("co2", "sunspots")  # zoo.sequence.forecast.SERIES
TABLES = ("seattle-weather", "stocks")  # zoo.sequence.forecast.TABLES (bundled CSV series)
FILLS = ("none", "ffill", "interpolate", "zero")  # zoo.sequence.table.FILLS

# Each autoencoder type's defaults of the flags train.autoencoder offers (zoo.autoencoders.TYPES'
# constructors; tests/test_cli.py builds each type and compares), shown by --help.
_COMMON = {"dropout": 0.0, "weight_decay": 0.0, "threshold_percentile": 99.0}
AUTOENCODER_DEFAULTS = {
    "vanilla": {"latent_dim": 32, "hidden": (256,), **_COMMON},
    "linear": {"latent_dim": 16, "hidden": (), **_COMMON},
    "undercomplete": {"latent_dim": 8, "hidden": (128,), **_COMMON},
    "overcomplete": {"latent_dim": 1024, "hidden": (), **_COMMON, "dropout": 0.2, "weight_decay": 0.001},
    "sparse": {"latent_dim": 256, "hidden": (), **_COMMON, "sparsity": "kl", "sparsity_target": 0.05}
    | {"sparsity_weight": 3.0},
    "denoising": {"latent_dim": 64, "hidden": (512, 256), **_COMMON, "corruption": "gaussian"}
    | {"corruption_level": 0.4},
    "contractive": {"latent_dim": 128, "hidden": (), **_COMMON, "contractive_weight": 0.1},
    "conv": {"latent_dim": 32, **_COMMON, "width": 32},
    "variational": {"latent_dim": 2, "hidden": (512, 256), **_COMMON, "beta": 1.0},
}
