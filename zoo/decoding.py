"""Token-by-token generation over a `step` endpoint, with NumPy and nothing else: the loop a phone or a
server runs on an exported model, and the loop the Keras model's own `generate` runs.

A step endpoint takes one token id per row and the recurrent state from the previous call, and
returns the next token's logits and the next state; generation feeds the prompt one token at a time,
then samples each next token from softmax(logits / temperature) (0: greedy) and feeds it back. Every
call does the same O(1) work, however long the text already is.

    python -m zoo.decoding EXPORT_DIR NAME --runtime onnx --prompt "The " --length 200 --temperature 0.8

runs the exported `NAME.step.onnx` (ONNX Runtime) or `NAME.tflite` (LiteRT, signature `step`); the
vocabulary and state size come from `NAME.export.json`. Neither TensorFlow nor Keras is imported.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from zoo.errors import InputError, ZooError, cli_parser

RUNTIMES = ("onnx", "litert")


def sample(logits, temperature, rng):
    """The next token id from one row of logits: argmax at temperature 0, else a draw from
    softmax(logits / temperature) with `rng` (computed in float64, so every runtime's float32 logits
    that agree to ~1e-5 pick the same token except at a near-tie)."""
    logits = np.asarray(logits, np.float64)
    if temperature == 0:
        return int(logits.argmax())
    p = np.exp((logits - logits.max()) / temperature)
    return int(rng.choice(len(p), p=p / p.sum()))


def generate(step, prompt_ids, state, length, temperature=1.0, seed=0):
    """`length` token ids after `prompt_ids`, generated with `step(ids [1], state [1, S]) -> (logits
    [1, V], state [1, S])` from `state` (the model's initial state). The prompt is read one token per
    call; `seed` seeds NumPy's generator, so the same step function gives the same text."""
    prompt_ids = [int(i) for i in np.asarray(prompt_ids).reshape(-1)]
    if not prompt_ids:
        raise InputError("the prompt is empty: generation needs at least one token to start from")
    rng = np.random.default_rng(seed)
    state = np.asarray(state, np.float32)
    for token in prompt_ids:
        logits, state = step(np.array([token], np.int32), state)
    out = []
    for _ in range(length):
        out.append(sample(np.asarray(logits)[0], temperature, rng))
        if len(out) < length:
            logits, state = step(np.array([out[-1]], np.int32), state)
    return out


class ExportedStep:
    """The `step` endpoint of an export folder as a NumPy function `(ids, state) -> (logits, state)`,
    run by ONNX Runtime (`NAME.step.onnx`) or the LiteRT interpreter (`NAME.tflite`)."""

    def __init__(self, folder, name, runtime="onnx", threads=1):
        folder = Path(folder)
        report_file = folder / f"{name}.export.json"
        if not report_file.is_file():
            raise ZooError(f"no export report {report_file}: run `python -m export {name} --out {folder}` first")
        endpoint = json.loads(report_file.read_text())["endpoints"].get("step")
        if endpoint is None or "meta" not in endpoint:
            raise ZooError(f"export '{name}' has no step endpoint (one character per call): nothing to generate with")
        self.meta, self.runtime = endpoint["meta"], runtime
        self.vocabulary, self.state_size = self.meta["vocabulary"], int(self.meta["state_size"])
        if runtime == "onnx":
            import onnxruntime as ort

            file = folder / f"{name}.step.onnx"
            options = ort.SessionOptions()
            options.intra_op_num_threads = threads
            self._session = ort.InferenceSession(str(self._exists(file)), options, providers=["CPUExecutionProvider"])
            self._run = lambda ids, state: self._session.run(["logits", "next_state"], {"ids": ids, "state": state})
        elif runtime == "litert":
            from ai_edge_litert.interpreter import Interpreter

            interpreter = Interpreter(model_path=str(self._exists(folder / f"{name}.tflite")), num_threads=threads)
            runner = interpreter.get_signature_runner("step")

            def run(ids, state):
                out = runner(ids=ids, state=state)
                return out["logits"], out["next_state"]

            self._run = run
        else:
            raise InputError(f"unknown runtime '{runtime}'; choose one of {', '.join(RUNTIMES)}")

    @staticmethod
    def _exists(file):
        if not file.is_file():
            raise ZooError(f"{file} is missing: export with that format first")
        return file

    def initial_state(self):
        return np.zeros((1, self.state_size), np.float32)

    def encode(self, text):
        unknown = sorted({c for c in text if c not in self.vocabulary})
        if unknown:
            raise InputError(f"characters not in the model's vocabulary: {unknown[:10]!r}")
        return [self.vocabulary.index(c) for c in text]

    def __call__(self, ids, state):
        logits, state = self._run(np.asarray(ids, np.int32), np.asarray(state, np.float32))
        return np.asarray(logits), np.asarray(state)

    def generate(self, prompt, length=200, temperature=1.0, seed=0):
        """The text the exported model writes after `prompt` (the same as the Keras model's
        `generate` with the same arguments)."""
        ids = generate(self, self.encode(prompt), self.initial_state(), length, temperature, seed)
        return "".join(self.vocabulary[i] for i in ids)


def main(argv=None):
    from zoo import checks

    p = cli_parser(prog="python -m zoo.decoding", description=__doc__.strip().splitlines()[0])
    p.add_argument("folder", help="export folder (python -m export NAME --out FOLDER)")
    p.add_argument("name", help="the export's name")
    p.add_argument("--runtime", choices=RUNTIMES, default="onnx", help="ONNX Runtime or the LiteRT interpreter")
    p.add_argument("--prompt", default="The ", help="text to start from (characters of the vocabulary)")
    p.add_argument("--length", type=checks.positive_int, default=200, help="characters to write")
    p.add_argument("--temperature", type=checks.non_negative_float, default=1.0, help="0: greedy")
    p.add_argument("--seed", type=checks.seed_flag, default=0, help="seeds the sampling")
    args = p.parse_args(argv)
    try:
        step = ExportedStep(args.folder, args.name, args.runtime)
        print(args.prompt + step.generate(args.prompt, args.length, args.temperature, args.seed))
    except ZooError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
