"""Sequence to sequence with attention (many-to-many, unaligned): a recurrent encoder reads the source
characters, a recurrent decoder writes the target characters one at a time, attending to the
encoder's outputs at every step (Luong et al. 2015, "general" score; or Bahdanau et al. 2015,
additive score).

    source ids [N, S] (0 = padding) -> embedding -> encoder (cell x depth, masked) -> memory [N, S, E]
    bridge: tanh(W . mean of memory over the real positions) -> the decoder's first state
    decoder step t: token y_{t-1} -> embedding -> decoder cells -> h_t
                    attention a_t = softmax(score(h_t, memory)) over the real source positions
                    c_t = a_t . memory;  o_t = tanh(W_o [h_t; c_t]);  logits_t = W_y o_t

Training is teacher forcing (`train_step`): the decoder reads <start> + the true target and predicts
the true target + <end>, with the loss masked on padding. Decoding is greedy (`translate`, also the
exported `translate` endpoint: a fixed number of steps, argmax fed back) or beam search in the
Python API (`translate(..., beam=K)`). The decoder also exports `encode` + `decode_step`, for a
client that decodes one token per call (`zoo.decoding`).

Data (`load_dates`): calendar dates as CLDR writes them in 24 Latin-script locales, four styles each
("3/12/21", "12. März 2021", "viernes, 12 de marzo de 2021"; Babel's locale data, offline), with the
locale tag in front ("de_DE|12. März 2021") -> ISO 8601 "2021-03-12". Held out: test dates never seen
in training, (locale, style) pairs never seen in training, and three locales never seen at all.
"""

from __future__ import annotations

import datetime
import hashlib

import zoo._tensorflow  # noqa: F401  (TensorFlow, loaded quietly)

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from zoo import checks
from zoo.contract import ZooModel
from zoo.data import ArraySet
from zoo.errors import DataError, InputError, UnknownNameError
from zoo.registry import register_architecture
from zoo.sequence.base import CELLS, recurrent_stack
from zoo.serving.decoding import log_softmax, scored
from zoo.serving.endpoints import Endpoint, Input
from zoo.training import OneOptimizer, apply_gradients, loss_scale, scaled_gradient

PAD, START, END = 0, 1, 2
SPECIALS = 3  # ids below this are not characters
ATTENTIONS = ("luong", "bahdanau", "none")

# --- data: dates in many locales -> ISO 8601 ---------------------------------------------------------
TRAIN_LOCALES = (
    *("en_US", "en_GB", "en_IN", "fr_FR", "fr_CA", "fr_CH", "de_DE", "de_CH", "es_ES", "es_MX", "pt_PT", "pt_BR"),
    *("it_IT", "nl_NL", "nl_BE", "sv_SE", "da_DK", "nb_NO", "pl_PL", "ro_RO", "id_ID", "ca_ES", "en_AU", "fi_FI"),
)
UNSEEN_LOCALES = ("es_AR", "fr_BE", "it_CH")  # regional variants whose tags never occur in training
STYLES = ("short", "medium", "long", "full")
FIRST_DAY, DAYS = datetime.date(1950, 1, 1), 36524  # 1950-01-01 .. 2049-12-31
SOURCE_LENGTH, TARGET_LENGTH = 48, 11  # characters of tag|text (padded); 10 ISO characters + <end>


def _hash_share(key):
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) / 16**8


def _date_examples(per_pair, split):
    """(source text, ISO text, group) triples. Dates: a test date is one whose hash share < 0.1, so
    train and test dates never meet. Pairs: 10% of (locale, style) pairs (by hash) are test-only."""
    from babel.dates import format_date

    rng = np.random.default_rng(0 if split == "train" else 1)
    examples = []
    for locale in TRAIN_LOCALES + UNSEEN_LOCALES:
        for style in STYLES:
            unseen_pair = locale in UNSEEN_LOCALES or _hash_share(f"{locale}/{style}") < 0.1
            group = "unseen locale" if locale in UNSEEN_LOCALES else "unseen format" if unseen_pair else "unseen date"
            if split == "train" and unseen_pair:
                continue
            taken = 0
            while taken < per_pair:
                day = FIRST_DAY + datetime.timedelta(days=int(rng.integers(DAYS)))
                if (_hash_share(day.isoformat()) < 0.1) != (split == "test"):
                    continue
                text = f"{locale}|{format_date(day, style, locale=locale)}"
                examples.append((text, day.isoformat(), group))
                taken += 1
    return examples


