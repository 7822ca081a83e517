"""FID against training minutes: the zoo's default DCGAN recipe next to the keras.io-style baseline.

    python benchmarks/fid_curve.py [--dataset mnist5k|emoji] [--minutes 8] [--every 1] [--seed 0]
                                   [--write-readme]

Both train in this one process, one after the other, on the same training split (the trainer's
default 4,000 MNIST-5k digits, or with `--dataset emoji` the 3,219 Noto training emoji at 64x64, as
`python -m train.dcgan --dataset emoji` with no other flag trains), with `fit` one epoch at a time. Only `fit` is
timed: after the first epoch that ends past each `--every` minutes mark, the generator draws 1,000
samples (seed 0) and they are scored as `python -m zoo.evaluate` scores them (FID against the test
split in the feature network zoo.evaluate picks: classifier-mnist, classifier-emoji); sampling and
scoring are not counted. Each stops at the first epoch ending past `--minutes`.

- zoo default: the network, recipe, batch and learning rate `python -m train.dcgan` uses with no
  flags but the dataset's (built and seeded by the trainer's own code from its parsed defaults),
  with XLA on or off as the trainer's `--jit auto` chooses on this CPU (train/jit.py); samples come
  from its generator average, as the trainer's do. The trainer's own extras (checkpoints, sample
  grids, the collapse monitor) are not run, so its time here is `fit` only.
- baseline: the keras.io "DCGAN overriding train_step" model of benchmarks/dcgan_throughput.py
  (shared/reference/keras_io_dcgan.py: width 64, Adam(2e-4, beta1 0.5); for emoji the same layers
  at 64x64x3, starting from 16x16) at the keras.io DCGAN example's batch size, 32, without XLA, as written there.

Writes benchmarks/results/fid_curve[_emoji].json and docs/images/fid-vs-minutes[-emoji].png;
`--write-readme` puts the table into the docs. One seed: the curve is one run of each, not a mean.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

BASELINE_BATCH = 32


def zoo_default(pixels, seed, flags=()):
    """(train one epoch, draw n samples) for the model `python -m train.dcgan` builds by default
    (with `flags`: the dataset's, e.g. --dataset emoji --image-size 32)."""
    from types import SimpleNamespace

    from train import dcgan, harness
    from zoo.data import training_batches

    parser = harness.parser("dcgan", "", 20, 32, 1e-3, "dcgan-{data}")
    dcgan.add_arguments(parser)
    args = parser.parse_args(["--seed", str(seed), *flags])
    data = SimpleNamespace(image_shape=pixels.shape[1:])
    xla = args.jit == "on"
    if args.jit == "auto":  # as the trainer chooses: measured on this CPU (train/jit.py), cached
        from train import jit

        batches, steps = training_batches(pixels, args.batch_size, seed, 0, 1)
        xla = jit.choose(
            lambda: harness.build_model(dcgan.build, args, data)[0],
            batches,
            steps * args.epochs,
            "float32",
            {"learning_rate": args.lr},
        )
    model, _ = harness.build_model(dcgan.build, args, data)
    model.compile(learning_rate=args.lr, jit_compile=xla)
    state = {"epoch": 0}

    def train_epoch():
        epoch = state["epoch"]
        ds, steps = training_batches(pixels, args.batch_size, seed, epoch, epoch + 1)
        model.fit(ds, initial_epoch=epoch, epochs=epoch + 1, steps_per_epoch=steps, shuffle=False, verbose=0)
        state["epoch"] += 1

    recipe = f"width {args.width}, batch {args.batch_size}, lr {args.lr:g}, EMA {args.ema_decay}, R1 {args.r1_gamma}"
    recipe += (", generator batch norm" if args.batch_norm else "") + (", XLA" if xla else ", no XLA")
    return train_epoch, lambda n: model.sample(n, seed=0), recipe


def keras_io_baseline(pixels, seed, flags=()):
    import keras
    import numpy as np
    import tensorflow as tf
    from dcgan_throughput import LATENT, BaselineGAN, baseline_discriminator, baseline_generator

    from zoo.data import prefetched

    keras.utils.set_random_seed(seed)
    x = (pixels / 255.0).astype("float32")
    ds = prefetched(
        tf.data.Dataset.from_tensor_slices(x).shuffle(len(x), seed=seed).batch(BASELINE_BATCH, drop_remainder=True)
    )
    shape = pixels.shape[1:]  # the keras.io sizes, its first feature map at a quarter of the image side
    gan = BaselineGAN(baseline_discriminator(shape), baseline_generator(shape))
    gan.compile(
        keras.optimizers.Adam(2e-4, 0.5),
        keras.optimizers.Adam(2e-4, 0.5),
        keras.losses.BinaryCrossentropy(from_logits=True),
    )
    z = np.random.default_rng(0).standard_normal((1000, LATENT)).astype("float32")

    def sample(n):
        return np.concatenate([np.asarray(gan.g(z[i : i + 250], training=False)) for i in range(0, n, 250)])

    recipe = f"width 64, batch {BASELINE_BATCH}, Adam(2e-4, 0.5), no EMA, no XLA"
    return (lambda: gan.fit(ds, epochs=1, shuffle=False, verbose=0)), sample, recipe


def curve(name, make, pixels, score, minutes, every, seed, flags=()):
    train_epoch, sample, recipe = make(pixels, seed, flags)
    points, spent, epoch, mark = [], 0.0, 0, every
    while spent < minutes * 60:
        start = time.perf_counter()
        train_epoch()
        spent += time.perf_counter() - start
        epoch += 1
        if spent >= mark * 60 or spent >= minutes * 60:
            fid = score(sample(1000))
            points.append({"minutes": round(spent / 60, 3), "epoch": epoch, "fid": fid})
            print(f"{name:12s} epoch {epoch:3d}  {spent / 60:6.2f} min  FID {fid:7.1f}", flush=True)
            while mark * 60 <= spent:
                mark += every
    return {"recipe": recipe, "points": points}


def plot(results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.6), dpi=120)
    for name, result in results["curves"].items():
        points = result["points"]
        ax.plot([p["minutes"] for p in points], [p["fid"] for p in points], "o-", label=f"{name}: {result['recipe']}")
    if "floor" in results:
        ax.axhline(results["floor"], color="grey", ls=":", lw=1, label="floor: real training images")
    ax.set_xlabel(f"minutes of fit on {results['cpu']}", fontsize=7)
    ax.set_ylabel(f"FID (1,000 samples vs {results['reference']})", fontsize=7)
    ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=6)
    ax.set_title(f"DCGAN on {results['data']}: FID against training time", fontsize=8)
    fig.tight_layout()
    fig.savefig(path)


