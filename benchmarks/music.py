"""The melody model against n-grams, the cell chosen by measurement, and a melody you can hear.

    python benchmarks/music.py [--run RUN ...] [--write-docs]

Tables (between the `music` markers of docs/sequence-models.md): (1) the candidates, each a
`python -m train.music` run folder given with --run (kept in benchmarks/results/music.json when not
given again): their best validation loss (the last 10% of the training tunes) and held-out NLL; (2)
the shipped `gru-bach-chorales` card: held-out NLL per token beside the n-grams of orders 1-4, and
the musical statistics of 100 generated pieces beside the best n-gram's and the training chorales.
With --write-docs, docs/music/ gets a 30-second melody from the shipped weights (seed 0, major) as
MIDI, WAV and a piano roll, written by the same calls a user makes.
"""

import argparse
import csv
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from readme_block import kept_runs, rewrite  # noqa: E402

from zoo import music  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "results" / "music.json"
NAME = "gru-bach-chorales"


def candidate(run):
    card = json.loads((Path(run) / "card.json").read_text())
    with open(Path(run) / "log.csv") as f:
        val = [float(r["val_loss"]) for r in csv.DictReader(f) if r.get("val_loss") not in (None, "", "NA")]
    return {
        "command": card["training"]["commands"][-1],
        "cell": card["config"]["cell"],
        "dropout": card["config"].get("dropout") or 0.0,
        "transpose": int(card["data"].get("transpose") or 0),
        "best_val_nats": min(val) if val else None,
        "best_val_epoch": (val.index(min(val)) + 1) if val else None,
        "test_nats_per_token": card["metrics"]["test_nats_per_token"],
        "seconds": card["training"].get("seconds_last_session"),
    }


def tables(candidates, metrics):
    cell = lambda v, d=3: "—" if v is None else f"{v:.{d}f}"  # noqa: E731
    lines = [
        "Candidates (seed 0; the last 10% of the training tunes, whole tunes, as validation; up to 300 epochs, "
        "stopped 15 after the best, whose weights are kept):",
        "",
        "| cell | dropout | transposed (± semitones) | best validation nats/token (epoch) | "
        "held-out nats/token (those weights) | seconds |",
        "|---|---|---|---|---|---|",
    ]
    order = lambda c: (c["cell"], c["dropout"] or 0, c.get("transpose", 0))  # noqa: E731
    for c in sorted(candidates.values(), key=order):
        lines.append(
            f"| {c['cell']} | {c['dropout']} | {c.get('transpose', 0) or '—'} | {cell(c['best_val_nats'])} "
            f"({c['best_val_epoch']}) | {cell(c['test_nats_per_token'])} | {cell(c.get('seconds'), 0)} |"
        )
    lines += ["", music.metrics_table(metrics, f"{NAME} (shipped)")]
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--run", action="append", default=[], help="a python -m train.music run folder (a candidate)")
    p.add_argument("--write-docs", action="store_true")
    args = p.parse_args(argv)
    import zoo

    found = kept_runs(RESULTS, args.run, candidate)
    model = zoo.load(NAME)
    block = tables(found, model.card["metrics"])
    print(block)
    if args.write_docs:
        folder = ROOT / "docs" / "music"
        folder.mkdir(exist_ok=True)
        piece = model.generate(seconds=30, seed=0, temperature=1.0, mode="major")
        piece.write_midi(folder / f"{NAME}.mid")
        piece.write_wav(folder / f"{NAME}.wav", rate=11025)
        piece.write_piano_roll(folder / f"{NAME}.png")
        if not rewrite("music", block):
            print("docs have no music markers", file=sys.stderr)


if __name__ == "__main__":
    main()
