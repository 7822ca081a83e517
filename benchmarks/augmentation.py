"""Does cGAN data help a classifier that lacks data? A small CNN trained on a deliberately
imbalanced real subset of MNIST-5k, with and without cgan-mnist samples topping up the rare
classes, scored on the 1,000 held-out real test digits; several seeds, mean ± standard deviation.

    python benchmarks/augmentation.py [--seeds 5] [--common 200] [--rare 20] [--steps 600]

Arms (same classifier, same number of steps of the same batch size, only the data differ):
  real only            the imbalanced subset: `common` digits of classes 0-4, `rare` of classes 5-9
  real, oversampled    rare-class real digits repeated up to `common` (balance without new data)
  real + cGAN          rare classes topped up to `common` with cgan-mnist samples (zoo.generate)
Caveat: cgan-mnist was trained on all 4,000 MNIST-5k training digits, so its samples carry what it
learnt from rare-class digits this classifier never sees; the test digits are held out from both.
The table goes to the README between the markers and the raw numbers to
benchmarks/results/augmentation.json.
"""

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from readme_block import rewrite  # noqa: E402

import zoo  # noqa: E402
from zoo.data import load_images, scale_images  # noqa: E402
from zoo.generate import generate  # noqa: E402

RARE = (5, 6, 7, 8, 9)


def subset(train, seed, common, rare):
    rng = np.random.default_rng(seed)
    keep = np.concatenate(
        [rng.choice(np.flatnonzero(train.labels == c), rare if c in RARE else common, replace=False) for c in range(10)]
    )
    return train.images[keep], train.labels[keep]


def arms(images, labels, seed, common, rare):
    yield "real only", images, labels
    idx = np.concatenate([np.resize(np.flatnonzero(labels == c), common) for c in range(10)])
    yield "real, oversampled", images[idx], labels[idx]
    extra = generate("cgan-mnist", per_class=common - rare, seed=1000 + seed, classes=RARE)
    yield "real + cGAN", np.concatenate([images, extra.images]), np.concatenate([labels, extra.labels])


def train_and_score(images, labels, test, seed, steps, batch=64):
    keras.utils.set_random_seed(seed)
    model = zoo.Classifier(width=16, feature_dim=64, seed=seed)
    model.compile(learning_rate=1e-3)
    x = scale_images(images)
    rng = np.random.default_rng(seed)
    order = np.concatenate([rng.permutation(len(x)) for _ in range(steps * batch // len(x) + 1)])[: steps * batch]
    model.fit(x[order], labels[order], batch_size=batch, epochs=1, shuffle=False, verbose=0)
    predicted = model.probabilities(scale_images(test.images)).argmax(1)
    return {str(c): float(np.mean(predicted[test.labels == c] == c)) for c in range(10)} | {
        "overall": float(np.mean(predicted == test.labels))
    }


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--common", type=int, default=200)
    p.add_argument("--rare", type=int, default=20)
    p.add_argument("--steps", type=int, default=600)
    args = p.parse_args(argv)
    train, test = load_images("mnist5k", "train"), load_images("mnist5k", "test")
    results = {}
    for seed in range(args.seeds):
        images, labels = subset(train, seed, args.common, args.rare)
        for arm, x, y in arms(images, labels, seed, args.common, args.rare):
            scores = train_and_score(x, y, test, seed, args.steps)
            results.setdefault(arm, []).append(scores)
            print(
                f"seed {seed} {arm:18s} overall {scores['overall']:.3f} rare "
                f"{np.mean([scores[str(c)] for c in RARE]):.3f}",
                flush=True,
            )
    rows = []
    for arm, runs in results.items():
        overall = [r["overall"] for r in runs]
        rare = [np.mean([r[str(c)] for c in RARE]) for r in runs]
        common = [np.mean([r[str(c)] for c in range(10) if c not in RARE]) for r in runs]
        per_class = " ".join(f"{np.mean([r[str(c)] for r in runs]):.2f}" for c in range(10))
        rows.append(
            f"| {arm} | {np.mean(overall):.3f} ± {np.std(overall):.3f} | {np.mean(rare):.3f} ± {np.std(rare):.3f} | "
            f"{np.mean(common):.3f} ± {np.std(common):.3f} | {per_class} |"
        )
    table = (
        "| training data | accuracy | rare classes 5-9 | common classes 0-4 | per class 0 … 9 (mean) "
        "|\n|---|---|---|---|---|\n"
        + "\n".join(rows)
        + f"\n\n{args.seeds} seeds (subset, generator latents and classifier init per seed), {args.common} real "
        f"digits of each "
        f"common class and {args.rare} of each rare class, {args.steps} steps of batch 64, "
        f"`python benchmarks/augmentation.py --seeds {args.seeds} --common {args.common} --rare {args.rare} "
        f"--steps {args.steps}`."
    )
    print(table)
    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    (out / "augmentation.json").write_text(json.dumps({"args": vars(args), "results": results}, indent=2) + "\n")
    rewrite("augmentation-table", table)


if __name__ == "__main__":
    main()
