"""Token-by-token generation over a `step` endpoint, with NumPy and nothing else: the loop a phone or a
server runs on an exported model, and the loop the Keras model's own `generate` runs.

A step endpoint takes one token id per row and the recurrent state from the previous call, and
returns the next token's logits and the next state; generation feeds the prompt one token at a time,
then samples each next token from softmax(logits / temperature) (0: greedy) and feeds it back. Every
call does the same O(1) work, however long the text already is.

    python -m zoo.decoding EXPORT_DIR NAME --runtime onnx --prompt "The " --length 200 --temperature 0.8

runs the exported `NAME.step.onnx` (ONNX Runtime) or `NAME.tflite` (LiteRT, signature `step`); the
vocabulary and state size come from `NAME.export.json`. A sequence-to-sequence export is decoded
greedily with its `encode` and `decode_step` endpoints instead:

    python -m zoo.decoding EXPORT_DIR gru-attention-dates --text "de_DE|12. März 2021"

A melody export writes a new melody (`zoo.music`) as MIDI (and WAV), a text -> image export draws
its prompts into a PNG:

    python -m zoo.decoding EXPORT_DIR gru-bach-chorales --midi new.mid --wav new.wav --seconds 30 --seed 0
    python -m zoo.decoding EXPORT_DIR text2image-emoji --image-prompt "smiling cat" --out cat.png

Neither TensorFlow nor Keras is imported.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from zoo.errors import InputError, ZooError, cli_parser
from zoo.serving.report import ExportReport, ReportError

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


@dataclass(frozen=True)
class Scored:
    """One decoded output with how sure the model was of it.

    log_prob     natural log of the probability the model gives the whole output: the sum of the
                 log-probabilities of its tokens, <end> included where it was produced (0 = certain)
    token_probs  the probability of each of those tokens, in order (the weakest step shows where a
                 doubtful output went wrong)
    """

    text: str
    log_prob: float
    token_probs: tuple

    @property
    def mean_log_prob(self):
        """log_prob per token: comparable between outputs of different lengths."""
        return self.log_prob / max(len(self.token_probs), 1)

    @property
    def min_token_prob(self):
        return min(self.token_probs, default=1.0)


def log_softmax(logits):
    """log softmax over the last axis, in float64 (the same numbers from every runtime's float32 logits)."""
    logits = np.asarray(logits, np.float64)
    shifted = logits - logits.max(-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))


def scored(text, ids, step_log_probs, end=2):
    """`Scored` of one output: `ids` its token ids step by step and `step_log_probs` the log-probability
    of each; the steps up to and including the first <end> count (all of them if none was produced)."""
    ids = np.asarray(ids).reshape(-1)
    stop = int(np.argmax(ids == end)) + 1 if (ids == end).any() else len(ids)
    kept = np.asarray(step_log_probs, np.float64).reshape(-1)[:stop]
    return Scored(text, float(kept.sum()), tuple(float(p) for p in np.exp(kept)))


def greedy_decode(encode, step, source, target_length, start=1, end=2, scores=False):
    """Greedy target ids `[N, target_length]` of a sequence-to-sequence export driven one token per
    call: `encode(source) -> (memory, state)`, then `step(token, state, memory, source) -> (logits,
    state)` fed its own argmax from <start>; rows that produced <end> keep producing it. With
    `scores`, also the log-probability of each chosen token `[N, target_length]` (0 after <end>)."""
    source = np.asarray(source)
    memory, state = encode(source)
    token = np.full(len(source), start, np.int32)
    done = np.zeros(len(source), bool)
    out, log_probs = [], []
    for _ in range(target_length):
        logits, state = step(token, state, memory, source)
        logp = log_softmax(logits)
        token = np.where(done, end, logp.argmax(-1)).astype(np.int32)
        log_probs.append(np.where(done, 0.0, logp.max(-1)))
        done |= token == end
        out.append(token)
    ids = np.stack(out, axis=1)
    return (ids, np.stack(log_probs, axis=1)) if scores else ids


