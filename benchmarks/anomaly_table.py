"""Anomaly detection with every shipped autoencoder: retrain it with one class left out, and score
held-out normal images against the class it never saw (no hand-typed figures), beside PCA.

    python benchmarks/anomaly_table.py [--holdout-class K] [--runs runs/anomaly]

For each shipped autoencoder entry, its card's own training command is rerun with
`--holdout-class K --no-export` (unless that run already finished in --runs, or the shipped card
already holds the result of that very command); K is the entry's data's class in HOLDOUT (digit 0;
emoji: Flags) unless --holdout-class is given. The run's card holds the ROC AUC of the anomaly score
(second half of the test split: normal images vs class K) and the detection rates at the threshold
calibrated on the first half. The result is added to the shipped card as "anomaly_detection" and
the table between the markers is rewritten.

Beside each row, the strongest simple alternative: PCA with as many components as the model's code
(fitted on the same training images), its held-out reconstruction MSE (normal test images) and the
ROC AUC of its reconstruction error on the same second half of the test split.
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

import zoo  # noqa: E402
from zoo import registry  # noqa: E402

DROP = {"--out": 1, "--quiet": 0, "--holdout-class": 1, "--no-export": 0}
#: the class each dataset's entries leave out: digit 0; for emoji, Flags (category 8), one of the
#: three categories with 20 or more images in the scored half of the test split
HOLDOUT = {"mnist5k": 0, "emoji": 8}


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


def pca_baseline(name, holdout):
    """PCA with the model's code size on its training images: (held-out MSE of the normal test images,
    ROC AUC of the reconstruction error on the second half of the test split, class `holdout` unseen)."""
    import numpy as np
    from sklearn.decomposition import PCA
    from sklearn.metrics import roc_auc_score

    from zoo.data import scale_images

    model = zoo.load(name)
    flat = lambda data: scale_images(data.images).reshape(len(data), -1)  # noqa: E731
    train, test = model.data("train"), model.data("test")
    x, labels = flat(train), np.asarray(train.labels)
    y, test_labels = flat(test), np.asarray(test.labels)
    k = min(int(model.card["config"]["latent_dim"]), x.shape[1])  # an overcomplete code: every component
    error = lambda pca, images: np.mean((pca.inverse_transform(pca.transform(images)) - images) ** 2, 1)  # noqa: E731
    mse = float(np.mean(error(PCA(k, random_state=0).fit(x), y)))
    half = len(y) // 2
    without = PCA(k, random_state=0).fit(x[labels != holdout])
    auc = float(roc_auc_score(test_labels[half:] == holdout, error(without, y[half:])))
    return mse, auc, k


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--holdout-class", type=int, default=None, help="default: the entry's data's class in HOLDOUT")
    p.add_argument("--runs", default=str(ROOT / "runs" / "anomaly"))
    args = p.parse_args(argv)
    rows = []
    for name in autoencoder_entries():
        card_path = registry.PRETRAINED_DIR / f"{name}.json"
        card = json.loads(card_path.read_text())
        holdout = HOLDOUT[card["data"]["dataset"]] if args.holdout_class is None else args.holdout_class
        out = Path(args.runs) / f"{name}-without-{holdout}"
        command = holdout_command(card, holdout, out)
        shown = " ".join(["python", *command[1:]]).replace(str(Path(args.runs)), "runs/anomaly")
        if (out / "card.json").is_file():
            anomaly = json.loads((out / "card.json").read_text())["metrics"]["anomaly"]
        elif card.get("anomaly_detection", {}).get("command") == shown:  # measured before: the same command
            anomaly = {k: v for k, v in card["anomaly_detection"].items() if k not in ("command", "pca")}
        else:
            print("running:", shlex.join(command[1:]), flush=True)
            subprocess.run(command, cwd=ROOT, check=True)
            anomaly = json.loads((out / "card.json").read_text())["metrics"]["anomaly"]
        pca_mse, pca_auc, k = pca_baseline(name, holdout)
        pca = {"components": k, "test_mse": pca_mse, "roc_auc": pca_auc}
        card["anomaly_detection"] = {"command": shown, **anomaly, "pca": pca}
        card_path.write_text(json.dumps(card, indent=2) + "\n")
        unseen = anomaly["evaluated_on"].split(", ")[-1].removesuffix(" images")
        rows.append(
            f"| {name} | {card['metrics']['test_mse']:.4f} | {pca_mse:.4f} | {unseen} | {anomaly['roc_auc']:.3f} | "
            f"{pca_auc:.3f} | {anomaly['true_positive_rate']:.3f} | {anomaly['false_positive_rate']:.3f} |"
        )
    table = (
        "| model | held-out MSE (shipped) | PCA, same code size | unseen (scored half) | ROC AUC | PCA's AUC | "
        "detected at threshold | false alarms |\n|---|---|---|---|---|---|---|---|\n" + "\n".join(rows)
    )
    print(table)
    rewrite("anomaly-table", table)


if __name__ == "__main__":
    main()
