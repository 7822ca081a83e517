"""python -m train.forecaster: multi-step forecasting of a bundled real time series (statsmodels). See --help."""

from train import harness
from train.sequence import add_cell_arguments, cell_config
from zoo.choices import SERIES


def add_arguments(p):
    add_cell_arguments(p, cell="lstm", units=32, depth=2)
    harness.architecture(
        p.add_argument("--window", type=harness.positive_int, default=24, help="history length the model learns from")
    )
    harness.architecture(
        p.add_argument("--horizon", type=harness.positive_int, default=10, help="values forecast at once")
    )
    quantiles = p.add_argument(
        "--quantiles",
        type=harness.quantile_levels,
        default=(),
        metavar="LEVELS",
        help="forecast these quantile levels too (pinball loss), e.g. 0.1,0.5,0.9; the median is the point "
        "forecast; default: a point forecast (squared error)",
    )
    harness.architecture(quantiles)


def load_data(args, split):
    from zoo.sequence.forecast import load_forecasting

    return load_forecasting(args.dataset, split, args.window, args.horizon)


def check(args):
    if args.cell == "bilstm":
        raise harness.UsageError(
            "--cell bilstm would read the history backwards too; it is allowed for classification, not needed here"
        )


def build(args, data):
    from zoo.sequence.forecast import Forecaster

    return Forecaster(window=args.window, horizon=args.horizon, quantiles=args.quantiles, **cell_config(args))


trainer = harness.Trainer(
    "forecaster",
    __doc__,
    build,
    add_arguments,
    epochs=60,
    batch_size=32,
    lr=1e-3,
    name="lstm-stacked-{data}",
    load_data=load_data,
    dataset=("sunspots", f"bundled series: {', '.join(sorted(SERIES))}"),
    check=check,
)
main = trainer.main


if __name__ == "__main__":
    main()
