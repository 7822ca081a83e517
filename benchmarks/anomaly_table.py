"""Anomaly detection with every shipped autoencoder: retrain it with one digit left out, and score
held-out normal digits against the digit it never saw (no hand-typed figures).

    python benchmarks/anomaly_table.py [--holdout-class 0] [--runs runs/anomaly]

For each shipped autoencoder entry, its card's own training command is rerun with
`--holdout-class K --no-export` (unless that run already finished in --runs); the run's card holds
the ROC AUC of the anomaly score (second half of the test split: normal digits vs digit K) and the
detection rates at the threshold calibrated on the first half. The result is added to the shipped
card as "anomaly_detection" and the README table between the markers is rewritten.
"""

import argparse
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from readme_block import rewrite  # noqa: E402

from zoo import registry  # noqa: E402

DROP = {"--out": 1, "--quiet": 0, "--holdout-class": 1, "--no-export": 0}


def holdout_command(card, holdout_class, out):
    """The entry's training command, retargeted: same flags and seed, digit `holdout_class` left out."""
    words = shlex.split(card["training"]["commands"][0])
    kept, i = [], 3  # "python -m train.<module>"
    while i < len(words):
        skip = DROP.get(words[i].split("=")[0])
        if skip is None:
            kept.append(words[i])
            i += 1
        else:
            i += 1 + (skip if "=" not in words[i] else 0)
    return [
        sys.executable,
        "-m",
        words[2],
        *kept,
        "--holdout-class",
        str(holdout_class),
        "--no-export",
        "--quiet",
        "--out",
        str(out),
    ]


def autoencoder_entries():
    return [n for n in registry.available() if registry.card(n)["architecture"].startswith(("ae-", "vae"))]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--holdout-class", type=int, default=0)
    p.add_argument("--runs", default=str(ROOT / "runs" / "anomaly"))
    args = p.parse_args(argv)
    rows = []
    for name in autoencoder_entries():
        card_path = registry.PRETRAINED_DIR / f"{name}.json"
        card = json.loads(card_path.read_text())
        out = Path(args.runs) / f"{name}-without-{args.holdout_class}"
        command = holdout_command(card, args.holdout_class, out)
        if not (out / "card.json").is_file():
            print("running:", shlex.join(command[1:]), flush=True)
            subprocess.run(command, cwd=ROOT, check=True)
        anomaly = json.loads((out / "card.json").read_text())["metrics"]["anomaly"]
        shown = " ".join(["python", *command[1:]]).replace(str(Path(args.runs)), "runs/anomaly")
        card["anomaly_detection"] = {"command": shown, **anomaly}
        card_path.write_text(json.dumps(card, indent=2) + "\n")
        rows.append(
            f"| {name} | {card['metrics']['test_mse']:.4f} | {anomaly['roc_auc']:.3f} | "
            f"{anomaly['true_positive_rate']:.3f} | {anomaly['false_positive_rate']:.3f} |"
        )
    table = (
        f"| model | held-out MSE (shipped) | ROC AUC, digit {args.holdout_class} unseen | detected at threshold | "
        f"false alarms |\n|---|---|---|---|---|\n" + "\n".join(rows)
    )
    print(table)
    rewrite("anomaly-table", table)


if __name__ == "__main__":
    main()