def date_vocabularies():
    """(source characters, target characters): every character any locale writes a date with (one
    date of every month and weekday in every style), and the ISO digits."""
    from babel.dates import format_date

    chars = set()
    for locale in TRAIN_LOCALES + UNSEEN_LOCALES:
        for month in range(1, 13):
            for day in (1, 9, 14, 16, 23, 30):
                date = datetime.date(2021 + day % 3, month, min(day, 28))
                for style in STYLES:
                    chars |= set(f"{locale}|{format_date(date, style, locale=locale)}")
    chars |= set("0123456789")
    return "".join(sorted(chars)), "-0123456789"


def load_dates(split, per_pair=None):
    """ArraySet of (source ids [N, 48], target ids [N, 11]); `info`: the vocabularies, the group of
    every example (test: "unseen date" / "unseen format" / "unseen locale") and the texts."""
    if split not in ("train", "test"):
        raise DataError(f"split must be 'train' or 'test', got {split!r}")
    per_pair = per_pair or (400 if split == "train" else 40)
    source_vocabulary, target_vocabulary = date_vocabularies()
    examples = _date_examples(per_pair, split)
    sources = encode_texts([s for s, _, _ in examples], source_vocabulary, SOURCE_LENGTH)
    targets = encode_texts([t for _, t, _ in examples], target_vocabulary, TARGET_LENGTH, end=True)
    info = {
        "source_vocabulary": source_vocabulary,
        "target_vocabulary": target_vocabulary,
        "groups": np.array([g for _, _, g in examples]),
        "locales": ",".join(TRAIN_LOCALES + UNSEEN_LOCALES),
        "texts": [s for s, _, _ in examples],
        "description": f"dates 1950-2049 in {len(TRAIN_LOCALES)} locales x {len(STYLES)} CLDR styles (Babel) -> "
        f"ISO 8601; test: unseen dates, unseen (locale, style) pairs, unseen locales {', '.join(UNSEEN_LOCALES)}",
    }
    return ArraySet("dates", split, sources, targets, info)


def load_pairs(name, split):
    """The named paired-text dataset (the zoo has "dates")."""
    if name != "dates":
        from zoo.errors import did_you_mean

        raise UnknownNameError(f"unknown seq2seq dataset '{name}'; the zoo has 'dates'" + did_you_mean(name, ["dates"]))
    return load_dates(split)


def encode_texts(texts, vocabulary, length, end=False):
    """ids [N, length] of `texts` (character i -> vocabulary.index + SPECIALS), <end> after each
    text if `end`, padded with 0; an unknown character or a text too long is an InputError."""
    lookup = {c: i + SPECIALS for i, c in enumerate(vocabulary)}
    out = np.zeros((len(texts), length), np.int32)
    for row, text in enumerate(texts):
        if not isinstance(text, str) or not (text or end):  # a target may be empty: <end> alone
            raise InputError(f"text {row} must be a non-empty string, got {text!r}")
        unknown = sorted({c for c in text if c not in lookup})
        if unknown:
            raise InputError(f"text {row} has characters not in the model's vocabulary: {unknown[:10]!r}")
        ids = [lookup[c] for c in text] + ([END] if end else [])
        if len(ids) > length:
            raise InputError(f"text {row} has {len(text)} characters; the model reads at most {length - end}")
        out[row, : len(ids)] = ids
    return out


