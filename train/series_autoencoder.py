"""python -m train.series_autoencoder: anomalies in a series, by a recurrent autoencoder of windows. See --help.

    --dataset aeon:KDD-TSAD_135     the UCR anomaly archive series inside aeon's wheel (normal training
                                    file, labelled test file)
    --dataset csv:FILE              your series: --target value column(s), --label the 0/1 column; the
                                    first 20% of the rows (labelled normal) train, all rows are scored

The card puts the network's ROC AUC, best F1 and UCR hit beside a rolling z-score, an isolation
forest and the matrix-profile discord on the same windows (zoo.sequence.anomaly).
"""

from train import harness
from train.sequence import add_cell_arguments, cell_config


def add_arguments(p):
    add_cell_arguments(p, cell="lstm", units=32, depth=1)
    harness.architecture(
        p.add_argument("--window", type=harness.positive_int, default=64, help="points per window (default: 64)")
    )
    p.add_argument(
        "--target", default="value", metavar="COLUMNS", help="value column(s) of a csv: file, comma-separated"
    )
    p.add_argument("--label", default="is_anomaly", metavar="COLUMN", help="the 0/1 anomaly column of a csv: file")


def load_data(args, split):
    from zoo.sequence.anomaly import load_windows

    return load_windows(args.dataset, split, args.window, args.target, args.label)


def check(args):
    from zoo.sequence.anomaly import check_name

    if args.window < 2:
        raise harness.UsageError("--window must be at least 2")
    if (args.target, args.label) != ("value", "is_anomaly") and not str(args.dataset).startswith("csv:"):
        raise harness.UsageError("--target and --label name columns of a csv: file")
    check_name(args.dataset, args.target, args.label)


def build(args, data):
    from zoo.sequence import SeriesAutoencoder

    return SeriesAutoencoder(window=args.window, features=data.info["features"], **cell_config(args))


trainer = harness.Trainer(
    "series_autoencoder",
    __doc__,
    build,
    add_arguments,
    epochs=30,
    batch_size=32,
    lr=1e-3,
    name="{cell}-ae-{data}",
    load_data=load_data,
    dataset=("aeon:KDD-TSAD_135", "aeon:KDD-TSAD_135 (inside aeon) or csv:FILE (a value and a 0/1 label column)"),
    check=check,
)
main = trainer.main


if __name__ == "__main__":
    main()
