"""Inference speed of one entry per family in every runtime the export writes: latency p50/p99 at
batch 1 and throughput at batch 64, at 1 and 2 threads, with file sizes and the family's metric.

    python benchmarks/inference.py [--entries NAME ...] [--threads 1 2] [--seconds 2] [--write-readme]

Each thread count runs in its own process (TensorFlow fixes its thread pools at first use), which
sets every runtime to that many threads: TensorFlow intra/inter-op, ONNX Runtime intra-op, the
LiteRT interpreter. Runtimes per entry (its first endpoint, the same inputs everywhere):
  keras eager        the endpoint's function called eagerly (the Keras layers, `model(x)`)
  keras predict      `model.predict(x)` of a Keras model whose call() is the endpoint's function
  keras graph        the same function under tf.function, called directly (no predict loop)
  zoo API            `model.endpoint(k)(**x)`, as the NumPy methods (`sample`, `forecast`, ...) call
                     it: input checks + the compiled function (cached per model) + output checks
  savedmodel         the exported signature through `tf.saved_model.load`
  onnx / ort         ONNX Runtime on the .onnx (all graph optimisations) and the .ort file
  litert <variant>   the .tflite files through the LiteRT interpreter, with its default XNNPACK
                     delegate and (suffix "no-xnnpack") with builtin kernels only
Recurrent entries run every runtime at the fixed length of their LiteRT file. The metric column:
float32 runtimes reproduce Keras within 1e-4 (checked at export), so their metric is the card's; the
quantized LiteRT files' metric is measured through the interpreter by litert_quantization.py (card
field "litert_variants"). Figures are in `benchmarks/results/inference.json` with the CPU flags.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from machine import cpu_flags  # noqa: E402

ENTRIES = ["dcgan-mnist", "ae-conv-mnist", "classifier-mnist", "lstm-stacked-sunspots", "gru-char-pydoc"]
RESULTS = ROOT / "benchmarks" / "results" / "inference.json"


def timed(fn, inputs, seconds, least=20):
    """Per-call wall times (s) of fn(inputs) over about `seconds`, after 3 warm-up calls."""
    for _ in range(3):
        fn(inputs)
    times, began = [], time.perf_counter()
    while len(times) < least or time.perf_counter() - began < seconds:
        start = time.perf_counter()
        fn(inputs)
        times.append(time.perf_counter() - start)
        if len(times) >= 5000:
            break
    return times


def runtimes(name, key, export_dir, report, threads):
    """{runtime: (fn(inputs) -> outputs, file bytes or None)} for one entry's endpoint `key`."""
    import numpy as np
    import onnxruntime as ort
    import tensorflow as tf
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    import zoo

    model = zoo.load(name)
    endpoint = model.endpoints()[key]
    run = {}
    run["keras eager"] = (lambda x: {k: np.asarray(v) for k, v in endpoint.fn(**x).items()}, None)
    import keras

    class Wrapped(keras.Model):  # the endpoint as a Keras model, so that `predict` runs it as a user would
        def call(self, inputs):
            return endpoint.fn(**inputs)

    wrapped = Wrapped()
    run["keras predict"] = (lambda x: wrapped.predict(x, batch_size=len(next(iter(x.values()))), verbose=0), None)
    graph = tf.function(endpoint.fn, autograph=False)
    run["keras graph"] = (lambda x: {k: v.numpy() for k, v in graph(**x).items()}, None)
    run["zoo API"] = (lambda x: model.endpoint(key)(**x), None)
    loaded = tf.saved_model.load(str(export_dir / name / str(report["savedmodel"]["version"])))
    signature = loaded.signatures[key]
    run["savedmodel"] = (lambda x: {k: v.numpy() for k, v in signature(**x).items()}, None)
    options = ort.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
    for kind, path in (("onnx", report["onnx"][key]["path"]), ("ort", report["onnx"][key]["ort"]["path"])):
        session = ort.InferenceSession(str(export_dir / Path(path).name), options, providers=["CPUExecutionProvider"])
        outputs = [o.name for o in session.get_outputs()]
        run[kind] = ((lambda s, o: lambda x: dict(zip(o, s.run(o, x))))(session, outputs), Path(path).stat().st_size)
    files = {"float32": Path(report["litert"]["path"])}
    files.update({v: Path(item["path"]) for v, item in report.get("litert_quantized", {}).items() if "path" in item})
    for variant, path in files.items():
        path = export_dir / path.name
        for suffix, resolver in (
            ("", OpResolverType.AUTO),
            (" no-xnnpack", OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES),
        ):
            interpreter = Interpreter(model_path=str(path), num_threads=threads, experimental_op_resolver_type=resolver)
            runner = interpreter.get_signature_runner(key)
            run[f"litert {variant}{suffix}"] = ((lambda r: lambda x: r(**x))(runner), path.stat().st_size)
    return model, endpoint, run


