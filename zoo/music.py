"""Melodies as tokens, and back to something you can hear and see -- NumPy and the standard library only
(the exported model's client, `python -m zoo.decoding ... --midi`, uses it without TensorFlow).

Tokens are characters, so a melody is a string and the character language model's machinery
(training chunks, the `step` endpoint, sampling) serves it unchanged:
  "\\n"            the end of a chorale (and so the start of the next)
  "M" / "m"       the mode of the chorale that follows: major (C) or minor (A)
  chr(0xE000 + 64 p + d)   a note of MIDI pitch p (0 = a rest) lasting d sixteenths (1..63)
A chorale is its mode, its notes, then "\\n". Tempo: a quarter note = 80 beats per minute.

`Piece` holds generated notes and writes a standard MIDI file (format 0, one track), a WAV (a simple
additive organ tone with a short attack and release, 22.05 kHz, 16-bit) and a piano roll (PNG).
"""

from __future__ import annotations

import struct
import wave
from dataclasses import dataclass

import numpy as np

from zoo import checks
from zoo.errors import InputError

END, MAJOR, MINOR = "\n", "M", "m"
MODES = {"major": MAJOR, "minor": MINOR}
BASE = 0xE000
TEMPO_BPM = 80
SIXTEENTH_SECONDS = 60.0 / TEMPO_BPM / 4
INSTRUMENTS = ("organ", "sine")
DIATONIC = {0, 2, 4, 5, 7, 9, 11}  # the pitch classes of C major (and A natural minor)


def note_token(pitch, sixteenths):
    if not (0 <= pitch <= 127 and 1 <= sixteenths <= 63):
        raise InputError(f"a note token needs pitch 0..127 and 1..63 sixteenths, got {pitch}, {sixteenths}")
    return chr(BASE + 64 * int(pitch) + int(sixteenths))


def is_note(token):
    return BASE <= ord(token) < BASE + 64 * 128


def note_of(token):
    """(pitch, sixteenths) of a note token (pitch 0: a rest)."""
    code = ord(token) - BASE
    return code // 64, code % 64


def transposed(text, semitones):
    """`text` with every pitched note moved by `semitones` (rests, modes and ends unchanged)."""
    out = []
    for token in text:
        if is_note(token) and note_of(token)[0]:
            pitch, sixteenths = note_of(token)
            token = note_token(pitch + semitones, sixteenths)
        out.append(token)
    return "".join(out)


def chorale_text(mode, notes):
    """The token string of one chorale: its mode, its notes, the end."""
    return MODES[mode] + "".join(note_token(p, d) for p, d in notes) + END


