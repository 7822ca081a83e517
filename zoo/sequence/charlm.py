"""Character-level language model (one-to-many generation): token ids -> recurrent stack ->
next-character logits at every step.

Training uses teacher forcing: the input at step t is the *true* character t, the target the true
character t + 1. Generation is free-running: each sampled character is fed back as the next input
(temperature-scaled softmax sampling, seeded). Held-out figure: bits per character on the last
tenth of the text, teacher-forced.

Texts: "pydoc" is the Python language reference that ships with CPython itself (the
`pydoc_data.topics` help texts, ~465,000 characters of English technical prose); "tfds:<name>"
reads the text feature of a TFDS text dataset (e.g. tfds:tiny_shakespeare, tfds:imdb_reviews);
"text:FILE" or "text:DIR" is your own UTF-8 text (`zoo.sequence.textfile` says how it is read). The
held-out part is always the text's last tenth.
"""

from __future__ import annotations

import math
import sys

import zoo._tensorflow  # noqa: F401  (TensorFlow, loaded quietly)

import keras
import numpy as np
import tensorflow as tf

from zoo import checks
from zoo.data import TokenChunks
from zoo.errors import DataError, InputError, UnknownNameError
from zoo.registry import register_architecture
from zoo.sequence import textfile
from zoo.sequence.base import SequenceModel
from zoo.serving.endpoints import Endpoint, Input


def _pydoc_text():
    from pydoc_data.topics import topics

    return "\n\n".join(topics[key] for key in sorted(topics))


def load_text(name):
    """(text, description) of a named text, in memory (your own text is streamed by `load_chunks`)."""
    return _load_text(name)[:2]


def _load_text(name):
    """(text, description, recipe facts) of a named text."""
    if textfile.is_text_name(name):
        return textfile.read(name)
    if name == "pydoc":
        return (
            _pydoc_text(),
            f"Python {sys.version_info.major}.{sys.version_info.minor} language reference topics "
            f"(pydoc_data.topics, ships with CPython)",
            {},
        )
    if name.startswith("tfds:"):
        import tensorflow_datasets as tfds

        try:
            data = tfds.load(name[5:], split="train")
        except Exception as exc:  # network, registration, checksum
            raise DataError(
                f"could not load TFDS dataset '{name[5:]}' ({type(exc).__name__}); offline, use --dataset pydoc"
            ) from None
        key = next((k for k in ("text", "sentence", "content") if k in data.element_spec), None)
        if key is None:
            raise DataError(f"TFDS dataset '{name[5:]}' has no text feature (features: {sorted(data.element_spec)})")
        text = "\n".join(x[key].decode("utf-8", "replace") for x in tfds.as_numpy(data))
        return text, f"TFDS {name[5:]} ('{key}' feature)", {}
    raise UnknownNameError(f"unknown text '{name}'; use pydoc (offline), text:FILE_OR_DIR or tfds:<name>")


def load_stream(name):
    """(ids, vocabulary, sha256, description, recipe facts) of a named text: the ids a 1-D array of
    every character (memory-mapped from the cache for your own files, which are streamed)."""
    if textfile.is_text_name(name):
        ids, vocabulary, sha256, characters, files = textfile.encoded(name)
        return (ids, vocabulary, sha256, *textfile.describe(name, files, characters))
    text, description, facts = _load_text(name)
    ids, vocabulary = textfile.encode(text)
    return ids, vocabulary, textfile.fingerprint(text), description, facts


TEST_FRACTION = 0.1  # the held-out part: the text's last 10%
SCORED_CHARACTERS = 2_000_000  # held-out characters scored at most (a 1 GB text: its first 2 million)
COMPRESSOR_CONTEXT = 8_000_000  # training characters the compressors read first, at most (the last ones)