def _exists(file):
    if not file.is_file():
        raise ZooError(f"{file} is missing: export with that format first")
    return file


def exported_endpoints(folder, name, wanted, runtime="onnx", threads=1):
    """(export report, {endpoint: fn(**inputs) -> {output: array}}) for the endpoints `wanted` of
    an export folder, run by ONNX Runtime (`NAME.<endpoint>.onnx`) or LiteRT (`NAME.tflite`)."""
    folder = Path(folder)
    report_file = ExportReport.path(folder, name)
    if not report_file.is_file():
        raise ZooError(f"no export report {report_file}: run `python -m export {name} --out {folder}` first")
    try:
        report = ExportReport.read(report_file)
    except ReportError as exc:
        raise ZooError(str(exc)) from None
    missing = [e for e in wanted if e not in report.endpoints]
    if missing:
        hint = {  # the other mode of this command, where the export has what it needs
            "step": "; a sequence-to-sequence export translates with --text 'SOURCE' instead of --prompt",
            "encode": "; a character language model generates with --prompt 'TEXT' instead of --text",
        }
        fits = next((hint[e] for e in missing if e in hint and _other_mode(e, report.endpoints)), "")
        raise ZooError(f"export '{name}' has no {' / '.join(missing)} endpoint: nothing to decode with{fits}")
    runners = {}
    if runtime == "onnx":
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        for endpoint in wanted:
            session = ort.InferenceSession(
                str(_exists(folder / f"{name}.{endpoint}.onnx")), options, providers=["CPUExecutionProvider"]
            )
            names = [o.name for o in session.get_outputs()]
            runners[endpoint] = lambda session=session, names=names, **x: dict(zip(names, session.run(names, x)))
    elif runtime == "litert":
        from ai_edge_litert.interpreter import Interpreter

        interpreter = Interpreter(model_path=str(_exists(folder / f"{name}.tflite")), num_threads=threads)
        runners = {endpoint: interpreter.get_signature_runner(endpoint) for endpoint in wanted}
    else:
        raise InputError(f"unknown runtime '{runtime}'; choose one of {', '.join(RUNTIMES)}")
    return report, runners


def _other_mode(missing, endpoints):
    """Whether the export serves the other mode of `zoo.decoding` (translate vs generate)."""
    return ("translate" in endpoints or "encode" in endpoints) if missing == "step" else "step" in endpoints


class ExportedStep:
    """The char LM's exported `step` as a NumPy function `(ids, state) -> (logits, state)`."""

    def __init__(self, folder, name, runtime="onnx", threads=1):
        report, runners = exported_endpoints(folder, name, ["step"], runtime, threads)
        self.meta, self.runtime, self._step = report.meta("step"), runtime, runners["step"]
        self.vocabulary, self.state_size = self.meta["vocabulary"], int(self.meta["state_size"])

    def initial_state(self):
        return np.zeros((1, self.state_size), np.float32)

    def encode(self, text):
        unknown = sorted({c for c in text if c not in self.vocabulary})
        if unknown:
            raise InputError(f"characters not in the model's vocabulary: {unknown[:10]!r}")
        return [self.vocabulary.index(c) for c in text]

    def __call__(self, ids, state):
        out = self._step(ids=np.asarray(ids, np.int32), state=np.asarray(state, np.float32))
        return np.asarray(out["logits"]), np.asarray(out["next_state"])

    def generate(self, prompt, length=200, temperature=1.0, seed=0):
        """The text the exported model writes after `prompt` (the same as the Keras model's
        `generate` with the same arguments)."""
        ids = generate(self, self.encode(prompt), self.initial_state(), length, temperature, seed)
        return "".join(self.vocabulary[i] for i in ids)


