"""Does starting from a zoo entry pay? Fine-tune dcgan-mnist and ae-conv-mnist on the UCI digits
(scikit-learn, 8x8 upscaled to 28x28: another dataset, offline) for a short budget, against the
same trainer from scratch for the same budget.

    python benchmarks/transfer.py [--epochs 5 20] [--runs runs/transfer]

Both arms run the real trainers (`python -m train.dcgan` / `train.ae_conv`, --seed 0), the
fine-tuned arm with `--from-pretrained`. Scores on the UCI digits' held-out split: FID of 1,000
samples against it in classifier-mnist features (the evaluation protocol's features, UCI test
digits as the reference), and reconstruction MSE. The README table between the markers is rewritten.
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
from zoo.data import load_images, scale_images  # noqa: E402
from zoo.evaluation.evaluate import FEATURE_NETWORK, image_metrics  # noqa: E402

EXPERIMENTS = {
    "dcgan": ("dcgan-mnist", "FID vs UCI test digits (lower is better)"),
    "ae_conv": ("ae-conv-mnist", "held-out reconstruction MSE (lower is better)"),
}


# Batch 64 for both (the budget in steps is stated per epoch at that batch); the DCGAN takes the
# shipped dcgan-mnist's architecture (width 64, no generator batch norm) in both arms, so the scratch
# arm is the same network (--from-pretrained would take it from the entry by itself); everything else
# is the trainers' defaults.
PINNED = {
    "dcgan": ["--batch-size", "64", "--width", "64", "--no-batch-norm"],
    "ae_conv": [],
}


def run(module, out, epochs, source=None):
    command = [
        sys.executable,
        "-m",
        f"train.{module}",
        *PINNED[module],
        "--dataset",
        "digits",
        "--epochs",
        str(epochs),
        "--seed",
        "0",
        "--no-export",
        "--quiet",
        "--out",
        str(out),
    ] + (["--from-pretrained", source] if source else [])
    if not (out / "card.json").is_file():
        subprocess.run(command, cwd=ROOT, check=True)
    return " ".join(["python", *command[1:]])


def score(module, out, classifier, reference):
    model = zoo.load(str(out))
    if module == "dcgan":
        return image_metrics(model.sample(1000, seed=0), reference, classifier)["fid"]
    return json.loads((out / "card.json").read_text())["metrics"]["test_mse"]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, nargs="+", default=[5, 20], help="budgets to compare (one pair of runs each)")
    p.add_argument("--runs", default=str(ROOT / "runs" / "transfer"))
    args = p.parse_args(argv)
    classifier = zoo.load(FEATURE_NETWORK)
    reference = scale_images(load_images("digits", "test").images)
    steps_per_epoch = len(load_images("digits", "train")) // 64
    rows, record = [], {}
    for module, (source, metric) in EXPERIMENTS.items():
        for epochs in args.epochs:
            results = {}
            for arm, start in (("from scratch", None), (f"from {source}", source)):
                out = Path(args.runs) / f"{module}-{'scratch' if start is None else 'pretrained'}-{epochs}ep"
                command = run(module, out, epochs, start)
                results[arm] = {
                    "value": score(module, out, classifier, reference),
                    "command": command.replace(str(Path(args.runs)), "runs/transfer"),
                }
            record[f"{module}-{epochs}ep"] = results
            scratch, tuned = (r["value"] for r in results.values())
            rows.append(
                f"| {module.replace('_', '-')} on UCI digits | {epochs} ({epochs * steps_per_epoch}) | {metric} "
                f"| {scratch:.4g} | {tuned:.4g} |"
            )
    table = (
        "| model | budget: epochs (steps) | metric | from scratch | fine-tuned from the zoo entry "
        "|\n|---|---|---|---|---|\n"
        + "\n".join(rows)
        + f"\n\nBatch 64, seed 0, `python benchmarks/transfer.py --epochs {' '.join(map(str, args.epochs))}` "
        f"(the trainers' commands are in benchmarks/results/transfer.json)."
    )
    print(table)
    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    (out / "transfer.json").write_text(json.dumps(record, indent=2) + "\n")
    rewrite("transfer-table", table)


if __name__ == "__main__":
    main()