def worker(names, threads, export_dir, seconds):
    import numpy as np
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    rows = []
    for name in names:
        report = json.loads((export_dir / f"{name}.export.json").read_text())
        key = next(iter(report["endpoints"]))
        model, endpoint, run = runtimes(name, key, export_dir, report, threads)
        # The export's own parity inputs (at the LiteRT file's fixed length for recurrent entries).
        stored = export_dir / f"{name}.{'litert-examples' if 'examples' in report['litert'] else 'examples'}.npz"
        with np.load(stored) as arrays:
            first = {k.split("/")[-1]: arrays[k][:1] for k in arrays.files if k.startswith(f"{key}/input/")}
        batches = {b: {k: np.repeat(v, b, axis=0) for k, v in first.items()} for b in (1, 64)}
        for runtime, (fn, size) in run.items():
            one = timed(fn, batches[1], seconds)
            many = timed(fn, batches[64], seconds, least=5)
            rows.append(
                {
                    "entry": name,
                    "endpoint": key,
                    "runtime": runtime,
                    "threads": threads,
                    "bytes": size,
                    "p50_ms": 1000 * statistics.median(one),
                    "p99_ms": 1000 * float(np.percentile(one, 99)),
                    "calls_batch1": len(one),
                    "examples_per_s_batch64": 64 * len(many) / sum(many),
                    "input_shapes": {k: list(v.shape[1:]) for k, v in batches[1].items()},
                }
            )
            print(
                f"... {name} {runtime} threads={threads}: p50 {rows[-1]['p50_ms']:.2f} ms", file=sys.stderr, flush=True
            )
    return rows


def metric_of(card, runtime):
    """(metric, value, where from) of the card for this runtime, or (None, None, reason)."""
    variants = card.get("litert_variants") or {}
    for variant in ("float16", "dynamic", "int8"):
        if runtime.startswith(f"litert {variant}"):
            item = variants.get(variant)
            return (
                (item["metric"], item["value"], "litert_quantization.py")
                if item and "metric" in item
                else (
                    None,
                    None,
                    "not measured",
                )
            )
    item = variants.get("float32") or {}
    if "metric" in item:
        return item["metric"], item["value"], "card (float32 parity <= 1e-4)"
    return None, None, "no single-number metric through this endpoint"


def table(rows, cards):
    lines = [
        "| entry | runtime | MB | p50 / p99 ms, batch 1, 1 thread | 2 threads | batch 64 examples/s, 2 threads | "
        "metric |",
        "|---|---|---|---|---|---|---|",
    ]
    by = {(r["entry"], r["runtime"], r["threads"]): r for r in rows}
    best = {}
    for (entry, runtime, threads), r in by.items():
        if threads == 1 and (entry not in best or r["p50_ms"] < best[entry][1]):
            best[entry] = (runtime, r["p50_ms"])
    for (entry, runtime, threads), r in by.items():
        if threads != 1:
            continue
        two = by.get((entry, runtime, 2))
        metric, value, _ = metric_of(cards[entry], runtime)
        size = "" if r["bytes"] is None else f"{r['bytes'] / 1e6:.2f}"
        latency2 = f"{two['p50_ms']:.2f} / {two['p99_ms']:.2f}" if two else ""
        throughput2 = f"{two['examples_per_s_batch64']:,.0f}" if two else ""
        label = f"**{runtime}**" if best[entry][0] == runtime else runtime
        quality = "" if metric is None else f"{metric} {value:.4g}"
        lines.append(
            f"| {entry} `{r['endpoint']}` | {label} | {size} | {r['p50_ms']:.2f} / {r['p99_ms']:.2f} | {latency2} | "
            f"{throughput2} | {quality} |"
        )
    summary = []
    for entry, (runtime, p50) in best.items():
        keras, graph = by[(entry, "keras eager", 1)]["p50_ms"], by[(entry, "keras graph", 1)]["p50_ms"]
        summary.append(
            f"{entry}: {runtime} {p50:.2f} ms, {keras / p50:.1f}x faster than Keras eager `model(x)` ({keras:.2f} ms), "
            f"{graph / p50:.1f}x faster than the same Keras graph under tf.function ({graph:.2f} ms)"
        )
    return "\n".join(lines), summary


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--entries", nargs="+", default=ENTRIES)
    p.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    p.add_argument("--seconds", type=float, default=2.0, help="timing per runtime and batch size")
    p.add_argument("--exports", default=None, help="reuse/keep the exports here (default: a temporary folder)")
    p.add_argument("--out", default=str(RESULTS))
    p.add_argument("--write-readme", action="store_true")
    p.add_argument("--write-cards", action="store_true", help="add each entry's figures to its card ('inference')")
    p.add_argument("--from-results", action="store_true", help="only rewrite the README/cards from --out")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        rows = worker(args.entries, args.threads[0], Path(args.exports), args.seconds)
        print(json.dumps(rows))
        return
    if args.from_results:
        return publish(json.loads(Path(args.out).read_text()), args)
    result = measure(args)
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
    publish(result, args)