# --- the model ----------------------------------------------------------------------------------------
@register_architecture("seq2seq")
class Seq2Seq(OneOptimizer, ZooModel, keras.Model):
    """source ids `[N, S]` -> target logits `[N, T, target vocabulary + 3]` (teacher forced)."""

    data_kind = "arrays"
    vis_kinds = ("curves", "attention")
    part_names = ("source_embedding", "target_embedding", "bridge", "combine", "score_keys", "logits_layer")
    litert_variants = ("float16", "dynamic")
    litert_variants_note = "int8 activations break the unrolled recurrent layers; use dynamic range"
    api = ("translate", "attention", "teacher_forced_logits")

    def __init__(
        self,
        source_vocabulary="",
        target_vocabulary="",
        cell="gru",
        units=128,
        depth=1,
        attention="luong",
        embedding_dim=32,
        source_length=SOURCE_LENGTH,
        target_length=TARGET_LENGTH,
        clip_norm=1.0,
        unroll=False,
        seed=0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if len(target_vocabulary) < 2 or len(set(target_vocabulary)) != len(target_vocabulary):
            raise InputError("target_vocabulary must be a string of at least 2 distinct characters")
        if cell not in CELLS:
            raise InputError(f"unknown cell '{cell}'; choose one of {', '.join(CELLS)}")
        checks.choice(attention, ATTENTIONS, "attention")
        self.source_vocabulary, self.target_vocabulary = source_vocabulary, target_vocabulary
        self.cell, self.units, self.depth, self.attention_kind = cell, int(units), int(depth), attention
        self.embedding_dim, self.clip_norm, self.unroll, self.seed = (
            int(embedding_dim),
            float(clip_norm),
            bool(unroll),
            int(seed),
        )
        self.source_length, self.target_length = int(source_length), int(target_length)
        n_target = len(target_vocabulary) + SPECIALS
        self.build_encoder()
        decoder_cell = "lstm" if cell == "bilstm" else cell  # the decoder reads forwards only
        self.decoder_cell = decoder_cell
        self.target_embedding = layers.Embedding(n_target, self.embedding_dim, name="tgt_emb")
        self.decoder = [
            (layers.GRUCell if decoder_cell == "gru" else layers.LSTMCell)(self.units, name=f"dec_{i}")
            for i in range(self.depth)
        ]
        self.state_width = self.units * (2 if decoder_cell == "lstm" else 1)
        self.bridge = layers.Dense(self.depth * self.state_width, activation="tanh", name="bridge")
        if attention == "luong":
            self.score_keys = layers.Dense(self.units, use_bias=False, name="luong_w")
        elif attention == "bahdanau":
            self.score_keys = layers.Dense(self.units, use_bias=False, name="bahdanau_keys")
            self.score_query = layers.Dense(self.units, use_bias=False, name="bahdanau_query")
            self.score_v = layers.Dense(1, use_bias=False, name="bahdanau_v")
        self.combine = layers.Dense(self.units, activation="tanh", name="combine")
        self.logits_layer = layers.Dense(n_target, name="logits")
        self.trackers = {name: keras.metrics.Mean(name=name) for name in ("loss", "grad_norm", "token_accuracy")}
        # Build every weight now (a checkpoint restores before the first step).
        self.teacher_forced(
            tf.zeros((1, *self.source_spec().shape[1:]), self.source_spec().dtype),
            tf.zeros((1, self.target_length), tf.int32),
        )
        self.built = True

    def get_config(self):
        return {
            "source_vocabulary": self.source_vocabulary,
            "target_vocabulary": self.target_vocabulary,
            "cell": self.cell,
            "units": self.units,
            "depth": self.depth,
            "attention": self.attention_kind,
            "embedding_dim": self.embedding_dim,
            "source_length": self.source_length,
            "target_length": self.target_length,
            "clip_norm": self.clip_norm,
            "unroll": self.unroll,
            "seed": self.seed,
            "name": self.name,
        }

    # --- the encoder: what a subclass with another input replaces ------------------------------------
    def build_encoder(self):
        if len(self.source_vocabulary) < 2 or len(set(self.source_vocabulary)) != len(self.source_vocabulary):
            raise InputError("source_vocabulary must be a string of at least 2 distinct characters")
        n_source = len(self.source_vocabulary) + SPECIALS
        self.source_embedding = layers.Embedding(n_source, self.embedding_dim, name="src_emb")
        self.encoder = recurrent_stack(self.cell, self.units, self.depth, True, unroll=self.unroll)

    def source_spec(self):
        """The encoder's input as endpoints declare it."""
        high = len(self.source_vocabulary) + SPECIALS - 1
        return Input((None, self.source_length), "int32", low=0, high=high)

    @property
    def fixed_length(self):
        """The source length every input is padded to (what the exporter records of the LiteRT file)."""
        return self.source_length

    @property
    def memory_shape(self):
        """(positions, width) of the memory the decoder attends to."""
        return self.source_length, self.units * (2 if self.cell == "bilstm" else 1)

    def mask_inputs(self):
        """Inputs `decode_step` needs besides token, state and memory to know the real positions."""
        return {"source": self.source_spec()}

    def memory_mask(self, memory, source=None):
        return tf.not_equal(source, PAD)

    # --- the algorithm ------------------------------------------------------------------------------
    def encode_source(self, source, training=False):
        """(memory [N, S, E], mask [N, S] of real positions, first decoder state [N, depth x state])."""
        mask = tf.not_equal(source, PAD)
        x = self.source_embedding(source)
        for layer in self.encoder:
            x = layer(x, mask=mask, training=training)
        weights = tf.cast(mask, x.dtype)[..., None]
        mean = tf.reduce_sum(x * weights, axis=1) / tf.maximum(tf.reduce_sum(weights, axis=1), 1.0)
        return x, mask, self.bridge(mean)

    def attend(self, query, memory, mask):
        """(context [N, E], weights [N, S]) for one decoder output `query` [N, U]: softmax of the
        scores over the real source positions (padding gets weight 0), computed in float32."""
        if self.attention_kind == "luong":
            keys = self.score_keys(memory)
            scores = tf.einsum("nu,nsu->ns", tf.cast(query, keys.dtype), keys)
        else:
            scores = self.score_v(tf.tanh(self.score_keys(memory) + self.score_query(query)[:, None, :]))[..., 0]
        scores = tf.where(mask, tf.cast(scores, tf.float32), tf.float32.min)
        weights = tf.nn.softmax(scores, axis=-1)
        context = tf.cast(tf.einsum("ns,nse->ne", tf.cast(weights, memory.dtype), memory), query.dtype)
        return context, weights

    def decode_one(self, token, state, memory, mask, training=False):
        """One decoder step: (logits [N, V], next state, attention weights [N, S])."""
        x, states = self.target_embedding(token), []
        for i, cell in enumerate(self.decoder):
            own = state[:, i * self.state_width : (i + 1) * self.state_width]
            previous = [own[:, : self.units], own[:, self.units :]] if self.decoder_cell == "lstm" else [own]
            x, new = cell(x, previous, training=training)
            states.extend(new)
        if self.attention_kind == "none":
            weights = tf.zeros(tf.shape(mask), tf.float32)
            combined = x
        else:
            context, weights = self.attend(x, memory, mask)
            combined = tf.concat([x, context], axis=-1)
        return self.logits_layer(self.combine(combined)), tf.concat(states, axis=-1), weights

    def teacher_forced(self, source, target, training=False):
        """(logits [N, T, V], attention [N, T, S]): the decoder reads <start> + target[:-1]."""
        memory, mask, state = self.encode_source(source, training)
        inputs = tf.concat([tf.fill([tf.shape(target)[0], 1], START), target[:, :-1]], axis=1)
        logits, attention = [], []
        for t in range(target.shape[1]):
            step, state, weights = self.decode_one(inputs[:, t], state, memory, mask, training)
            logits.append(step)
            attention.append(weights)
        return tf.stack(logits, axis=1), tf.stack(attention, axis=1)

    def call(self, inputs, training=False):
        source, target = inputs
        return self.teacher_forced(source, target, training)[0]

    def greedy(self, source):
        """(target ids [N, T], attention [N, T, S], log_probs [N, T], score [N]): argmax fed back for
        `target_length` steps; log_probs[:, t] is the log-probability of the token chosen at step t,
        score the sum of those up to and including the first <end> (the output's log-probability)."""
        memory, mask, state = self.encode_source(source)
        token = tf.fill([tf.shape(source)[0]], START)
        alive = tf.ones([tf.shape(source)[0]], tf.float32)  # 1 until a row has produced <end>
        ids, attention, log_probs, score = [], [], [], tf.zeros([tf.shape(source)[0]], tf.float32)
        for _ in range(self.target_length):
            logits, state, weights = self.decode_one(token, state, memory, mask)
            token = tf.argmax(logits, axis=-1, output_type=tf.int32)
            # the argmax's log-probability: the largest log-softmax (no gather, which LiteRT lacks here)
            chosen = tf.reduce_max(tf.nn.log_softmax(tf.cast(logits, tf.float32)), axis=-1)
            score += alive * chosen
            alive *= tf.cast(tf.not_equal(token, END), tf.float32)
            ids.append(token)
            attention.append(weights)
            log_probs.append(chosen)
        return tf.stack(ids, axis=1), tf.stack(attention, axis=1), tf.stack(log_probs, axis=1), score

    @staticmethod
    def sequence_loss(targets, logits):
        """Mean cross-entropy per example over the real target positions (padding after <end> masked)."""
        ce = keras.losses.sparse_categorical_crossentropy(targets, tf.cast(logits, tf.float32), from_logits=True)
        weights = tf.cast(tf.not_equal(targets, PAD), tf.float32)
        return tf.reduce_sum(ce * weights, axis=1) / tf.maximum(tf.reduce_sum(weights, axis=1), 1.0)

    def train_step(self, data):
        source, target = data
        with tf.GradientTape() as tape:
            logits = self((source, target), training=True)
            loss = tf.reduce_mean(self.sequence_loss(target, logits))
        grads = scaled_gradient(tape, self.optimizer, loss, self.trainable_variables)
        scale = loss_scale(self.optimizer)
        grads, norm = tf.clip_by_global_norm(grads, self.clip_norm * scale)
        apply_gradients(self.optimizer, grads, self.trainable_variables)
        real = tf.not_equal(target, PAD)
        hits = tf.equal(tf.argmax(logits, axis=-1, output_type=tf.int32), target)
        accuracy = tf.reduce_sum(tf.cast(hits & real, tf.float32)) / tf.reduce_sum(tf.cast(real, tf.float32))
        for name, value in {"loss": loss, "grad_norm": norm / scale, "token_accuracy": accuracy}.items():
            self.trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    def validation_logs(self, data, batch_size=256):
        total, count = 0.0, 0
        for i in range(0, len(data), batch_size):
            source, target = data.inputs[i : i + batch_size], data.targets[i : i + batch_size]
            logits = self((tf.constant(source), tf.constant(target)))
            total += float(tf.reduce_sum(self.sequence_loss(target, logits)))
            count += len(source)
        return {"val_loss": total / count}

    # --- deployment ---------------------------------------------------------------------------------
    @property
    def state_size(self):
        return self.depth * self.state_width

    def endpoints(self):
        n_target = len(self.target_vocabulary) + SPECIALS
        source = self.source_spec()
        meta = {
            "source_vocabulary": self.source_vocabulary,
            "target_vocabulary": self.target_vocabulary,
            "specials": {"pad": PAD, "start": START, "end": END, "offset": SPECIALS},
            "source_length": self.source_length,
            "target_length": self.target_length,
            "state_size": self.state_size,
        }
        if (self.recipe or {}).get("locales"):  # a dates model: the tags a source must start with
            meta["locales"] = self.recipe["locales"].split(",")

        def greedy(source):
            ids, attention, log_probs, score = self.greedy(source)
            return {"target": ids, "attention": attention, "log_probs": log_probs, "score": score}

        def encode(source):
            memory, _, state = self.encode_source(source)
            return {"memory": memory, "state": state}

        def decode_step(token, state, memory, **mask_inputs):
            mask = self.memory_mask(memory, **mask_inputs)
            logits, next_state, weights = self.decode_one(token, state, memory, mask)
            return {"logits": logits, "next_state": next_state, "attention": weights}

        return {
            self.greedy_endpoint: Endpoint(
                self.greedy_endpoint,
                greedy,
                {"source": source},
                doc=f"{self.source_doc} -> greedy target ids [N, {self.target_length}] (character i of the card's "
                f"target vocabulary -> i + {SPECIALS}; 2 = end), the attention weights, each step's log-probability "
                "of its token and the score: the output's log-probability (its steps up to and including <end>)",
                outputs=("target", "attention", "log_probs", "score"),
                meta=meta,
            ),
            "encode": Endpoint(
                "encode",
                encode,
                {"source": source},
                doc="source -> the encoder's memory (what the decoder attends to) and the decoder's first state",
                outputs=("memory", "state"),
                meta=meta,
            ),
            "decode_step": Endpoint(
                "decode_step",
                decode_step,
                {
                    "token": Input((None,), "int32", low=0, high=n_target - 1),
                    "state": Input((None, self.state_size), "float32"),
                    "memory": Input((None, *self.memory_shape), "float32"),
                    **self.mask_inputs(),
                },
                doc="the previous target id (1 = start), the decoder state and `encode`'s memory (and the source, for "
                "its padding) -> next-token logits, the next state and this step's attention",
                outputs=("logits", "next_state", "attention"),
                meta=meta,
            ),
        }

    greedy_endpoint = "translate"
    source_doc = "source character ids [N, S] (character i of the card's source vocabulary -> i + 3, 0 = padding)"

    def export_source(self):
        """LiteRT is written from an unrolled copy (builtin ops only)."""
        copy = type(self)(**{**self.get_config(), "unroll": True})
        copy.set_weights(self.get_weights())
        copy.card = self.card
        copy.attach_recipe(self.recipe)
        return copy

    # --- text in, text out --------------------------------------------------------------------------
    def encode_texts(self, texts):
        """Source ids [N, source_length] of texts; with a data recipe that names locales (dates),
        each text must be 'locale|date text' with one of them."""
        if isinstance(texts, str):
            texts = [texts]
        if not isinstance(texts, (list, tuple)) or not texts:
            raise InputError("texts must be a non-empty string or list of strings")
        locales = (self.recipe or {}).get("locales")
        for row, text in enumerate(texts):
            if locales and isinstance(text, str) and text.partition("|")[0] not in locales.split(","):
                raise InputError(
                    f"text {row} must start with one of the model's locales and '|' (e.g. 'de_DE|12. März 2021'), "
                    f"got {text[:20]!r}"
                )
        return encode_texts(list(texts), self.source_vocabulary, self.source_length)

    def decode_ids(self, ids):
        """Text of target ids up to the first <end> (specials dropped)."""
        out = []
        for i in np.asarray(ids).reshape(-1):
            if i == END:
                break
            if i >= SPECIALS:
                out.append(self.target_vocabulary[i - SPECIALS])
        return "".join(out)

    def translate(self, texts, beam=1, return_scores=False):
        """The target text of each source text (a string or a list): greedy with beam=1, else beam
        search keeping `beam` hypotheses (ranked by total log-probability; finished ones wait).

        With `return_scores`, each output is a `Scored` (text, log_prob: the output's log-probability,
        token_probs: each token's probability) instead of a string, and with beam > 1 the list of the
        `beam` best `Scored`, best first: a caller can set aside outputs the model doubts."""
        single = isinstance(texts, str)
        out = self._decode(self.encode_texts(texts), beam, return_scores)
        return out[0] if single else out

    def _decode(self, source, beam, return_scores):
        """Outputs of `translate`/`caption` for the encoder inputs `source` (rows of a batch)."""
        beam = checks.count(beam, "beam")
        return_scores = checks.boolean(return_scores, "return_scores")
        if beam == 1:
            out = self.endpoint(self.greedy_endpoint).batched(source=source)
            if not return_scores:
                return [self.decode_ids(row) for row in out["target"]]
            return [scored(self.decode_ids(row), row, lp, END) for row, lp in zip(out["target"], out["log_probs"])]
        found = [self.beam_search(row, beam) for row in source]
        if not return_scores:
            return [self.decode_ids(hypotheses[0][1]) for hypotheses in found]
        return [[scored(self.decode_ids(ids), ids, lps, END) for _, ids, lps in hyps] for hyps in found]

    def beam_search(self, source_row, beam):
        """The `beam` best hypotheses for one source row `[S]`, best first, each (log p, token ids, the
        log-probability of each token); a hypothesis ends at its <end> (which counts) or after
        `target_length` tokens."""
        memory, mask, state = self.encode_source(tf.constant(source_row[None]))
        hypotheses = [(0.0, [], [], np.asarray(state[0]), False)]  # (log p, tokens, log p each, state, finished)
        for _ in range(self.target_length):
            live = [h for h in hypotheses if not h[4]]
            if not live:
                break
            tokens = np.array([h[1][-1] if h[1] else START for h in live], np.int32)
            logits, states, _ = self.decode_one(
                tf.constant(tokens),
                tf.constant(np.stack([h[3] for h in live])),
                tf.repeat(memory, len(live), axis=0),
                tf.repeat(mask, len(live), axis=0),
            )
            logp = log_softmax(logits.numpy())
            candidates = [h for h in hypotheses if h[4]]
            for k, h in enumerate(live):
                for token in np.argsort(-logp[k], kind="stable")[:beam]:
                    step = float(logp[k, token])
                    candidates.append(
                        (h[0] + step, h[1] + [int(token)], h[2] + [step], states[k].numpy(), token == END)
                    )
            hypotheses = sorted(candidates, key=lambda h: -h[0])[:beam]
        return [(h[0], h[1], h[2]) for h in hypotheses]

    def attention(self, text):
        """(attention weights [T, S] of the greedy translation of one text, its target text)."""
        if not isinstance(text, str):
            raise InputError(f"text must be a string, got {type(text).__name__}")
        ids, attention, _, _ = self.greedy(tf.constant(self.encode_texts([text])))
        return np.asarray(attention[0]), self.decode_ids(np.asarray(ids[0]))

    def teacher_forced_logits(self, text, target):
        """Logits `[T, V]` of the decoder reading <start> + `target` (a target text) for `text`."""
        return self._teacher_forced_logits(self.encode_texts([text]), target)

    def _teacher_forced_logits(self, source, target):
        """Logits `[T, V]` for one encoder input `source` [1, ...] and one target text."""
        if not isinstance(target, str):
            raise InputError(f"target must be a string, got {type(target).__name__}")
        # <end> follows unless the target fills every step (a greedy output that never ended).
        ids = encode_texts([target], self.target_vocabulary, self.target_length, end=len(target) < self.target_length)
        return np.asarray(self((tf.constant(source), tf.constant(ids)))[0])

    # --- data and figures ---------------------------------------------------------------------------
    def data(self, split):
        return load_pairs((self.recipe or {}).get("dataset", "dates"), split)

    def held_out_metrics(self, test_set):
        predicted = []
        for i in range(0, len(test_set), 500):
            ids = self.greedy(tf.constant(test_set.inputs[i : i + 500]))[0]
            predicted += [self.decode_ids(row) for row in np.asarray(ids)]
        truth = [self.decode_ids(row) for row in test_set.targets]
        groups = test_set.info["groups"]
        hits = np.array([p == t for p, t in zip(predicted, truth)])
        baseline = babel_baseline(test_set.info["texts"], truth)
        result = {
            "test_exact_match": float(hits.mean()),
            "test_examples": int(len(hits)),
            "by_group": {
                g: {"exact_match": float(hits[groups == g].mean()), "examples": int((groups == g).sum())}
                for g in sorted(set(groups))
            },
            "protocol": "greedy decoding; exact match of the whole ISO date",
            "babel_parse_date": {
                "exact_match": float(baseline.mean()),
                "by_group": {g: float(baseline[groups == g].mean()) for g in sorted(set(groups))},
                "note": "babel.dates.parse_date(text, locale): reads numeric dates in the locale's order, "
                "not month names",
            },
        }
        return result


def babel_baseline(texts, truth):
    """Hits of Babel's own parser (told the locale) on each 'locale|text' source."""
    from babel.dates import parse_date

    hits = []
    for text, want in zip(texts, truth):
        locale, _, written = text.partition("|")
        try:
            hits.append(parse_date(written, locale=locale).isoformat() == want)
        except Exception:  # noqa: BLE001 (Babel raises IndexError/ValueError on text it cannot read)
            hits.append(False)
    return np.array(hits)
