"""Flags shared by the sequence trainers (forecaster, row_classifier, char_lm)."""

from train import harness
from zoo.choices import CELLS


def add_cell_arguments(p, cell, units, depth):
    harness.architecture(
        p.add_argument(
            "--cell", choices=CELLS, default=cell, help="recurrent cell: stacked LSTM, GRU or bidirectional LSTM"
        )
    )
    harness.architecture(
        p.add_argument(
            "--units", type=harness.positive_int, default=units, help="units per recurrent layer (per direction)"
        )
    )
    harness.architecture(
        p.add_argument("--depth", type=harness.positive_int, default=depth, help="stacked recurrent layers")
    )
    p.add_argument(
        "--clip-norm", type=harness.positive_float, default=1.0, help="clip the gradient's global norm to this"
    )
    p.add_argument(
        "--dropout", type=harness.dropout_rate, default=0.0, help="dropout on each recurrent layer's inputs (training)"
    )
    p.add_argument(
        "--recurrent-dropout",
        type=harness.dropout_rate,
        default=0.0,
        help="dropout on each recurrent layer's state, one mask per sequence (training)",
    )


def cell_config(args):
    return {
        "cell": args.cell,
        "units": args.units,
        "depth": args.depth,
        "clip_norm": args.clip_norm,
        "seed": args.seed,
        "dropout": args.dropout,
        "recurrent_dropout": args.recurrent_dropout,
    }
