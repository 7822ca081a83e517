"""Characters per second of free-running generation with the char LM: recomputing the network over the
context window for every character (the `next_char_logits` endpoint) against one `step` per character
(the recurrent state carried by the caller), in Keras, ONNX Runtime and LiteRT.

    python benchmarks/char_generation.py [--name gru-char-pydoc] [--length 200] [--launches 3] [--write-readme]

Protocol: the prompt is the first `context` (100) characters of the held-out text, so every
recompute call reads a full window of 100 (the length the model was trained on and the fixed length
of its LiteRT file); then 200 characters are sampled at temperature 0.8, seed 0. Recompute: each
character costs one call on the last 100 ids. Step: the prompt is read one character per call, then
one call per character; its time includes reading the prompt. chars/s = 200 / wall time of the whole
generation, one thread everywhere (TensorFlow intra/inter-op 1, ORT intra-op 1, LiteRT 1 thread).
Each (method, runtime) is run in `--launches` separate processes, 3 repeats each after one warm-up;
the table gives the median over launches of each launch's median, and the range. The step runs
must write the same text in every runtime (checked); recompute over a window is a different model
of the text once it is longer than the window, so its text is not compared.
"""

from __future__ import annotations

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
sys.path.insert(0, str(ROOT / "benchmarks"))

from machine import cpu_flags  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "char_generation.json"
CASES = [(m, r) for m in ("recompute", "step") for r in ("keras", "onnx", "litert")]


def one_launch(folder, name, method, runtime, length, repeats=3):
    """Median and all timings of `repeats` generations (after one warm-up) in this process; the text."""
    import numpy as np

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from zoo.serving import decoding

    report = json.loads((Path(folder) / f"{name}.export.json").read_text())
    meta = report["endpoints"]["step"]["meta"]
    vocabulary, context = meta["vocabulary"], report["litert"]["fixed_sequence_length"]
    if runtime == "keras":
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(1)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    from zoo.sequence.charlm import load_text

    text, _ = load_text("pydoc")
    prompt = text[int(len(text) * 0.9) :][:context]
    prompt_ids = [vocabulary.index(c) for c in prompt]

    if method == "step":
        if runtime == "keras":
            import zoo

            model = zoo.load(name)
            run = lambda: model.generate(prompt, length, temperature=0.8, seed=0)  # noqa: E731
        else:
            exported = decoding.ExportedStep(folder, name, runtime, threads=1)
            run = lambda: exported.generate(prompt, length, temperature=0.8, seed=0)  # noqa: E731
    else:
        if runtime == "keras":
            import tensorflow as tf

            import zoo

            model = zoo.load(name)
            window = tf.function(lambda ids: model(ids)[:, -1, :])

            def logits(ids):
                return window(tf.constant(ids[None], tf.int32)).numpy()[0]
        elif runtime == "onnx":
            import onnxruntime as ort

            options = ort.SessionOptions()
            options.intra_op_num_threads = 1
            session = ort.InferenceSession(
                str(Path(folder) / f"{name}.next_char_logits.onnx"), options, providers=["CPUExecutionProvider"]
            )

            def logits(ids):
                return session.run(["logits"], {"ids": ids[None]})[0][0]
        else:
            from ai_edge_litert.interpreter import Interpreter

            runner = Interpreter(model_path=str(Path(folder) / f"{name}.tflite"), num_threads=1).get_signature_runner(
                "next_char_logits"
            )

            def logits(ids):
                return runner(ids=ids[None])["logits"][0]

        def run():
            ids, rng = list(prompt_ids), np.random.default_rng(0)
            for _ in range(length):
                window_ids = np.array(ids[-context:], np.int32)
                ids.append(decoding.sample(logits(window_ids), 0.8, rng))
            return "".join(vocabulary[i] for i in ids[len(prompt_ids) :])

    generated = run()  # warm-up (tracing, first allocation)
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        seconds.append(time.perf_counter() - start)
    return {"chars_per_s": [length / s for s in seconds], "text": generated}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    p.add_argument("--name", default="gru-char-pydoc")
    p.add_argument("--length", type=int, default=200)
    p.add_argument("--launches", type=int, default=3)
    p.add_argument("--exports", help="an existing export folder of --name (default: export into a temp folder)")
    p.add_argument("--write-readme", action="store_true")
    p.add_argument("--child", nargs=3, metavar=("FOLDER", "METHOD", "RUNTIME"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        print(json.dumps(one_launch(args.child[0], args.name, args.child[1], args.child[2], args.length)))
        return
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.exports or scratch
        if not args.exports:
            subprocess.run(
                [sys.executable, "-m", "export", args.name, "--out", folder, "--format", "onnx,litert"],
                cwd=ROOT,
                check=True,
                capture_output=True,
            )
        context = json.loads((Path(folder) / f"{args.name}.export.json").read_text())["litert"]["fixed_sequence_length"]
        results = {}
        for launch in range(args.launches):
            for method, runtime in CASES:
                out = subprocess.run(
                    [sys.executable, __file__, "--name", args.name, "--length", str(args.length)]
                    + ["--child", folder, method, runtime],
                    cwd=ROOT,
                    capture_output=True,
                    text=True,
                    env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
                )
                if out.returncode:
                    raise SystemExit(out.stderr[-2000:])
                line = json.loads(out.stdout.strip().splitlines()[-1])
                entry = results.setdefault(f"{method}/{runtime}", {"launch_medians": [], "texts": set()})
                entry["launch_medians"].append(statistics.median(line["chars_per_s"]))
                entry["texts"].add(line["text"])
                print(f"launch {launch + 1} {method:9s} {runtime:6s} {entry['launch_medians'][-1]:8.1f} chars/s")
    step_texts = set().union(*(results[f"step/{r}"]["texts"] for r in ("keras", "onnx", "litert")))
    rows = {
        key: {
            "median": statistics.median(v["launch_medians"]),
            "min": min(v["launch_medians"]),
            "max": max(v["launch_medians"]),
            "launch_medians": v["launch_medians"],
        }
        for key, v in results.items()
    }
    summary = {
        "name": args.name,
        "machine": cpu_flags(),
        "length": args.length,
        "context": context,
        "launches": args.launches,
        "protocol": __doc__.split("Protocol: ", 1)[1].strip(),
        "step_text_identical_across_runtimes": len(step_texts) == 1,
        "rows": rows,
    }
    if len(step_texts) != 1:
        raise SystemExit(f"step generation differs between runtimes: {step_texts}")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(summary, indent=1) + "\n")
    block = table(summary)
    print(block)
    if args.write_readme:
        from readme_block import rewrite

        rewrite("char-generation", block)


def table(summary):
    rows = summary["rows"]
    lines = [
        f"`{summary['name']}`, {summary['length']} characters after a {summary['context']}-character prompt, 1 thread, "
        f"median [range] over {summary['launches']} process launches; {summary['machine']}.",
        "",
        "| runtime | recompute the window (chars/s) | step with state (chars/s) | step / recompute |",
        "|---|---|---|---|",
    ]
    for runtime in ("keras", "onnx", "litert"):
        r, s = rows[f"recompute/{runtime}"], rows[f"step/{runtime}"]
        lines.append(
            f"| {runtime} | {r['median']:.0f} [{r['min']:.0f}, {r['max']:.0f}] | "
            f"{s['median']:.0f} [{s['min']:.0f}, {s['max']:.0f}] | {s['median'] / r['median']:.1f}× |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
