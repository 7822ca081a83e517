"""The captioner's controls: what its encoder and its training data are worth against the classifier.

    python benchmarks/captioner.py [--run RUN ...] [--write-docs]

Each candidate is a finished `python -m train.captioner` run folder, given with --run and kept in
benchmarks/results/captioner.json: its encoder, training pairs and shift, epochs and steps, held-out
exact match (the card's, 2,000 pairs of held-out digits, greedy), its last epoch's training token
accuracy and its training time. Rows recorded before this script existed carry `recorded`: where
their figures come from. The table goes between the `captioner` markers of docs/sequence-models.md,
beside `classifier-mnist` reading each half (the shipped captioner's card).
"""

import argparse
import csv
import json
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from readme_block import kept_runs, rewrite  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "results" / "captioner.json"
NAME = "captioner-mnist-pairs"


def encoder(card):
    config, command = card["config"], card["training"]["commands"][-1]
    if config.get("encoder", "strided") == "strided":
        return "five convolutions of its own (two strided), from scratch"
    if "--freeze-encoder" in command:
        return "classifier-mnist's trunk, copied and kept fixed"
    if "--encoder-from" in command:
        return "classifier-mnist's trunk, started from classifier-mnist"
    return "classifier-mnist's trunk, from scratch"


def candidate(run):
    card = json.loads((Path(run) / "card.json").read_text())
    with open(Path(run) / "log.csv") as f:
        last = list(csv.DictReader(f))[-1]
    pairs, epochs = int(card["data"].get("pairs", 12000)), int(card["training"]["epochs"])
    return {
        "command": card["training"]["commands"][-1],
        "encoder": encoder(card),
        "pairs": pairs,
        "shift": int(card["data"].get("shift", 0)),
        "epochs": epochs,
        "steps": epochs * math.ceil(pairs / card["training"].get("batch_size", 64)),
        "test_exact_match": card["metrics"]["test_exact_match"],
        "train_token_accuracy": float(last["token_accuracy"]),
        "seconds": card["training"].get("seconds_last_session"),
    }


def table(found, baseline, shipped_command):
    pct = lambda v: "—" if v is None else f"{100 * v:.1f}%"  # noqa: E731
    lines = [
        "| encoder | training pairs | shift (px) | epochs | steps | held-out exact match | "
        "training token accuracy (last epoch) | minutes |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for c in found.values():  # in the order measured
        minutes = "—" if c.get("seconds") is None else f"{c['seconds'] / 60:.0f}"
        entry = " (**the entry**)" if c["command"] == shipped_command else ""
        shipped = (
            entry + (" (the previous entry)" if c.get("previous_entry") else "") + (" †" if c.get("recorded") else "")
        )
        lines.append(
            f"| {c['encoder']}{shipped} | {c['pairs']:,} | {c['shift']} | {c['epochs']} | {c['steps']:,} | "
            f"{pct(c['test_exact_match'])} | {pct(c['train_token_accuracy'])} | {minutes} |"
        )
    recorded = sorted({c["recorded"] for c in found.values() if c.get("recorded")})
    lines += [
        "",
        "*Seed 0, batch 64 (each row's command is in benchmarks/results/captioner.json); the 2,000 held-out pairs "
        "are the same for every row; minutes on a 2-core machine, often beside other runs. `classifier-mnist` "
        f"reading each half: {pct(baseline['exact_match'])} "
        f"({pct(baseline['digits_right'])} of single digits). `python benchmarks/captioner.py --run RUN --write-docs`"
        + (f"; {'; '.join(recorded)}" if recorded else "")
        + ".*",
    ]
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--run", action="append", default=[], help="a python -m train.captioner run folder")
    p.add_argument("--write-docs", action="store_true")
    args = p.parse_args(argv)
    found = kept_runs(RESULTS, args.run, candidate)
    card = json.loads((ROOT / "zoo" / "pretrained" / f"{NAME}.json").read_text())
    block = table(found, card["metrics"]["classifier_baseline"], card["training"]["commands"][-1])
    print(block)
    if args.write_docs and not rewrite("captioner", block):
        print("docs have no captioner markers", file=sys.stderr)


if __name__ == "__main__":
    main()
