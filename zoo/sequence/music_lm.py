"""A melody model of Bach's chorales: the character language model over note tokens (`zoo.music`).

Each token is one note (pitch and duration in sixteenths, or a rest), a mode marker or a chorale's
end, so the chorales' soprano lines (transposed to C major / A minor, `zoo.data.chorales`) are a
string, and training, the `step` endpoint, sampling and the exported client are the char LM's.
`generate(seconds, seed, temperature, mode)` starts a chorale in the mode asked and returns a
`zoo.music.Piece` (`write_midi`, `write_wav`, `write_piano_roll`).

Held-out figures (`held_out_metrics`): negative log-likelihood per token of the held-out tunes,
teacher-forced as one stream, beside n-gram models of orders 1-4 fitted on the same training tokens
(the strongest simple alternative); musical statistics of 100 generated 30-second pieces (seeds
0-99, half major, half minor) against the held-out chorales, beside 100 pieces of the best n-gram
and the training chorales themselves.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from zoo import music
from zoo.data import TokenChunks
from zoo.registry import register_architecture
from zoo.sequence import textfile
from zoo.sequence.charlm import CharLanguageModel

PIECES, PIECE_SECONDS = 100, 30.0


def chorale_texts(split, transpose=0):
    """The token strings of `split`'s chorales; the training split also each one moved by every
    semitone in [-transpose, transpose] (each chorale's copies one after the other)."""
    from zoo.data import chorales

    texts = chorales.texts(split)
    if split != "train" or not transpose:
        return texts
    return [music.transposed(t, s) for t in texts for s in range(-transpose, transpose + 1)]


def load_chorale_chunks(split, length, transpose=0):
    """TokenChunks of (ids [length], next ids [length]) chunks of the chorales of `split`, one stream;
    the vocabulary (every token of every chorale under every transposition used, sorted) in `info`.
    With `transpose`, the training chunks' validation slice is whole tunes in their own key (see
    `TransposedChunks`)."""
    from zoo.data import chorales

    everything = [music.transposed(t, s) for t in chorales.texts("all") for s in range(-transpose, transpose + 1)]
    vocabulary = "".join(sorted(set("".join(everything))))
    stream = "".join(chorale_texts(split, transpose))
    info = {
        "vocabulary": vocabulary,
        "description": "Bach chorales (music21 corpus): soprano lines in C major / A minor, one token per note",
        "tokens": len(stream),
        "recipe": {"split": chorales.SPLIT, "transpose": int(transpose)},
    }
    chunks = TokenChunks.of("bach-chorales", split, _ids(stream, vocabulary), length, info)
    if split != "train" or not transpose:
        return chunks
    return TransposedChunks(**vars(chunks), tunes=tuple(chorales.texts("train")), semitones=int(transpose))


def _ids(text, vocabulary):
    return textfile.id_table(vocabulary)[textfile.code_points(text)]


@dataclass(frozen=True)
class TransposedChunks(TokenChunks):
    """The training chunks with transposed copies. Their validation slice (`split_off_tail`) is the
    last `fraction` of the training tunes in their own key only, and none of those tunes' copies is
    trained on: a copy in another key would leak the tune, and copies in other keys would make the
    validation loss incomparable with an unaugmented run's."""

    tunes: tuple = ()
    semitones: int = 0
    validation_part = "the last training tunes (that share of them), in their own key; none of their copies trained on"

    def split_off_tail(self, fraction):
        keep = len(self.tunes) - max(1, int(round(len(self.tunes) * fraction)))
        moves = range(-self.semitones, self.semitones + 1)
        head = "".join(music.transposed(t, s) for t in self.tunes[:keep] for s in moves)
        tail = "".join(self.tunes[keep:])
        vocabulary = self.info["vocabulary"]
        return (
            TokenChunks.of(self.name, self.split, _ids(head, vocabulary), self.inputs.length, self.info),
            TokenChunks.of(self.name, "validation", _ids(tail, vocabulary), self.inputs.length, self.info),
        )


@register_architecture("music-lm")
class MusicLanguageModel(CharLanguageModel):
    """Note-token ids `[N, T]` -> logits of the next token; `generate(seconds=30)` writes a melody."""

    api = ("generate", "initial_state", "step_logits")

    @property
    def dataset(self):
        return "bach-chorales"

    @property
    def transpose(self):
        """The training data's transposition range (its recipe): each chorale also moved by every
        semitone in [-transpose, transpose]."""
        return int((self.recipe or {}).get("transpose", 0))

    def data(self, split):
        return load_chorale_chunks(split, self.context, self.transpose)

    def generate(self, seconds=30, seed=0, temperature=1.0, mode="major"):
        """A new melody of `seconds` (at 80 quarter notes a minute), sampled token by token from the
        start of a chorale in `mode` ("major": C, "minor": A) with softmax(logits / temperature)
        (0: greedy); a `zoo.music.Piece`."""
        return music.compose(lambda *a: CharLanguageModel.generate(self, *a), seconds, seed, temperature, mode)

    def held_out_chunks(self, test_set=None):
        """(inputs, targets) `[1, L]`: the held-out tunes as one stream, every token after the first."""
        from zoo.data import chorales

        ids = np.array([[self.lookup[c] for c in "".join(chorales.texts("test"))]], np.int32)
        return ids[:, :-1], ids[:, 1:]

    def held_out_metrics(self, test_set):
        from zoo.data import chorales

        vocabulary = list(self.vocabulary)
        # the n-grams see exactly the training tokens the network saw (transposed copies included)
        test_texts = chorales.texts("test")
        train_stream, test_stream = "".join(chorale_texts("train", self.transpose)), "".join(test_texts)
        inputs, targets = self.held_out_chunks()
        log_probs = tf.nn.log_softmax(self(tf.constant(inputs))[0], axis=-1).numpy()
        scored = targets.shape[1]
        nats = -float(log_probs[np.arange(scored), targets[0]].sum()) / scored
        grams = {n: music.NGram(n, vocabulary).fit(train_stream) for n in (1, 2, 3, 4)}
        baselines = {f"{n}-gram": grams[n].nats(test_stream) / scored for n in grams}
        best = min(baselines, key=baselines.get)

        held_out = [music.Piece.from_tokens(t) for t in test_texts]
        trained_on = [music.Piece.from_tokens(t) for t in chorales.texts("train")]  # as written (C / A)
        modes = ["major", "minor"]
        ours = [self.generate(PIECE_SECONDS, seed=s, mode=modes[s % 2]) for s in range(PIECES)]
        theirs = [
            music.Piece.from_tokens(
                grams[int(best[0])].sample(
                    music.END + music.MODES[modes[s % 2]], int(PIECE_SECONDS / music.SIXTEENTH_SECONDS) + 8, seed=s
                ),
                PIECE_SECONDS,
            )
            for s in range(PIECES)
        ]
        return {
            "test_nats_per_token": nats,
            "test_bits_per_token": nats / math.log(2.0),
            "test_tokens": scored,
            "ngram_nats_per_token": baselines,
            "best_ngram": best,
            "protocol": "teacher-forced over the held-out tunes as one stream (every token after the first); "
            "n-grams: order 1 add-one, orders 2-4 interpolated Kneser-Ney (discount 0.75), fitted on the training "
            f"tokens the network saw (transposition range {self.transpose}); the split: {chorales.SPLIT}",
            "music": {
                "model": music.compare(ours, held_out),
                f"best n-gram ({best})": music.compare(theirs, held_out),
                "training chorales": music.compare(trained_on, held_out),
                "held-out chorales": music.compare(held_out, held_out),
            },
            "music_protocol": f"{PIECES} pieces of {PIECE_SECONDS:.0f} s (seeds 0-{PIECES - 1}, temperature 1, "
            "half major, half minor) against the held-out chorales: total-variation distance of the pitch-class "
            "and interval (-12..12) histograms, share of notes in C major / A natural minor, mean lowest / "
            "highest pitch and span per piece",
        }