@dataclass(frozen=True)
class Piece:
    """A melody: `notes` [(MIDI pitch, start seconds, duration seconds)], rests left out."""

    notes: tuple
    seconds: float

    @classmethod
    def from_tokens(cls, text, seconds=None):
        """The notes of a token string, in time order, up to `seconds` (None: all of them); other tokens
        (modes, chorale ends) take no time."""
        notes, t = [], 0.0
        for token in text:
            if not is_note(token):
                continue
            pitch, sixteenths = note_of(token)
            length = sixteenths * SIXTEENTH_SECONDS
            if seconds is not None and t >= seconds - 1e-9:
                break
            if pitch:
                notes.append((pitch, round(t, 6), round(length, 6)))
            t += length
        return cls(tuple(notes), round(t if seconds is None else min(t, seconds), 6))

    @property
    def pitches(self):
        return np.array([p for p, _, _ in self.notes], np.int32)

    def write_midi(self, path):
        """A standard MIDI file (format 0, 480 ticks per quarter, the tempo above, channel 0, organ)."""
        path = checks.output_file(path, ".mid", "MIDI path")
        ticks = 480
        per_second = ticks * TEMPO_BPM / 60.0
        events = []  # (tick, order, bytes): note-offs before note-ons at the same tick
        for pitch, start, length in self.notes:
            on, off = int(round(start * per_second)), int(round((start + length) * per_second))
            events += [(on, 1, bytes([0x90, pitch, 80])), (off, 0, bytes([0x80, pitch, 0]))]
        events.sort()
        track = bytearray(b"\x00\xff\x51\x03" + int(60_000_000 / TEMPO_BPM).to_bytes(3, "big"))
        track += b"\x00\xc0\x13"  # program 20 (church organ)
        now = 0
        for tick, _, data in events:
            track += _variable_length(tick - now) + data
            now = tick
        track += b"\x00\xff\x2f\x00"
        header = b"MThd" + struct.pack(">IHHH", 6, 0, 1, ticks)
        path.write_bytes(header + b"MTrk" + struct.pack(">I", len(track)) + bytes(track))
        return path

    def audio(self, rate=22050, instrument="organ"):
        """float32 samples in [-1, 1] of the melody played by `instrument` ("organ" or "sine")."""
        if instrument not in INSTRUMENTS:
            raise InputError(f"unknown instrument '{instrument}'; choose one of {', '.join(INSTRUMENTS)}")
        out = np.zeros(int(np.ceil(self.seconds * rate)) + 1, np.float32)
        for pitch, start, length in self.notes:
            n = int(length * rate)
            t = np.arange(n) / rate
            f = 440.0 * 2 ** ((pitch - 69) / 12)
            partials = ((1, 1.0),) if instrument == "sine" else ((1, 1.0), (2, 0.5), (3, 0.25), (4, 0.12))
            tone = sum(a * np.sin(2 * np.pi * k * f * t) for k, a in partials)
            envelope = np.minimum(1.0, np.minimum(t / 0.01, (length - t) / 0.05).clip(0))
            i = int(start * rate)
            out[i : i + n] += (0.3 * tone * envelope).astype(np.float32)[: len(out) - i]
        return np.clip(out, -1, 1)

    def write_wav(self, path, instrument="organ", rate=22050):
        path = checks.output_file(path, ".wav", "WAV path")
        samples = (self.audio(rate, instrument) * 32767).astype("<i2")
        with wave.open(str(path), "wb") as f:
            f.setnchannels(1)
            f.setsampwidth(2)
            f.setframerate(rate)
            f.writeframes(samples.tobytes())
        return path

    def piano_roll(self, low=48, high=88):
        """uint8 image [pitches, sixteenths]: a row per pitch (high at the top), a column per sixteenth."""
        columns = int(round(self.seconds / SIXTEENTH_SECONDS))
        roll = np.full((high - low + 1, max(columns, 1)), 255, np.uint8)
        roll[[high - p for p in range(low, high + 1) if p % 12 == 0], :] = 225  # a line at every C
        for pitch, start, length in self.notes:
            a = int(round(start / SIXTEENTH_SECONDS))
            b = max(a + 1, int(round((start + length) / SIXTEENTH_SECONDS)) - 0)
            if low <= pitch <= high:
                roll[high - pitch, a:b] = 40
                roll[high - pitch, b - 1] = 140  # the end of each note, so repeated notes stay apart
        return roll

    def write_piano_roll(self, path, scale=4):
        from zoo.images import save_png

        path = checks.output_file(path, ".png", "piano-roll path")
        save_png(self.piano_roll()[..., None], path, scale=scale)
        return path


def compose(write, seconds=30, seed=0, temperature=1.0, mode="major"):
    """A `Piece` of `seconds` from a token writer `write(prompt, length, temperature, seed) -> tokens`
    (the Keras model's char-LM generation, or the exported `step` run by `zoo.decoding`): the start
    of a chorale in `mode`, then enough tokens for `seconds` (every note lasts at least a sixteenth)."""
    seconds = checks.number(seconds, "seconds", low=0)
    if not 0 < seconds <= 600:
        raise InputError(f"seconds must lie in (0, 600], got {seconds}")
    temperature = checks.number(temperature, "temperature", low=0)
    if mode not in MODES:
        raise InputError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")
    length = int(np.ceil(seconds / SIXTEENTH_SECONDS)) + 8
    return Piece.from_tokens(write(END + MODES[mode], length, temperature, seed), seconds)


def _variable_length(value):
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(out))


