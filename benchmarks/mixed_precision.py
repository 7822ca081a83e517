"""Throughput and quality of --mixed-precision against float32, with the real trainers.

    python benchmarks/mixed_precision.py [--epochs 5] [--runs runs/mixed]

dcgan (FID on the evaluation protocol) and ae_conv (held-out reconstruction MSE), each trained for
the same epochs with the same seed in float32 and with --mixed-precision (bfloat16 on a CPU,
float16 with loss scaling on a GPU). Both arms run with the trainer's default XLA setting.
Throughput = training examples per second of the fit (no export). The README table between the
markers is rewritten.
"""

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from readme_block import rewrite  # noqa: E402

import zoo  # noqa: E402
from zoo.evaluation.evaluate import FEATURE_NETWORK, evaluate_samples  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--runs", default=str(ROOT / "runs" / "mixed"))
    args = p.parse_args(argv)
    classifier = zoo.load(FEATURE_NETWORK)
    rows = []
    for module, metric in (("dcgan", "FID"), ("ae_conv", "held-out MSE")):
        results = {}
        for arm, flags in (("float32", []), ("mixed", ["--mixed-precision"])):
            out = Path(args.runs) / f"{module}-{arm}"
            if not (out / "card.json").is_file():
                subprocess.run(
                    [
                        sys.executable,
                        "-m",
                        f"train.{module}",
                        "--epochs",
                        str(args.epochs),
                        "--seed",
                        "0",
                        "--no-export",
                        "--quiet",
                        "--out",
                        str(out),
                        *flags,
                    ],
                    cwd=ROOT,
                    check=True,
                )
            card = json.loads((out / "card.json").read_text())
            examples = card["data"]["examples"] * args.epochs
            value = (
                evaluate_samples(zoo.load(str(out)), 1000, classifier)["fid"]
                if module == "dcgan"
                else card["metrics"]["test_mse"]
            )
            results[arm] = (card["training"]["precision"], examples / card["training"]["seconds_last_session"], value)
        (_, t32, v32), (pm, tm, vm) = results["float32"], results["mixed"]
        rows.append(
            f"| {module.replace('_', '-')} | {t32:.0f} | {tm:.0f} ({pm}) | {tm / t32:.2f}× | {metric} {v32:.4g} "
            f"| {vm:.4g} |"
        )
    table = (
        "| trainer | float32 examples/s | mixed examples/s | speed-up | float32 quality | mixed quality "
        "|\n|---|---|---|---|---|---|\n"
        + "\n".join(rows)
        + f"\n\n{args.epochs} epochs each, seed 0, `python benchmarks/mixed_precision.py --epochs {args.epochs}`."
    )
    print(table)
    rewrite("mixed-precision-table", table)


if __name__ == "__main__":
    main()
