"""The sequence entries' held-out figures beside their baselines, from the shipped cards (no
training, no re-measuring: the cards hold the numbers, `tests/test_pretrained.py` reproduces them).

    python benchmarks/sequence_tables.py --write-readme

rewrites the <!-- forecasters:... -->, <!-- series-classifiers:... --> and <!-- series-anomalies:... --> tables.

Forecasters: MAE and MASE of the network, the naive and seasonal-naive forecasts, and each classical
model (chosen on validation values, the protocol in the card), the best MAE in bold. Sequence
classifiers: test accuracy of the network beside 1-NN Euclidean, 1-NN DTW and ROCKET, the best in bold.
Series anomalies: per-point ROC AUC, best F1 and the UCR hit of the autoencoder beside a rolling
z-score, an isolation forest and the matrix-profile discord, and what its calibrated threshold flags.
"""

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.readme_block import rewrite  # noqa: E402

BASELINES = ("naive", "seasonal naive", "autoreg", "ets", "arima", "theta", "linear on every column")


def cards(architecture="forecaster"):
    for path in sorted((ROOT / "zoo" / "pretrained").glob("*.json")):
        card = json.loads(path.read_text())
        if card.get("architecture") == architecture:
            yield card


def cell(row, best):
    if row == "n/a":
        return "n/a"
    if row is None:
        return "—"
    mae = f"{row['mae']:.2f}"
    mae = f"**{mae}**" if row["mae"] == best else mae
    return f"{mae} ({row['mase']:.2f})" if "mase" in row else mae


def table():
    lines = [
        "| entry | data, horizon | network | " + " | ".join(BASELINES) + " |",
        "|---" * (3 + len(BASELINES)) + "|",
    ]
    for card in cards():
        m = card["metrics"]
        seasonal = next((v for k, v in m.items() if k.startswith("seasonal_naive")), None)
        linear = m.get("linear") if card["config"].get("features", 1) > 1 else "n/a"  # target only: AR is it
        rows = [m["model"], m["naive"], seasonal, *(m.get(k) for k in ("autoreg", "ets", "arima", "theta")), linear]
        best = min(r["mae"] for r in rows if isinstance(r, dict))
        horizon = card["config"]["horizon"]
        data = f"{card['data']['dataset']}, {horizon} steps"
        lines.append(f"| `{card['name']}` | {data} | " + " | ".join(cell(r, best) for r in rows) + " |")
    lines.append("")
    lines.append(
        "*MAE (MASE) from every held-out origin, from each entry's card (`python benchmarks/sequence_tables.py "
        "--write-readme`); — : not in that card (measured before the baseline was added; `python -m zoo.evaluate "
        "NAME` measures it now). Linear on every column: one least-squares regression per step on the last p values "
        "of the target and its covariates (the strongest simple model reading what the network reads); n/a for a "
        "target-only entry, where AR is that model.*"
    )
    return "\n".join(lines)


CLASSIFIER_BASELINES = ("nn_euclidean", "nn_dtw", "rocket")


def classifier_table():
    lines = [
        "| entry | data (train / test sequences, T x F) | network | 1-NN Euclidean | 1-NN DTW | ROCKET | chance |",
        "|---|---|---|---|---|---|---|",
    ]
    for card in cards("series-classifier"):
        m, d = card["metrics"], card["data"]
        scores = [m["test_accuracy"], *(m[k].get("test_accuracy") for k in CLASSIFIER_BASELINES)]
        best = max(v for v in scores if v is not None)
        cells = ["n/a" if v is None else f"**{v:.1%}**" if v == best else f"{v:.1%}" for v in scores]
        steps = f"{d['min_length']}-{d['max_length']}" if d.get("variable_length") else d["steps"]
        data = f"{d['dataset']} ({d['examples_train']} / {d['examples_test']}, {steps} x {d['features']})"
        lines.append(f"| `{card['name']}` | {data} | " + " | ".join(cells) + f" | {m['chance']:.1%} |")
    lines.append("")
    lines.append(
        "*Test accuracy on each set's published split, from each entry's card (`python "
        "benchmarks/sequence_tables.py --write-readme`); the baselines fitted on the same training split "
        "(`zoo/sequence/baselines.py`). T shown as a range: sequences of different lengths, padded and masked; "
        "there ROCKET reads them zero-padded and 1-NN Euclidean (n/a) needs one length; the card's "
        "`baselines_protocol` says whether the baselines read z-normalised or raw values.*"
    )
    return "\n".join(lines)


DETECTORS = {
    "model": "the autoencoder",
    "rolling_zscore": "rolling z-score",
    "isolation_forest": "isolation forest",
    "matrix_profile_discord": "matrix-profile discord",
}


def anomaly_table():
    lines = ["| entry | detector | ROC AUC | best F1 | UCR hit |", "|---|---|---|---|---|"]
    notes = []
    for card in cards("series-autoencoder"):
        m = card["metrics"]
        best = max(m[k]["auc_roc"] for k in DETECTORS)
        for key, label in DETECTORS.items():
            auc = f"**{m[key]['auc_roc']:.5f}**" if m[key]["auc_roc"] == best else f"{m[key]['auc_roc']:.5f}"
            hit = "yes" if m[key]["ucr_hit"] else "no"
            lines.append(f"| `{card['name']}` | {label} | {auc} | {m[key]['best_f1']:.3f} | {hit} |")
        normal = m["test_points"] - m["anomalous_points"]
        false = m["points_flagged"] - m["anomalous_points_flagged"]
        notes.append(
            f"`{card['name']}`'s threshold flags {m['anomalous_points_flagged']} of the {m['anomalous_points']} "
            f"anomalous points and {false} of the {normal:,} normal ones ({false / normal:.1%})"
        )
    lines.append("")
    lines.append(
        "*Per point on the labelled test series, from each entry's card (`python benchmarks/sequence_tables.py "
        "--write-readme`); the classical detectors fitted on the same normal training part "
        "(`zoo/sequence/anomaly.py`). " + "; ".join(notes) + ".*"
    )
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    p.add_argument("--write-readme", action="store_true", help="rewrite the table in the docs")
    args = p.parse_args()
    tables = (
        ("forecasters", table()),
        ("series-classifiers", classifier_table()),
        ("series-anomalies", anomaly_table()),
    )
    for name, block in tables:
        print(block, end="\n\n")
        if args.write_readme and not rewrite(name, block):
            sys.exit(f"no page holds <!-- {name}:start --> ... <!-- {name}:end -->")


if __name__ == "__main__":
    main()
