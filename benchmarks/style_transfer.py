"""Style transfer Noto <-> Twemoji, unpaired, scored against the true pairs, beside its alternatives.

    python benchmarks/style_transfer.py --cyclegan RUN_OR_ENTRY [--pix2pix a_to_b=RUN] [--pix2pix b_to_a=RUN]
                                        [--write-readme]

The two emoji sets draw the same code points in two styles, so the held-out test emoji have a true
answer in the other style, which no public CycleGAN benchmark offers. The CycleGAN (trained
unpaired: `python -m train.cyclegan --dataset emoji --dataset-b emoji-twitter --image-size 32`, each
domain shuffled on its own) is scored by `zoo.evaluate`'s translation protocol: L1, PSNR and SSIM
against the true counterpart, FID in classifier-emoji-both features beside the floor (real target
train images against the target test split), and how often that judge still reads the source's
category. Beside it, in each direction:
  identity            the input unchanged
  histogram matching  each image's channels matched to the target style's pooled training histograms
  pix2pix (paired)    the same generator family trained *with* the pairs (--pairing pairs on a folder
                      of the emoji training split in both styles, 95% of it: --test-fraction 0.05):
                      the upper bound an unpaired method can approach
Writes benchmarks/results/style_transfer.json and, with --write-readme, the style-transfer table of
docs/image-to-image.md.
"""

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from machine import cpu_flags  # noqa: E402
from readme_block import rewrite  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "style_transfer.json"
DIRECTIONS = {"a_to_b": ("emoji", "emoji-twitter"), "b_to_a": ("emoji-twitter", "emoji")}


def paired_model_rows(pix2pix, judge, image_size):
    """[(direction, method, figures)] of paired pix2pix runs on the emoji test split."""
    import zoo
    from zoo.data import scale_images
    from zoo.data.emoji import load_emoji
    from zoo.evaluation.evaluate import score_translation

    rows = []
    for direction, run in pix2pix.items():
        source_name, target_name = DIRECTIONS[direction]
        source, target = (load_emoji(n, "test", image_size) for n in (source_name, target_name))
        model = zoo.load(run)
        real_target = scale_images(target.images)
        outputs = model.apply(scale_images(source.images))
        figures = score_translation(outputs, judge, judge.features(real_target), real_target, source.labels)
        rows.append((direction, "pix2pix, trained on the pairs", figures))
    return rows


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cyclegan", required=True, help="the unpaired CycleGAN: entry or run folder")
    p.add_argument("--pix2pix", action="append", default=[], metavar="DIRECTION=RUN", help="a paired upper bound")
    p.add_argument("--write-readme", action="store_true")
    args = p.parse_args(argv)
    pix2pix = {}
    for item in args.pix2pix:
        direction, _, run = item.partition("=")
        if direction not in DIRECTIONS or not run:
            p.error(f"--pix2pix takes a_to_b=RUN or b_to_a=RUN, got '{item}'")
        pix2pix[direction] = run
    import zoo
    from zoo.evaluation import features
    from zoo.evaluation.evaluate import translation_metrics, translation_rows, translation_table

    model = zoo.load(args.cyclegan)
    judge = features.choose(model.recipe)
    result = translation_metrics(model, judge)
    rows = translation_rows(result, "CycleGAN, trained unpaired")
    size = model.recipe["image_shape"][0]
    extra = {d: [] for d in DIRECTIONS}
    for row in paired_model_rows(pix2pix, judge, size):
        extra[row[0]].append(row)
    ordered = []
    for direction in DIRECTIONS:  # per direction: the CycleGAN, its baselines, the paired bound, the floor
        mine = [r for r in rows if r[0] == direction]
        ordered += mine[:-1] + extra[direction] + mine[-1:]
    table = translation_table(ordered)
    a, b = (model.recipe[k]["dataset"] for k in ("a", "b"))
    text = (
        f"{table}\n\nA = {a}, B = {b}, {size}x{size}, the {len(model.data('test').a)} held-out test emoji of each "
        f"style; FID and label kept in {judge.name} features. Per figure: `benchmarks/results/style_transfer.json`."
    )
    RESULTS.write_text(
        json.dumps(
            {
                "cyclegan": args.cyclegan,
                "pix2pix": {d: zoo.load(run).card["training"]["commands"] for d, run in pix2pix.items()},
                "rows": [{"direction": d, "method": m, **f} for d, m, f in ordered],
                "protocol": result["protocol"],
                "cpu": cpu_flags(),
            },
            indent=2,
            default=float,
        )
        + "\n"
    )
    print(text)
    if args.write_readme:
        rewrite("style-transfer", text)


if __name__ == "__main__":
    main()
