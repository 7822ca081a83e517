"""FID against training minutes: the zoo's default DCGAN recipe next to the keras.io-style baseline.

    python benchmarks/fid_curve.py [--minutes 8] [--every 1] [--seed 0] [--write-readme]

Both train in this one process, one after the other, on the same 4,000 MNIST-5k training digits
(the trainer's default data), with `fit` one epoch at a time. Only `fit` is timed: after the first
epoch that ends past each `--every` minutes mark, the generator draws 1,000 samples (seed 0) and
they are scored as `python -m zoo.evaluate` scores them (FID against the 1,000 test digits in
classifier-mnist's feature space); sampling and scoring are not counted. Each stops at the first
epoch ending past `--minutes`.

- zoo default: the network, recipe, batch and learning rate `python -m train.dcgan` uses with no
  flags (built and seeded by the trainer's own code from its parsed defaults), XLA-compiled as the trainer
  runs it; samples come from its generator average, as the trainer's do. The trainer's own extras
  (checkpoints, sample grids, the collapse monitor) are not run, so its time here is `fit` only.
- baseline: the keras.io "DCGAN overriding train_step" model of benchmarks/dcgan_throughput.py
  (shared/reference/keras_io_dcgan.py: width 64, Adam(2e-4, beta1 0.5)) at the keras.io DCGAN
  example's batch size, 32, without XLA, as written there.

Writes benchmarks/results/fid_curve.json and docs/images/fid-vs-minutes.png; `--write-readme`
puts the table into README.md. One seed: the curve is one run of each, not a mean.
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


def zoo_default(pixels, seed):
    """(train one epoch, draw n samples) for the model `python -m train.dcgan` builds by default."""
    from types import SimpleNamespace

    from train import dcgan, harness
    from zoo.data import training_batches

    parser = harness.parser("dcgan", "", 20, 32, 1e-3, "dcgan-{data}")
    dcgan.add_arguments(parser)
    args = parser.parse_args(["--seed", str(seed)])
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


def keras_io_baseline(pixels, seed):
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
    gan = BaselineGAN(baseline_discriminator(), baseline_generator())
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


def curve(name, make, pixels, score, minutes, every, seed):
    train_epoch, sample, recipe = make(pixels, seed)
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
    ax.set_xlabel(f"minutes of fit on {results['cores']} CPU cores ({results['cpu']})")
    ax.set_ylabel("FID (1,000 samples vs 1,000 test digits)")
    ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=6)
    ax.set_title("DCGAN on 4,000 MNIST digits: FID against training time", fontsize=9)
    fig.tight_layout()
    fig.savefig(path)


def table(results):
    curves = results["curves"]
    every, minutes = results["every"], results["minutes"]
    marks = [round(every * k, 3) for k in range(1, int(minutes / every + 1e-9) + 1)]
    lines = [
        f"{results['cores']} cores, {results['cpu']}, seed {results['seed']}; "
        "FID at the first epoch ending past each mark",
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
    return "\n".join(lines)


CURVES = {"zoo default": zoo_default, "keras.io": keras_io_baseline}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--minutes", type=float, default=8.0, help="fit time of each model")
    p.add_argument("--every", type=float, default=1.0, help="score after the first epoch past every this many minutes")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--curves", default=",".join(CURVES), help="which to run (the others are kept from the last results)"
    )
    p.add_argument("--write-readme", action="store_true", help="also put the table into README.md")
    args = p.parse_args()

    import tensorflow as tf
    from gan_recipe import cpu_flags

    from zoo.data import load_images
    from zoo.evaluation import evaluate, features

    data = load_images("mnist5k", "train")
    judge = features.choose(data.recipe())
    reference = evaluate.reference_images()

    def score(images):
        return float(evaluate.image_metrics(images, reference, judge, with_classes=False)["fid"])

    results = {
        "cpu": cpu_flags(),
        "cores": os.cpu_count(),
        "tensorflow": tf.__version__,
        "seed": args.seed,
        "minutes": args.minutes,
        "every": args.every,
        "data": f"{data.name} '{data.split}' split, {len(data):,} images",
        "protocol": "FID of 1,000 samples (seed 0) against the 1,000 MNIST-5k test digits in classifier-mnist "
        "features, as python -m zoo.evaluate; minutes = time inside fit only",
        "curves": {},
    }
    path = ROOT / "benchmarks/results/fid_curve.json"
    earlier = json.loads(path.read_text())["curves"] if path.is_file() else {}
    for name, make in CURVES.items():
        if name in args.curves.split(","):
            results["curves"][name] = curve(name, make, data.images, score, args.minutes, args.every, args.seed)
        elif name in earlier:  # kept from an earlier invocation
            results["curves"][name] = earlier[name]
    path.write_text(json.dumps(results, indent=2) + "\n")
    plot(results, ROOT / "docs/images/fid-vs-minutes.png")
    text = table(results)
    print(text)
    if args.write_readme:
        from readme_block import rewrite

        rewrite("fid-curve", text + "\n\nPer point: `benchmarks/results/fid_curve.json`.")


if __name__ == "__main__":
    main()
