"""Regenerate the README's quality table from the evaluation protocol (no hand-typed figures).

    python benchmarks/quality_table.py            # evaluate, print, rewrite README between markers

Rows: every shipped generator (GAN/VAE) entry, scored by zoo.evaluate, plus the real MNIST-5k
training split scored the same way, which shows what a perfect generator would get.
"""

import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from readme_block import rewrite  # noqa: E402

import zoo  # noqa: E402
from zoo.data import load_images, scale_images  # noqa: E402
from zoo.evaluation.evaluate import FEATURE_NETWORK, PROTOCOL, evaluate, format_table, image_metrics, reference_images  # noqa: E402


def main():
    classifier = zoo.load(FEATURE_NETWORK)
    rows, translations = {}, []
    for name in zoo.available():
        model = zoo.load(name)
        if "samples" in model.evaluation:
            # The feature network `python -m zoo.evaluate` picks for the model's data (for 32x32 digits,
            # classifier-mnist on the central 28x28 crop), so the rows are the cards' figures.
            scores = evaluate(model)
            rows[name] = {k: v for k, v in scores.get("samples", scores).items() if k != "protocol"}
        elif "translation" in model.evaluation:
            m = evaluate(model)
            a, b = model.domain_names
            for d, (src, dst) in {"a_to_b": (a, b), "b_to_a": (b, a)}.items():
                translations.append(
                    f"| {name} | {src} → {dst} | {m[d + '_fid_untranslated']:.1f} | {m[d + '_fid']:.1f} | "
                    f"{m[d + '_label_kept']:.3f} |"
                )
    real = scale_images(load_images("mnist5k", "train").images[:1000])
    rows["real digits (mnist5k train, 1,000)"] = image_metrics(real, reference_images(), classifier)
    table = format_table(rows)
    if translations:
        table += (
            "\n\nTranslation (FID against the target domain's test split; label kept = classifier still reads "
            "the source digit):\n\n"
            "| model | direction | FID untranslated | FID translated | label kept |\n|---|---|---|---|---|\n"
            + "\n".join(translations)
        )
    protocol = "; ".join(f"{k}: {v}" for k, v in PROTOCOL.items())
    block = f"{table}\n\nProtocol — {protocol}."
    print(table)
    rewrite("quality-table", block)


if __name__ == "__main__":
    main()
