"""The text -> image entry against retrieval, from its card, and a picture of prompts, from its weights.

    python benchmarks/text_to_image.py [--write-docs]

The table (between the `text-to-image` markers of docs/text-to-image.md) is the card of
`text2image-emoji`: its drawings of the held-out emoji names beside the retrieval baseline (the
training emoji sharing most words with the prompt), the held-out emoji themselves, and chance. The
picture docs/images/text2image-emoji-prompts.png shows, for held-out names and for free prompts, four
drawings (latents from seeds 0-3), what retrieval returns and, for held-out names, the true emoji.
"""

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from readme_block import rewrite  # noqa: E402

from zoo.evaluation.text2image import table  # noqa: E402

NAME = "text2image-emoji"
PICTURE = Path(__file__).resolve().parents[1] / "docs" / "images" / f"{NAME}-prompts.png"
FREE_PROMPTS = ["smiling cat", "red car", "green apple", "dark skin tone thumbs up"]


def shown(test):
    """(held-out rows picked, the prompts of the picture's rows): six held-out names, then the free prompts."""
    known = [i for i in range(len(test)) if test.inputs[i].any()]
    picked = [known[i] for i in np.linspace(0, len(known) - 1, 6).astype(int)]
    return picked, [test.info["texts"][i] for i in picked] + FREE_PROMPTS


def picture(model):
    from zoo.evaluation.text2image import retrieve
    from zoo.images import grid, save_png

    test, train = model.data("test"), model.data("train")
    picked, prompts_shown = shown(test)
    import warnings

    rows = []
    for k, prompt in enumerate(prompts_shown):
        with warnings.catch_warnings():  # held-out names hold words no training name has: dropped, as documented
            warnings.simplefilter("ignore")
            drawn = [model.generate([prompt], seed=s)[0] for s in range(4)]
        retrieved = train.targets[retrieve([prompt], train.info["texts"])[0]]
        truth = test.targets[picked[k]] if k < len(picked) else np.ones_like(retrieved)
        rows.append(np.stack([*drawn, retrieved, truth]))
    save_png(grid(np.concatenate(rows), cols=6), PICTURE, scale=3)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--write-docs", action="store_true", help="rewrite the table and the picture in the docs")
    args = p.parse_args(argv)
    import zoo

    model = zoo.load(NAME)
    rows = shown(model.data("test"))[1]
    block = (
        table(model.card["metrics"], f"{NAME} (shipped)")
        + "\n\nThe picture's rows (prompts): "
        + "; ".join(f"{i + 1}. *{t}*" for i, t in enumerate(rows))
    )
    print(block)
    if args.write_docs:
        picture(model)
        if not rewrite("text-to-image", block):
            print("docs have no text-to-image markers", file=sys.stderr)


if __name__ == "__main__":
    main()