class ExportedTranslator:
    """A sequence-to-sequence export's `encode` + `decode_step`, decoded greedily in NumPy."""

    def __init__(self, folder, name, runtime="onnx", threads=1):
        report, runners = exported_endpoints(folder, name, ["encode", "decode_step"], runtime, threads)
        self.meta = report.meta("encode")
        self._encode, self._step = runners["encode"], runners["decode_step"]

    def source_ids(self, texts):
        offset, length = self.meta["specials"]["offset"], self.meta["source_length"]
        vocabulary = self.meta["source_vocabulary"]
        out = np.zeros((len(texts), length), np.int32)
        locales = self.meta.get("locales")
        for row, text in enumerate(texts):
            if locales and text.partition("|")[0] not in locales:
                raise InputError(
                    f"text {row} must start with one of the model's locales and '|' (e.g. 'de_DE|12. März 2021'), "
                    f"got {text[:20]!r}"
                )
            unknown = sorted({c for c in text if c not in vocabulary})
            if unknown or not text or len(text) > length:
                raise InputError(
                    f"text {row} must be 1 to {length} characters of the model's vocabulary"
                    + (f"; not in it: {unknown[:10]!r}" if unknown else "")
                )
            out[row, : len(text)] = [vocabulary.index(c) + offset for c in text]
        return out

    def translate(self, texts, return_scores=False):
        """The greedy translation of each text; with `return_scores`, a `Scored` for each (the same
        log-probabilities as the Keras model's `translate(..., return_scores=True)`)."""
        specials, vocabulary = self.meta["specials"], self.meta["target_vocabulary"]

        def encode(source):
            out = self._encode(source=source)
            return out["memory"], out["state"]

        def step(token, state, memory, source):
            out = self._step(token=token, state=state, memory=memory, source=source)
            return out["logits"], out["next_state"]

        ids, log_probs = greedy_decode(
            encode,
            step,
            self.source_ids(texts),
            self.meta["target_length"],
            specials["start"],
            specials["end"],
            scores=True,
        )
        texts_out = []
        for row in ids:
            ended = list(row).index(specials["end"]) if specials["end"] in row else len(row)
            texts_out.append(
                "".join(vocabulary[i - specials["offset"]] for i in row[:ended] if i >= specials["offset"])
            )
        if not return_scores:
            return texts_out
        return [scored(t, row, lp, specials["end"]) for t, row, lp in zip(texts_out, ids, log_probs)]


class ExportedTextToImage:
    """A text -> image export's `generate` endpoint with its tokenizer (`zoo.serving.prompts`, the
    vocabulary from the export report): prompts in, images out, with NumPy and a runtime only."""

    def __init__(self, folder, name, runtime="onnx", threads=1):
        from zoo.serving import prompts

        report, runners = exported_endpoints(folder, name, ["generate"], runtime, threads)
        self.meta, self._generate, self._prompts = report.meta("generate"), runners["generate"], prompts
        self.vocabulary, self.text_length = self.meta["vocabulary"], int(self.meta["text_length"])
        self.latent_dim = int(report.inputs("generate")["z"]["shape"][-1])

    def tokens(self, texts):
        ids, unknown = self._prompts.encode(texts, self.vocabulary, self.text_length)
        self._prompts.warn_unknown(unknown)
        return ids

    def generate(self, texts, seed=0):
        """One image per prompt, float32 [N, H, W, 3] in [0, 1]: the same as the Keras model's
        `generate(texts, seed)` (latents drawn the same way from `seed`)."""
        ids = self.tokens(texts)
        z = np.random.default_rng(seed).standard_normal((len(ids), self.latent_dim)).astype(np.float32)
        return np.asarray(self._generate(tokens=ids, z=z)["images"])