def measure(args):
    with tempfile.TemporaryDirectory() as scratch:
        exports = Path(args.exports or scratch)
        missing = [n for n in args.entries if not (exports / f"{n}.export.json").is_file()]
        if missing:
            subprocess.run([sys.executable, "-m", "export", *missing, "--out", str(exports)], cwd=ROOT, check=True)
        rows = []
        for threads in args.threads:
            command = [sys.executable, __file__, "--worker", "--threads", str(threads), "--exports", str(exports)]
            done = subprocess.run(
                command + ["--seconds", str(args.seconds), "--entries", *args.entries],
                check=True,
                stdout=subprocess.PIPE,
                text=True,
            )
            rows += json.loads(done.stdout.strip().splitlines()[-1])
    return {
        "command": "python benchmarks/inference.py " + " ".join(sys.argv[1:]),
        "cpu": cpu_flags(),
        "date": time.strftime("%Y-%m-%d"),
        "seconds_per_cell": args.seconds,
        "rows": rows,
    }


def publish(result, args):
    import zoo
    from zoo import registry

    rows = result["rows"]
    entries = list(dict.fromkeys(r["entry"] for r in rows))
    block, summary = table(rows, {n: zoo.card(n) for n in entries})
    print(block)
    print("\n".join(summary))
    if args.write_readme:
        from readme_block import rewrite

        text = (
            f"{block}\n\nBest at batch 1, 1 thread: " + "; ".join(summary) + ".\n\n"
            f"`{result['command'].strip()}` on {result['cpu']}, {result['date']}; {result['seconds_per_cell']:g} s "
            "per cell. MB: file size. Bold: the fastest runtime at batch 1, 1 thread. Metric: see the script's "
            "docstring (float runtimes: the card's figure, parity <= 1e-4; quantized LiteRT: measured through "
            "the interpreter)."
        )
        rewrite("inference", text)
    if args.write_cards:
        for name in entries:
            mine = [r for r in rows if r["entry"] == name]
            path = registry.PRETRAINED_DIR / f"{name}.json"
            card = json.loads(path.read_text())
            card["inference"] = {
                "command": result["command"].strip(),
                "cpu": result["cpu"],
                "date": result["date"],
                "endpoint": mine[0]["endpoint"],
                "input_shapes": mine[0]["input_shapes"],
                "best_batch1_1thread": next(line for line in summary if line.startswith(name + ":")),
                "runtimes": {
                    f"{r['runtime']} ({r['threads']} thread{'s' if r['threads'] > 1 else ''})": {
                        "bytes": r["bytes"],
                        "p50_ms_batch1": round(r["p50_ms"], 3),
                        "p99_ms_batch1": round(r["p99_ms"], 3),
                        "examples_per_s_batch64": round(r["examples_per_s_batch64"], 1),
                    }
                    for r in mine
                },
            }
            path.write_text(json.dumps(card, indent=2) + "\n")


if __name__ == "__main__":
    main()