# --- the strongest simple alternative: n-gram models of the same tokens ------------------------------
class NGram:
    """An order-`n` model of a token stream: order 1 add-one (Laplace) unigrams; orders 2+ interpolated
    Kneser-Ney (Chen & Goodman 1998) with one absolute discount `d` per order, continuation counts
    below the top order, and the uniform distribution over the vocabulary at the bottom."""

    def __init__(self, order, vocabulary, discount=0.75):
        self.order, self.vocabulary, self.d = int(order), list(vocabulary), float(discount)
        self.index = {t: i for i, t in enumerate(self.vocabulary)}

    def fit(self, tokens):
        from collections import defaultdict

        ids = [self.index[t] for t in tokens]
        self.counts = [defaultdict(lambda: defaultdict(int)) for _ in range(self.order)]  # [k][history][next]
        for k in range(self.order):  # k: history length
            for i in range(k, len(ids)):
                self.counts[k][tuple(ids[i - k : i])][ids[i]] += 1
        # continuation counts for the lower orders: how many distinct tokens precede (history, next)
        self.continuation = [defaultdict(lambda: defaultdict(int)) for _ in range(self.order)]
        for k in range(self.order - 1):
            for longer, nexts in self.counts[k + 1].items():
                for w in nexts:
                    self.continuation[k][longer[1:]][w] += 1
        self.unigram = np.ones(len(self.vocabulary))
        for w, c in self.counts[0][()].items():
            self.unigram[w] += c
        self.unigram /= self.unigram.sum()
        return self

    def distribution(self, history):
        """P(next | the last order-1 tokens of `history`) over the vocabulary."""
        ids = [self.index[t] for t in history][-(self.order - 1) :] if self.order > 1 else []
        if self.order == 1:
            return self.unigram
        p = np.full(len(self.vocabulary), 1.0 / len(self.vocabulary))
        for k in range(0, min(len(ids), self.order - 1) + 1):
            table = self.counts[k] if k == self.order - 1 else self.continuation[k]
            h = tuple(ids[len(ids) - k :]) if k else ()
            nexts = table.get(h)
            if not nexts:
                continue
            total = sum(nexts.values())
            lower = p
            p = np.zeros(len(self.vocabulary))
            for w, c in nexts.items():
                p[w] = max(c - self.d, 0.0) / total
            p += self.d * len(nexts) / total * lower
        return p

    def nats(self, tokens, start=1):
        """Summed negative log-likelihood (nats) of tokens[start:] each given those before it."""
        total = 0.0
        for i in range(start, len(tokens)):
            total -= float(np.log(self.distribution(tokens[max(0, i - self.order + 1) : i])[self.index[tokens[i]]]))
        return total

    def sample(self, prompt, length, temperature=1.0, seed=0):
        rng = np.random.default_rng(seed)
        out = list(prompt)
        for _ in range(length):
            p = self.distribution(out[-(self.order - 1) :] if self.order > 1 else [])
            if temperature != 1.0:
                p = p ** (1.0 / temperature)
                p /= p.sum()
            out.append(self.vocabulary[rng.choice(len(p), p=p)])
        return "".join(out[len(prompt) :])


# --- how a set of melodies sounds, in numbers ----------------------------------------------------------
def statistics(pieces):
    """Pitch-class histogram, interval histogram (-12..12 semitones between consecutive notes), the
    share of notes in C major / A natural minor, and the mean lowest / highest pitch and span."""
    pcs, intervals = np.zeros(12), np.zeros(25)
    lows, highs, inside, total = [], [], 0, 0
    for piece in pieces:
        p = piece.pitches
        if not len(p):
            continue
        np.add.at(pcs, p % 12, 1)
        np.add.at(intervals, np.clip(np.diff(p), -12, 12) + 12, 1)
        inside += sum(int(q % 12 in DIATONIC) for q in p)
        total += len(p)
        lows.append(p.min())
        highs.append(p.max())
    return {
        "pitch_classes": pcs / max(pcs.sum(), 1),
        "intervals": intervals / max(intervals.sum(), 1),
        "in_key": inside / max(total, 1),
        "low": float(np.mean(lows)) if lows else None,
        "high": float(np.mean(highs)) if highs else None,
        "span": float(np.mean(np.subtract(highs, lows))) if lows else None,
        "notes": total,
    }


def compare(generated, reference):
    """Statistics of `generated` pieces beside `reference` ones: total-variation distances of the
    pitch-class and interval histograms (0 = the same, 1 = disjoint), in-key shares and ranges."""
    g, r = statistics(generated), statistics(reference)
    return {
        "pitch_class_distance": float(0.5 * np.abs(g["pitch_classes"] - r["pitch_classes"]).sum()),
        "interval_distance": float(0.5 * np.abs(g["intervals"] - r["intervals"]).sum()),
        "in_key": g["in_key"],
        "low": g["low"],
        "high": g["high"],
        "span": g["span"],
        "notes": g["notes"],
    }


def metrics_table(metrics, name="model"):
    """Markdown of a melody model's held-out figures: NLL per token beside the n-grams, then the
    statistics of its generated pieces beside the best n-gram's and the real chorales'."""

    def cell(value, digits=3):
        return "—" if value is None else f"{value:.{digits}f}"

    lines = [
        f"On the {metrics['test_tokens']:,} held-out tokens (nats per token, lower is better):",
        "",
        "| model | nats/token |",
        "|---|---|",
        f"| {name} | {cell(metrics['test_nats_per_token'])} |",
        *(
            f"| {k} ({'add-one' if k == '1-gram' else 'interpolated Kneser-Ney'}) | {cell(v)} |"
            for k, v in metrics["ngram_nats_per_token"].items()
        ),
        "",
        "Generated pieces against the held-out chorales (distances: total variation, 0 = identical):",
        "",
        "| pieces | pitch-class distance ↓ | interval distance ↓ | notes in key | lowest | highest | span |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, m in metrics["music"].items():
        lines.append(
            f"| {name if label == 'model' else label} | {cell(m['pitch_class_distance'])} | "
            f"{cell(m['interval_distance'])} | {cell(m['in_key'])} | {cell(m['low'], 1)} | {cell(m['high'], 1)} | "
            f"{cell(m['span'], 1)} |"
        )
    return "\n".join(lines)