def load_chunks(name, split, length, test_fraction=TEST_FRACTION, sha256=None):
    """TokenChunks of (ids [length], next ids [length]) chunks of the text's `split` part; the
    vocabulary (every character of the whole text, sorted) is in `info`. `sha256`: the fingerprint
    a trained model recorded; a text that changed since is refused."""
    ids, vocabulary, fingerprint, description, facts = load_stream(name)
    if sha256 and fingerprint != sha256:
        raise DataError(f"{name[len(textfile.SCHEME) :] if facts else name} changed since the model was trained on it")
    if len(ids) < 20 * (length + 1):
        raise DataError(
            f"text '{name}' has {len(ids)} characters: too short for sequences of {length} "
            f"(at least {20 * (length + 1)}; a smaller --context needs less)"
        )
    if facts:
        name = textfile.SCHEME + facts["path"]  # the absolute path: the run reads it back from anywhere
    cut = int(len(ids) * (1 - test_fraction))
    part = ids[:cut] if split == "train" else ids[cut:]
    info = {
        "vocabulary": vocabulary,
        "description": description,
        "characters": len(part),
        "sha256": fingerprint,
        "recipe": facts,
    }
    return TokenChunks.of(name, split, part, length, info)


def compressor_bits_per_char(train_text, test_text):
    """Bits per character that general-purpose compressors spend on `test_text` (UTF-8): alone, and
    given `train_text` first (size of train+test compressed minus train compressed: the compressor's
    analogue of having trained on the training text). gzip -9 (32 KB window) and xz -9 (LZMA2)."""
    import gzip
    import lzma

    compressors = {
        "gzip-9": lambda data: len(gzip.compress(data, compresslevel=9, mtime=0)),
        "xz-9": lambda data: len(lzma.compress(data, preset=9)),
    }
    train, test = train_text.encode("utf-8"), test_text.encode("utf-8")
    result = {}
    for name, size in compressors.items():
        result[name] = {
            "alone": 8.0 * size(test) / len(test_text),
            "after_training_text": 8.0 * (size(train + test) - size(train)) / len(test_text),
        }
    return result


