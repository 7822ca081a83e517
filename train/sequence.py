"""Flags shared by the sequence trainers (forecaster, row_classifier, char_lm)."""

from train import harness
from zoo.choices import CELLS


def add_cell_arguments(p, cell, units, depth):
    p.add_argument(
        "--cell", choices=CELLS, default=cell, help="recurrent cell: stacked LSTM, GRU or bidirectional LSTM"
    )
    p.add_argument(
        "--units", type=harness.positive_int, default=units, help="units per recurrent layer (per direction)"
    )
    p.add_argument("--depth", type=harness.positive_int, default=depth, help="stacked recurrent layers")
    p.add_argument(
        "--clip-norm", type=harness.positive_float, default=1.0, help="clip the gradient's global norm to this"
    )


def cell_config(args):
    return {"cell": args.cell, "units": args.units, "depth": args.depth, "clip_norm": args.clip_norm, "seed": args.seed}
