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
CELLS = ("lstm", "gru", "bilstm")  # zoo.sequence.CELLS
SERIES = ("co2", "sunspots")  # zoo.sequence.forecast.SERIES
