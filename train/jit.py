"""`--jit auto`: compile the training step with XLA or not, whichever this CPU runs faster.

XLA's advantage depends on the CPU: on an AVX-512 machine, where TensorFlow's oneDNN kernels are
fast, the zoo's DCGAN steps ran faster without XLA (docs/benchmarks.md has the table); on AVX2-only
machines the XLA-compiled step was the one measured against the keras.io baseline, the step
without XLA was not measured there. So the trainer measures instead of guessing: on a
fresh copy of the model (same architecture and configuration; the run's own model, optimizer and
random state are not touched), it runs a few steps on one real training batch each way and keeps
the faster. The choice is cached per (CPU model and SIMD flags, TensorFlow version, architecture,
configuration, batch shapes, precision) in `$ZOO_CACHE_DIR/jit.json` (default
~/.cache/keras-zoo), so it is measured once per machine and model; a resumed run keeps the choice
its checkpoint recorded, so one run never mixes the two (they differ by float rounding).

A run of fewer than MEASURE_FROM steps does not pay for the measurement (about 5-20 s: the XLA
compilation of the copy) and uses XLA, the trainer's choice before `auto`, unless the cache
already holds a measurement. `--jit on|off` chooses without measuring.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

from zoo import checkpoint
from zoo.errors import ZooError
from zoo.machine import cpu_flags

MEASURE_FROM = 1000  # planned steps: shorter runs do not measure (the measurement costs ~100 steps)
STEPS, ROUNDS = 10, 3  # per timing; the best of ROUNDS alternating timings of each


def cache_path():
    from zoo.atomic import cache_dir

    return cache_dir() / "jit.json"


def cache_key(model, element_spec, precision):
    import tensorflow as tf

    config = {k: v for k, v in model.get_config().items() if k != "name"}  # keras numbers the names: dcgan_1, ...
    shapes = json.dumps(
        [str(spec) for spec in tf.nest.flatten(element_spec)]
        + [model.architecture, config, precision, tf.__version__, cpu_flags()],
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(shapes.encode()).hexdigest()[:16]


def _read_cache():
    path = cache_path()
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _write_cache(key, entry):
    path = cache_path()
    cache = _read_cache()
    cache[key] = entry
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(cache, indent=1, sort_keys=True))
        os.replace(tmp, path)  # whole or not at all
    except OSError:
        pass  # a read-only home: the choice is simply measured again next time


def seconds_per_step(make_model, batch, jit, compile_kwargs):
    """(model, timing): a fresh model compiled with or without XLA, its step traced and compiled on
    `batch`, and a function giving seconds per step over STEPS calls of the compiled step itself
    (no `fit` around it: callbacks and iterators would cost the same either way and blur the ratio)."""
    import tensorflow as tf

    model = make_model()
    model.compile(jit_compile=jit, **compile_kwargs)
    model.make_train_function()
    iterator = iter(tf.data.Dataset.from_tensors(batch).repeat())
    for _ in range(2):  # tracing and compilation
        model.train_function(iterator)

    def timing():
        start = time.perf_counter()
        for _ in range(STEPS):
            logs = model.train_function(iterator)
        tf.nest.map_structure(lambda t: t.numpy() if hasattr(t, "numpy") else t, logs)  # wait for the last step
        return (time.perf_counter() - start) / STEPS

    return model, timing


def choose(make_model, batches, planned_steps, precision, compile_kwargs, say=print, probe=None):
    """True (XLA) or False, with the reason in one line (said through `say`). `probe`: a model
    `make_model` built already (its configuration keys the cache)."""
    probe = probe or make_model()
    key = cache_key(probe, batches.element_spec, precision)
    cached = _read_cache().get(key)
    if cached is not None:
        say(
            f"XLA: {'on' if cached['jit'] else 'off'} (measured on this CPU earlier: "
            f"{cached['ms_on']:.1f} ms/step with, {cached['ms_off']:.1f} without; {cache_path()}; "
            "--jit on|off to choose)"
        )
        return bool(cached["jit"])
    if planned_steps < MEASURE_FROM:
        say(f"XLA: on (a {planned_steps}-step run does not measure which is faster here; --jit on|off to choose)")
        return True
    batch = next(iter(batches.take(1)))
    started = time.perf_counter()
    on_model, on = seconds_per_step(make_model, batch, True, compile_kwargs)
    off_model, off = seconds_per_step(make_model, batch, False, compile_kwargs)
    ms_on, ms_off = float("inf"), float("inf")
    for _ in range(ROUNDS):  # alternating, so a burst of other load hits both
        ms_on, ms_off = min(ms_on, 1e3 * on()), min(ms_off, 1e3 * off())
    del on_model, off_model, probe
    jit = ms_on <= ms_off
    _write_cache(key, {"jit": jit, "ms_on": round(ms_on, 3), "ms_off": round(ms_off, 3), "cpu": cpu_flags()})
    say(
        f"XLA: {'on' if jit else 'off'} (measured {ms_on:.1f} ms/step with, {ms_off:.1f} without, in "
        f"{time.perf_counter() - started:.0f} s; cached for this CPU and model; --jit on|off to choose)"
    )
    return jit


def for_run(args, make, batches_of, compile_kwargs, say=print):
    """The trainer's choice. --jit on|off as given; auto: the choice a resumed run's checkpoint
    recorded (one run never mixes the two; a checkpoint from before `auto` ran with XLA), else
    `choose` on copies of the model `make()` builds (-> (model, precision policy)), before the run's
    own model is built (building re-seeds, so the measurement leaves no trace in the run)."""
    if args.jit != "auto":
        return args.jit == "on"
    ckpt = Path(args.out or ".") / "checkpoint.npz"
    if args.resume and args.out and ckpt.is_file():
        try:
            return bool(checkpoint.read_meta(ckpt).get("xla", True))
        except ZooError:
            pass  # the folder stage says what is wrong with it
    try:
        probe, policy = make()
        batches, steps = batches_of(probe)
        return choose(lambda: make()[0], batches, steps * args.epochs, policy, compile_kwargs, say, probe)
    except Exception as exc:  # the run itself does not depend on the measurement
        say(f"XLA: on (the measurement failed: {type(exc).__name__}: {str(exc).splitlines()[0][:200]})")
        return True
