"""How long the forecaster's held-out backtest takes as a series grows.

    python benchmarks/backtest_time.py --lengths 2000 10000 50000 [--write-docs]

Per length: an hourly series (a daily cycle, a random walk and noise, seed 0) written as a CSV, a
forecaster trained briefly on it (`python -m train.forecaster --dataset csv:FILE --time time
--target y --epochs 1 --steps-per-epoch 20`: the network's quality is not the point here), then the
time of `held_out_metrics` (what the card and `zoo.evaluate` run): the network from every held-out
origin, and every classical model chosen on the training part's last 20% and applied to each
origin. The table goes between the `backtest-time` markers of docs/own-data.md.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))

from machine import cpu_flags  # noqa: E402


def series_csv(path, n, seed=0):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    t = np.arange(n)
    y = 10 + 3 * np.sin(2 * np.pi * t / 24) + np.cumsum(rng.normal(0, 0.1, n)) + rng.normal(0, 0.5, n)
    stamps = pd.date_range("2000-01-01", periods=n, freq="h").strftime("%Y-%m-%d %H:%M")
    pd.DataFrame({"time": stamps, "y": y}).to_csv(path, index=False)
    return path


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lengths", type=int, nargs="+", default=[2000, 10000, 50000], help="values per series")
    p.add_argument("--write-docs", action="store_true", help="rewrite the table in docs/own-data.md")
    args = p.parse_args(argv)
    import zoo

    load = os.getloadavg()[0]
    root = Path(tempfile.mkdtemp(prefix="backtest-time-"))
    lines = [
        "| values in the series | held-out origins | backtest: seconds | of which the classical models |",
        "|---|---|---|---|",
    ]
    for n in args.lengths:
        path, out = series_csv(root / f"series-{n}.csv", n), root / f"run-{n}"
        command = [sys.executable, "-m", "train.forecaster", "--dataset", f"csv:{path}", "--time", "time"]
        command += ["--target", "y", "--epochs", "1", "--steps-per-epoch", "20", "--quiet", "--no-export"]
        subprocess.run([*command, "--out", str(out)], check=True, capture_output=True, cwd=ROOT)
        model = zoo.load(str(out))
        test = model.data("test")
        start = time.perf_counter()
        metrics = model.held_out_metrics(test)
        total = time.perf_counter() - start
        start = time.perf_counter()
        model.forecast_from(test.info["series"][0], range(test.info["train_ends"][0], n - model.horizon + 1))
        network = time.perf_counter() - start
        origins = metrics["protocol"].split("(")[1].split(" origins")[0]
        lines.append(f"| {n:,} | {origins} | {total:.1f} | {total - network:.1f} |")
        print(lines[-1], flush=True)
    block = "\n".join(
        [
            *lines,
            "",
            f"`python benchmarks/backtest_time.py --lengths {' '.join(map(str, args.lengths))} --write-docs`: one "
            "hourly series (period 24), window 24, horizon 10, the default network; the classical models' share is "
            "the total less the network's forecasts from the same origins. "
            f"{cpu_flags()}; load average {load:.1f} at the start.",
        ]
    )
    if args.write_docs:
        from readme_block import rewrite

        if not rewrite("backtest-time", block):
            print("docs have no backtest-time markers", file=sys.stderr)
    print(block)


if __name__ == "__main__":
    main()
