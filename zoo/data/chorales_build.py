"""Rebuild the shipped Bach chorale melodies from music21's corpus, and check them against what ships.

    pip install music21          # not a dependency of the zoo: only this script needs it
    python -m zoo.data.chorales_build            # parses the chorales, compares: "matches" or exit 1
    python -m zoo.data.chorales_build --write    # (re)writes zoo/data/chorales/

What it keeps, for each of the 371 four-part chorales music21's `corpus.chorales.Iterator` yields
(Riemenschneider numbering, in its order): the **soprano line** (the part named Soprano, else the
first part), as notes and rests; tied notes merged into one; a chord (rare in the soprano) read as its
top note; each duration in sixteenths (rounded, 1 to 63). Every chorale is **transposed to C major or
A minor** (music21's key analysis, the shortest shift, -6 to +5 semitones), so the model learns one
key per mode. A chorale whose melody would not fit the token range is left out (none is, today).

The result ships as zoo/data/chorales/bach-soprano.json (sha256-pinned in zoo.data.chorales): per
chorale its BWV title as music21 names it, its mode, the shift applied, and its (pitch, sixteenths)
notes (pitch 0 = rest). Parsing takes about a minute; the zoo never does it at run time.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

FOLDER = Path(__file__).resolve().parent / "chorales"
FILE = FOLDER / "bach-soprano.json"
MAX_SIXTEENTHS = 63


def melody(score):
    """[(midi pitch or 0 for a rest, sixteenths)] of a score's soprano, ties merged."""
    parts = list(score.parts)
    soprano = next((p for p in parts if (p.partName or "").lower().startswith("soprano")), parts[0])
    notes = []
    for element in soprano.flatten().notesAndRests:
        sixteenths = int(round(float(element.duration.quarterLength) * 4))
        if sixteenths <= 0:  # grace notes
            continue
        if element.isRest:
            pitch = 0
        elif element.isChord:
            pitch = max(p.midi for p in element.pitches)
        else:
            pitch = element.pitch.midi
        tie = element.tie.type if getattr(element, "tie", None) is not None else None
        if notes and tie in ("stop", "continue") and notes[-1][0] == pitch:
            notes[-1] = (pitch, notes[-1][1] + sixteenths)
        elif notes and pitch == 0 and notes[-1][0] == 0:
            notes[-1] = (0, notes[-1][1] + sixteenths)  # consecutive rests: one rest
        else:
            notes.append((pitch, sixteenths))
    return [(p, min(d, MAX_SIXTEENTHS)) for p, d in notes]


def shift_to_c(key):
    """Semitones that move `key`'s tonic to C (major) or A (minor), in -6..+5."""
    target = 0 if key.mode == "major" else 9
    shift = (target - key.tonic.pitchClass) % 12
    return shift - 12 if shift > 5 else shift


def build():
    from music21 import corpus

    chorales = []
    for score in corpus.chorales.Iterator(returnType="stream"):
        key = score.analyze("key")
        shift = shift_to_c(key)
        notes = [(p + shift if p else 0, d) for p, d in melody(score)]
        if not notes or any(not (0 <= p <= 100) for p, _ in notes):
            continue
        title = score.metadata.title if score.metadata is not None else None
        chorales.append({"title": title, "mode": key.mode, "shift": shift, "notes": notes})
    return {
        "source": "music21 corpus.chorales.Iterator (Bach's four-part chorales), soprano line, "
        "transposed to C major / A minor",
        "chorales": chorales,
    }


def digest(data):
    return "sha256:" + hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m zoo.data.chorales_build", description=__doc__.splitlines()[0])
    p.add_argument("--write", action="store_true", help="write zoo/data/chorales/ instead of comparing")
    args = p.parse_args(argv)
    try:
        data = build()
    except ImportError:
        print("error: this script needs music21 (pip install music21)", file=sys.stderr)
        sys.exit(2)
    if args.write:
        FOLDER.mkdir(parents=True, exist_ok=True)
        FILE.write_text(json.dumps(data, separators=(",", ":")) + "\n")
        print(f"wrote {FILE}: {len(data['chorales'])} chorales, {digest(data)}")
        return
    shipped = json.loads(FILE.read_text())
    if digest(shipped) != digest(data):
        print(f"differs: shipped {digest(shipped)}, rebuilt {digest(data)}", file=sys.stderr)
        sys.exit(1)
    print(f"matches: {len(data['chorales'])} chorales, {digest(data)}")


if __name__ == "__main__":
    main()
