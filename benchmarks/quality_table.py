"""Regenerate the README's quality table from the evaluation protocol (no hand-typed figures).

    python benchmarks/quality_table.py            # evaluate, print, rewrite README between markers

Rows: every shipped generator (GAN/VAE) entry, scored by zoo.evaluate in the feature network it picks
for the entry's data (classifier-mnist for digits, classifier-emoji for emoji), one table per dataset,
each followed by its floor: real training images against the same real test images, scored the same
way, which shows what a perfect generator would get.
"""

import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from readme_block import rewrite  # noqa: E402

import zoo  # noqa: E402
from zoo.evaluation.evaluate import PROTOCOL, evaluate, format_table  # noqa: E402


def main():
    tables, floors, translations = {}, {}, []
    for name in zoo.available():
        model = zoo.load(name)
        if "samples" in model.evaluation:
            # The feature network `python -m zoo.evaluate` picks for the model's data (for 32x32 digits,
            # classifier-mnist on the central 28x28 crop), so the rows are the cards' figures.
            scores = evaluate(model)
            scores = scores.get("samples", scores)  # an autoencoder's sample figures sit under "samples"
            judge = scores["protocol"]["feature_network"].split(" (")[0]
            data = f"{model.recipe['dataset']}, in {judge}'s features"
            tables.setdefault(data, {})[name] = {k: v for k, v in scores.items() if k != "protocol"}
            floors[data] = scores["floor"]
        elif "translation" in model.evaluation:
            m = evaluate(model)
            a, b = model.domain_names
            for d, (src, dst) in {"a_to_b": (a, b), "b_to_a": (b, a)}.items():
                translations.append(
                    f"| {name} | {src} → {dst} | {m[d + '_fid_untranslated']:.1f} | {m[d + '_fid']:.1f} | "
                    f"{m[d + '_fid_floor']:.1f} | {m[d + '_label_kept']:.3f} |"
                )
    table = "\n\n".join(
        f"**{data}**\n\n" + format_table({**rows, "floor: real train vs real test": floors[data]})
        for data, rows in sorted(tables.items())
    )
    if translations:
        table += (
            "\n\nTranslation (FID against the target domain's test split; floor: the target's real train images "
            "against it; label kept = classifier still reads the source digit):\n\n"
            "| model | direction | FID untranslated | FID translated | floor | label kept |\n"
            "|---|---|---|---|---|---|\n" + "\n".join(translations)
        )
    protocol = "; ".join(f"{k}: {v}" for k, v in PROTOCOL.items())
    block = f"{table}\n\nProtocol — {protocol}."
    print(table)
    rewrite("quality-table", block)


if __name__ == "__main__":
    main()
