"""python -m train.forecaster: multi-step forecasting of a bundled real time series or your own CSV. See --help.

Your own series: `--dataset csv:FILE --time COLUMN --target COLUMN [--covariates A,B]
[--future-covariates C] [--id COLUMN] [--freq D] [--fill ffill]` (long format: one row per step, and
per series with --id). Gaps and empty cells are refused, naming the line, unless --fill says how to
fill them (zoo.sequence.table).
"""

import argparse

from train import harness
from train.sequence import add_cell_arguments, cell_config
from zoo.choices import FILLS, SERIES, TABLES

TABLE_FLAGS = ("time", "target", "covariates", "future_covariates", "id", "freq", "fill")


def column_list(text):
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise argparse.ArgumentTypeError(f"expected comma-separated column names, got '{text}'")
    return names


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
    table = p.add_argument_group("your own series (--dataset csv:FILE, or a bundled table: seattle-weather)")
    table.add_argument("--time", metavar="COLUMN", help="the timestamp column")
    table.add_argument("--target", metavar="COLUMN", help="the column to forecast")
    table.add_argument(
        "--covariates",
        type=column_list,
        metavar="A,B",
        help="columns known in the past that the model reads beside the target (default: none)",
    )
    table.add_argument(
        "--future-covariates",
        type=column_list,
        metavar="C,D",
        help="columns known in advance over the horizon too (calendar, promotions, prices set ahead): the model "
        "reads their next --horizon values; forecasting then needs them (default: none)",
    )
    table.add_argument(
        "--id", metavar="COLUMN", help="the column naming each series (long format); default: one series"
    )
    table.add_argument(
        "--freq", metavar="FREQ", help="the series' step, a pandas frequency (D, h, W, MS...); default: inferred"
    )
    table.add_argument(
        "--fill",
        choices=FILLS,
        default=None,
        help="how empty cells and gaps are filled: ffill (last value carried), interpolate (linear in time), "
        "zero; default: none (refused, naming the first bad line)",
    )


def load_data(args, split):
    from zoo.sequence.forecast import load_forecasting

    return load_forecasting(args.dataset, split, args.window, args.horizon, columns=table_columns(args))


def table_columns(args):
    return {flag: vars(args).get(flag) for flag in TABLE_FLAGS}


def is_table(name):
    return name in TABLES or str(name).startswith("csv:")


def check(args):
    given = [f"--{flag}" for flag in TABLE_FLAGS if vars(args).get(flag) is not None]
    if given and not is_table(args.dataset):
        raise harness.UsageError(f"{', '.join(given)} read a table: give --dataset csv:FILE (or seattle-weather)")
    if str(args.dataset).startswith("csv:"):
        from zoo.sequence.table import check_columns

        if not args.time or not args.target:
            raise harness.UsageError("--dataset csv:FILE needs --time COLUMN and --target COLUMN")
        path, future = args.dataset[len("csv:") :], args.future_covariates or ()
        check_columns(path, args.time, args.target, args.covariates or (), args.id, future)
    elif args.dataset not in SERIES and args.dataset not in TABLES:
        from zoo.errors import UnknownNameError, did_you_mean

        known = sorted([*SERIES, *TABLES])
        raise UnknownNameError(
            f"unknown series '{args.dataset}'{did_you_mean(args.dataset, known)}; bundled series: "
            f"{', '.join(known)}, or csv:FILE for your own"
        )
    if args.future_covariates and args.window < args.horizon:
        raise harness.UsageError(
            f"--future-covariates need --window ({args.window}) at least --horizon ({args.horizon})"
        )
    if args.cell == "bilstm":
        raise harness.UsageError(
            "--cell bilstm would read the history backwards too; it is allowed for classification, not needed here"
        )


def build(args, data):
    from zoo.sequence.forecast import Forecaster

    return Forecaster(
        window=args.window,
        horizon=args.horizon,
        quantiles=args.quantiles,
        features=data.info["features"],
        future_features=data.info["future_features"],
        **cell_config(args),
    )


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
    dataset=("sunspots", f"bundled series: {', '.join(sorted([*SERIES, *TABLES]))}; csv:FILE for your own"),
    check=check,
)
main = trainer.main


if __name__ == "__main__":
    main()