@register_architecture("char-lm")
class CharLanguageModel(SequenceModel):
    """ids `[N, T]` int32 -> logits `[N, T, vocabulary]` of each next character."""

    return_sequences = True
    task_metric_names = ("bits_per_char",)

    def __init__(self, vocabulary="", embedding_dim=64, context=100, cell="gru", **kwargs):
        if cell == "bilstm":
            raise InputError("a language model predicts from the past only: a bidirectional cell would see the answer")
        if len(vocabulary) < 2 or len(set(vocabulary)) != len(vocabulary):
            raise InputError("vocabulary must be a string of at least 2 distinct characters")
        self.vocabulary, self.embedding_dim, self.context = vocabulary, int(embedding_dim), int(context)
        self.lookup = {c: i for i, c in enumerate(vocabulary)}
        super().__init__(cell=cell, **kwargs)

    def get_config(self):
        return {
            **super().get_config(),
            "vocabulary": self.vocabulary,
            "embedding_dim": self.embedding_dim,
            "context": self.context,
        }

    @property
    def dataset(self):
        """The text the run was trained on (its recipe), e.g. "pydoc" or "tfds:tiny_shakespeare"."""
        return (self.recipe or {}).get("dataset", "pydoc")

    @property
    def mobile_length(self):
        return self.context

    def input_layers(self):
        return [
            keras.Input((self.fixed_length,), dtype="int32"),
            keras.layers.Embedding(len(self.vocabulary), self.embedding_dim),
        ]

    def head(self):
        return [keras.layers.Dense(len(self.vocabulary), name="logits")]

    def per_example_loss(self, targets, logits):
        return tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(targets, logits, from_logits=True), axis=1)

    def task_metrics(self, targets, logits):
        nats = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(targets, logits, from_logits=True))
        return {"bits_per_char": nats / math.log(2.0)}

    # --- one character per call: the recurrent state carried by the caller ---------------------------
    @property
    def state_size(self):
        """Width of the `state` vector `step` takes and returns: every layer's state, concatenated
        (GRU: h; LSTM: h then c)."""
        return self.depth * self.units * (2 if self.cell == "lstm" else 1)

    def initial_state(self, batch=1):
        """The state before the first character: zeros `[batch, state_size]`, as in training."""
        return np.zeros((checks.count(batch, "batch"), self.state_size), np.float32)

    def step(self, ids, state):
        """(logits `[N, vocabulary]`, next state `[N, state_size]`) after reading one character per
        row: the same cells as the full network, run for one time step (O(1) work per character)."""
        self._cells_for(training=False)
        embedding, *recurrent, dense = self.network.layers
        x, states, width = embedding(ids), [], self.units * (2 if self.cell == "lstm" else 1)
        for i, layer in enumerate(recurrent):
            own = state[:, i * width : (i + 1) * width]
            previous = [own[:, : self.units], own[:, self.units :]] if self.cell == "lstm" else [own]
            x, new = layer.cell(x, previous, training=False)
            states.extend(new)
        return dense(x), tf.concat(states, axis=-1)

    def endpoints(self):
        def next_char_logits(ids):
            return {"logits": self(ids)[:, -1, :]}

        def step(ids, state):
            logits, next_state = self.step(ids, state)
            return {"logits": logits, "next_state": next_state}

        size = len(self.vocabulary)
        return {
            "next_char_logits": Endpoint(
                "next_char_logits",
                next_char_logits,
                {"ids": Input((None, self.fixed_length), "int32", low=0, high=len(self.vocabulary) - 1)},
                doc=f"character ids [N, T] (0..{len(self.vocabulary) - 1}, see the card's vocabulary) -> logits "
                f"of the next character",
                outputs=("logits",),
            ),
            "step": Endpoint(
                "step",
                step,
                {
                    "ids": Input((None,), "int32", low=0, high=size - 1),
                    "state": Input((None, self.state_size), "float32"),
                },
                doc=f"one character id per row (0..{size - 1}) and the state from the previous call (zeros "
                f"[N, {self.state_size}] at the start) -> logits of the next character and the next state",
                outputs=("logits", "next_state"),
                meta={"vocabulary": self.vocabulary, "state_size": self.state_size, "cell": self.cell},
            ),
        }

    # --- text in, text out ------------------------------------------------------------------------
    api = ("encode", "decode", "generate", "step_logits", "initial_state")

    def encode(self, text):
        """Character ids `[len(text)]` of `text` (every character must be in the vocabulary)."""
        if not isinstance(text, str):
            raise InputError(f"text must be a string, got {type(text).__name__}")
        unknown = sorted({c for c in text if c not in self.lookup})
        if unknown:
            raise InputError(f"characters not in the model's vocabulary: {unknown[:10]!r}")
        if not text:
            raise InputError("empty text")
        return np.array([self.lookup[c] for c in text], np.int32)

    def _ids(self, ids):
        ids = checks.array(ids, "ids")
        size = len(self.vocabulary)
        if ids.ndim != 1 or not np.issubdtype(ids.dtype, np.integer):
            raise InputError(f"ids must be a 1-D sequence of integers, got {ids.dtype} {list(ids.shape)}")
        if ids.size and (ids.min() < 0 or ids.max() >= size):
            raise InputError(f"ids must lie in [0, {size - 1}] (the vocabulary), got [{ids.min()}, {ids.max()}]")
        return ids.astype(np.int32)

    def decode(self, ids):
        """The text of character ids in [0, vocabulary size)."""
        return "".join(self.vocabulary[i] for i in self._ids(ids))

    def step_logits(self, ids):
        """Teacher-forced logits `[T, vocabulary]` for every position of one id sequence."""
        ids = self._ids(ids)
        if not ids.size:
            raise InputError("ids is empty")
        return np.asarray(self(tf.constant(ids[None]))[0])

    def generate(self, prompt, length=200, temperature=1.0, seed=0):
        """Free-running generation: `length` characters after `prompt`, each sampled from the
        softmax of logits / temperature and fed back (temperature 0: greedy). One `step` per
        character: the whole text so far is carried in the recurrent state, never recomputed --
        the loop (`zoo.decoding.generate`) is the one a client runs on the exported `step`."""
        from zoo.serving import decoding

        length, temperature = checks.count(length, "length"), checks.number(temperature, "temperature", low=0)
        step = self.endpoint("step").fn  # compiled once per model; ids and state are checked by the loop

        def run(ids, state):
            out = step(ids=tf.constant(ids, tf.int32), state=tf.constant(state, tf.float32))
            return out["logits"].numpy(), out["next_state"].numpy()

        ids = decoding.generate(run, self.encode(prompt), self.initial_state(), length, temperature, checks.seed(seed))
        return self.decode(ids)

    def data(self, split):
        # your own text is checked against its fingerprint (a changed file is refused); pydoc's text
        # follows the Python version, and its vocabulary check (calibration_inputs) covers it
        own = textfile.is_text_name(self.dataset)
        return load_chunks(self.dataset, split, self.context, sha256=(self.recipe or {}).get("sha256") if own else None)

    def calibration_inputs(self, n=64):
        chunks = self.data("train")
        if chunks.info["vocabulary"] != self.vocabulary:  # trained on another text: declared draws instead
            return {}
        return {"next_char_logits": {"ids": chunks.inputs[:n]}}

    def held_out_chunks(self, test_set):
        """(inputs, targets) `[N, T]` ids that the held-out figure scores: the test chunks, at most
        SCORED_CHARACTERS targets (a bounded evaluation); each chunk read from the zero state."""
        rows = min(len(test_set), SCORED_CHARACTERS // test_set.inputs.shape[1])
        return np.asarray(test_set.inputs[:rows]), np.asarray(test_set.targets[:rows])

    def step_nats(self, inputs, targets, batch=512):
        """(summed negative log-likelihood in nats, tokens) of `targets` given `inputs` `[N, T]`, read one
        token per call of the `step` endpoint from the zero state: the figure an export's `step` gives
        (the held-out figure again, measured through whatever runs that endpoint)."""
        from zoo.serving.decoding import log_softmax

        step = self.endpoint("step").fn
        nats, count = 0.0, 0
        for i in range(0, len(inputs), batch):
            ids, wanted = np.asarray(inputs[i : i + batch], np.int32), np.asarray(targets[i : i + batch])
            state = self.initial_state(len(ids))
            for t in range(ids.shape[1]):
                out = step(ids=tf.constant(ids[:, t]), state=tf.constant(state))
                log_probs, state = log_softmax(out["logits"]), np.asarray(out["next_state"], np.float32)
                nats -= float(log_probs[np.arange(len(ids)), wanted[:, t]].sum())
            count += wanted.size
        return nats, count

    def held_out_metrics(self, test_set):
        chunks, answers = self.held_out_chunks(test_set)
        rows = len(chunks)
        nats, count = 0.0, 0
        for i in range(0, rows, 64):
            inputs, targets = chunks[i : i + 64], answers[i : i + 64]
            ce = keras.losses.sparse_categorical_crossentropy(targets, self(tf.constant(inputs)), from_logits=True)
            nats += float(tf.reduce_sum(ce))
            count += int(np.prod(ce.shape))
        # The compressors see exactly the characters scored: the targets of the test chunks.
        ids, vocabulary, *_ = load_stream(self.dataset)
        cut = int(len(ids) * (1 - TEST_FRACTION))
        scored = textfile.decode(ids[cut + 1 : cut + 1 + count], vocabulary)
        before = textfile.decode(ids[max(0, cut - COMPRESSOR_CONTEXT) : cut], vocabulary)
        # "The " for English texts (the shipped card's prompt); else the held-out text's first characters
        prompt = "The " if all(c in self.lookup for c in "The ") else textfile.decode(ids[cut : cut + 4], vocabulary)
        of_test = "" if rows == len(test_set) else f" (its first {count:,} characters)"
        of_train = "" if cut <= COMPRESSOR_CONTEXT else f" (its last {COMPRESSOR_CONTEXT:,} characters)"
        return {
            "test_bits_per_char": nats / count / math.log(2.0),
            "test_characters": count,
            "protocol": f"teacher-forced on the last 10% of the text{of_test} in chunks of {test_set.inputs.shape[1]}",
            "compressors_bits_per_char": compressor_bits_per_char(before, scored),
            "compressors_protocol": "the same scored characters, UTF-8; 'after_training_text': compressed size "
            f"of training text{of_train} + scored text minus that of the training text alone",
            "sample_prompt": prompt,
            "sample_temperature_0.8": self.generate(prompt, 160, temperature=0.8, seed=0),
        }