def table(results):
    curves = results["curves"]
    every, minutes = results["every"], results["minutes"]
    marks = [round(every * k, 3) for k in range(1, int(minutes / every + 1e-9) + 1)]
    lines = [
        f"{results['cpu']}, seed {results['seed']}; FID at the first epoch ending past each mark",
        "",
        "| minutes of fit | " + " | ".join(curves) + " |",
        "|---" * (len(curves) + 1) + "|",
    ]
    for mark in marks:
        cells = []
        for c in curves.values():
            first = next((p for p in c["points"] if p["minutes"] >= mark - 1e-9), None)
            cells.append(
                "–" if first is None else f"{first['fid']:.1f} (epoch {first['epoch']}, {first['minutes']:.2f} min)"
            )
        lines.append(f"| {mark:g} | " + " | ".join(cells) + " |")
    if "floor" in results:
        lines += ["", f"Floor (the first 1,000 real training images scored the same way): FID {results['floor']:.1f}."]
    return "\n".join(lines)


CURVES = {"zoo default": zoo_default, "keras.io": keras_io_baseline}
#: --dataset: the trainer's flags, the results file, the figure, the docs table's markers, what the FID compares
DATASETS = {
    "mnist5k": ([], "fid_curve.json", "fid-vs-minutes.png", "fid-curve", "the 1,000 MNIST-5k test digits"),
    "emoji": (  # exactly `python -m train.dcgan --dataset emoji`: the emoji at their own 64x64
        ["--dataset", "emoji"],
        "fid_curve_emoji.json",
        "fid-vs-minutes-emoji.png",
        "fid-curve-emoji",
        "the 562 held-out Noto emoji",
    ),
}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", choices=list(DATASETS), default="mnist5k", help="the trainer's default digits or emoji")
    p.add_argument("--minutes", type=float, default=8.0, help="fit time of each model")
    p.add_argument("--every", type=float, default=1.0, help="score after the first epoch past every this many minutes")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--curves", default=",".join(CURVES), help="which to run (the others are kept from the last results)"
    )
    p.add_argument("--write-readme", action="store_true", help="also put the table into the docs")
    args = p.parse_args()

    import tensorflow as tf

    from zoo.data import load_images, scale_images
    from zoo.evaluation import evaluate, features
    from zoo.machine import cpu_flags

    flags, results_name, figure, block, against = DATASETS[args.dataset]
    size = int(flags[flags.index("--image-size") + 1]) if "--image-size" in flags else None
    data = load_images(args.dataset, "train", image_size=size)
    judge = features.choose(data.recipe())
    reference = scale_images(load_images(args.dataset, "test", image_size=size).images)

    def score(images):
        return float(evaluate.image_metrics(images, reference, judge, with_classes=False)["fid"])

    results = {
        "cpu": cpu_flags(),
        "cores": os.cpu_count(),
        "tensorflow": tf.__version__,
        "seed": args.seed,
        "minutes": args.minutes,
        "every": args.every,
        "data": f"{data.name} '{data.split}' split, {len(data):,} images{f' at {size}x{size}' if size else ''}",
        "reference": against,
        "protocol": f"FID of 1,000 samples (seed 0) against {against} in {judge.name} features, as "
        "python -m zoo.evaluate; minutes = time inside fit only",
        "curves": {},
    }
    # the floor, as zoo.evaluate measures it: the first 1,000 real training images against the same test set
    results["floor"] = score(scale_images(data.first(1000)))
    path = ROOT / "benchmarks/results" / results_name
    earlier = json.loads(path.read_text())["curves"] if path.is_file() else {}
    for name, make in CURVES.items():
        if name in args.curves.split(","):
            results["curves"][name] = curve(name, make, data.images, score, args.minutes, args.every, args.seed, flags)
        elif name in earlier:  # kept from an earlier invocation
            results["curves"][name] = earlier[name]
    path.write_text(json.dumps(results, indent=2) + "\n")
    plot(results, ROOT / "docs/images" / figure)
    text = table(results)
    print(text)
    if args.write_readme:
        from readme_block import rewrite

        rewrite(block, text + f"\n\nPer point: `benchmarks/results/{results_name}`.")


if __name__ == "__main__":
    main()