def main(argv=None):
    from zoo import checks

    p = cli_parser(prog="python -m zoo.decoding", description=" ".join(__doc__.split("\n\n")[0].split()))
    p.add_argument("folder", help="export folder (python -m export NAME --out FOLDER)")
    p.add_argument("name", help="the export's name")
    p.add_argument("--runtime", choices=RUNTIMES, default="onnx", help="ONNX Runtime or the LiteRT interpreter")
    p.add_argument("--prompt", default="The ", help="text to start from (characters of the vocabulary)")
    p.add_argument("--length", type=checks.positive_int, default=200, help="characters to write")
    p.add_argument("--temperature", type=checks.non_negative_float, default=1.0, help="0: greedy")
    p.add_argument("--seed", type=checks.seed_flag, default=0, help="seeds the sampling")
    p.add_argument(
        "--text",
        action="append",
        default=[],
        help="sequence-to-sequence exports: a source text to translate greedily (repeatable), e.g. "
        "'de_DE|12. März 2021'",
    )
    p.add_argument("--midi", default=None, help="melody exports (gru-bach-chorales): write a new melody to this .mid")
    p.add_argument("--wav", default=None, help="with --midi: also render it to this .wav")
    p.add_argument("--seconds", type=checks.positive_float, default=30.0, help="with --midi: the melody's length")
    p.add_argument("--mode", choices=("major", "minor"), default="major", help="with --midi: C major or A minor")
    p.add_argument(
        "--image-prompt",
        action="append",
        default=[],
        help="text -> image exports: a prompt to draw (repeatable), e.g. 'grinning face'; needs --out FILE.png",
    )
    p.add_argument("--out", default=None, help="with --image-prompt: the PNG to write (one image per prompt, in a row)")
    p.add_argument(
        "--scores",
        action="store_true",
        help="with --text: print each translation's log-probability and its least sure token's probability",
    )
    args = p.parse_args(argv)
    if args.scores and not args.text:
        p.error("--scores goes with --text (the scores of translations)")
    if args.wav and not args.midi:
        p.error("--wav goes with --midi (the melody it renders)")
    for path, suffix in ((args.midi, ".mid"), (args.wav, ".wav")):
        if path:
            try:
                checks.output_file(path, suffix)
            except ZooError as exc:
                p.error(str(exc))
    if bool(args.image_prompt) != bool(args.out):
        p.error("--image-prompt and --out go together (the prompts, and the PNG that shows their images)")
    if args.out:
        try:
            checks.output_file(args.out, ".png")
        except ZooError as exc:
            p.error(str(exc))
    try:
        if args.midi:
            from zoo import music

            step = ExportedStep(args.folder, args.name, args.runtime)
            piece = music.compose(step.generate, args.seconds, args.seed, args.temperature, args.mode)
            piece.write_midi(args.midi)
            if args.wav:
                piece.write_wav(args.wav)
            print(
                f"wrote {args.midi}" + (f" and {args.wav}" if args.wav else "") + f": {len(piece.notes)} notes, "
                f"{piece.seconds:.1f} s"
            )
            return
        if args.image_prompt:
            import warnings

            from zoo.images import grid, save_png

            drawer = ExportedTextToImage(args.folder, args.name, args.runtime)
            with warnings.catch_warnings(record=True) as dropped:
                warnings.simplefilter("always")
                images = drawer.generate(args.image_prompt, args.seed)
            for note in dropped:
                print(f"note: {note.message}", file=sys.stderr)
            save_png(grid(images, cols=len(images)), args.out, scale=2)
            print(f"wrote {args.out} ({len(images)} images: {', '.join(map(repr, args.image_prompt))})")
            return
        if args.text:
            translator = ExportedTranslator(args.folder, args.name, args.runtime)
            for out in translator.translate(args.text, return_scores=args.scores):
                print(
                    f"{out.text}\tlog_prob {out.log_prob:.4f}\tmin_token_prob {out.min_token_prob:.4f}"
                    if args.scores
                    else out
                )
            return
        step = ExportedStep(args.folder, args.name, args.runtime)
        print(args.prompt + step.generate(args.prompt, args.length, args.temperature, args.seed))
    except ZooError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
