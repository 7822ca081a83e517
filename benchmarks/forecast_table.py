"""The forecasters' held-out figures beside their baselines, from the shipped cards (no training, no
re-measuring: the cards hold the numbers, `tests/test_pretrained.py` reproduces them).

    python benchmarks/forecast_table.py --write-readme    # rewrites <!-- forecasters:start/end -->

One row per shipped forecaster: its MAE and MASE, the naive and seasonal-naive forecasts, and each
classical model (chosen on validation values, the protocol in the card), the best MAE in bold.
"""

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.readme_block import rewrite  # noqa: E402

BASELINES = ("naive", "seasonal naive", "autoreg", "ets", "arima", "theta")


def cards():
    for path in sorted((ROOT / "zoo" / "pretrained").glob("*.json")):
        card = json.loads(path.read_text())
        if card.get("architecture") == "forecaster":
            yield card


def cell(row, best):
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
        rows = [m["model"], m["naive"], seasonal, *(m.get(k) for k in ("autoreg", "ets", "arima", "theta"))]
        best = min(r["mae"] for r in rows if r)
        horizon = card["config"]["horizon"]
        data = f"{card['data']['dataset']}, {horizon} steps"
        lines.append(f"| `{card['name']}` | {data} | " + " | ".join(cell(r, best) for r in rows) + " |")
    lines.append("")
    lines.append(
        "*MAE (MASE) from every held-out origin, from each entry's card (`python benchmarks/forecast_table.py "
        "--write-readme`); — : not in that card (measured before the baseline was added; `python -m zoo.evaluate "
        "NAME` measures it now).*"
    )
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    p.add_argument("--write-readme", action="store_true", help="rewrite the table in the docs")
    args = p.parse_args()
    block = table()
    print(block)
    if args.write_readme and not rewrite("forecasters", block):
        sys.exit("no page holds <!-- forecasters:start --> ... <!-- forecasters:end -->")


if __name__ == "__main__":
    main()
