"""Bach's chorales, offline: the soprano melodies of the 371 four-part chorales in music21's corpus,
transposed to C major / A minor, as token strings (`zoo.music`).

Held out by **tune**, not only by chorale: Bach harmonised many hymn tunes several times, and those
settings share their melody, so chorales with the same title, or the same first eight notes, fall on
the same side (a melody the test set holds is never trained on). 15% of the tunes go to "test",
seed 0. The melodies ship in zoo/data/chorales/ (sha256-pinned here; `python -m
zoo.data.chorales_build` rebuilds and checks them with music21).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

from zoo.data.base import read_pinned
from zoo.errors import DataError

FILE = Path(__file__).resolve().parent / "chorales" / "bach-soprano.json"
FILE_SHA256 = "sha256:c14d4a5161ddc4b265844165ee1e57eed8c39d2f123e6f215fd2e91954f3c17d"
TEST_FRACTION, SPLIT_SEED = 0.15, 0
SPLIT = (
    f"held out by tune (same title or same first eight notes on one side), seed {SPLIT_SEED}: "
    f"{TEST_FRACTION:.0%} of the tunes to test"
)


@lru_cache(maxsize=1)
def chorales():
    """[{"title", "mode", "shift", "notes": [[pitch, sixteenths], ...]}] of every shipped chorale."""
    return json.loads(read_pinned(FILE, FILE_SHA256, "chorale", "python -m zoo.data.chorales_build --write"))[
        "chorales"
    ]


def tunes(items):
    """A tune id per chorale: chorales joined when they share a title or their first eight notes."""
    parent = list(range(len(items)))

    def root(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for key in ("title", "opening"):
        first = {}
        for i, c in enumerate(items):
            value = c["title"] if key == "title" else tuple(map(tuple, c["notes"][:8]))
            if value in first:
                parent[root(i)] = root(first[value])
            else:
                first[value] = i
    return np.array([root(i) for i in range(len(items))])


def split_indices(test_fraction=TEST_FRACTION, seed=SPLIT_SEED):
    """(train, test) chorale indices, whole tunes per side. The test side is in corpus order; the
    training side is grouped by tune, the tunes in a fixed shuffled order, so any tail of the training
    stream (a --validation-fraction slice) holds whole tunes the rest of it does not (but the one
    tune the cut may split)."""
    groups = tunes(chorales())
    unique = np.unique(groups)
    rng = np.random.default_rng(seed)
    test_tunes = rng.choice(unique, size=max(1, int(round(len(unique) * test_fraction))), replace=False)
    test = np.isin(groups, test_tunes)
    train_tunes = rng.permutation(np.setdiff1d(unique, test_tunes))
    train = np.concatenate([np.flatnonzero(groups == g) for g in train_tunes])
    return train, np.flatnonzero(test)


def texts(split):
    """The token strings (`zoo.music.chorale_text`) of the chorales of `split` ("train", "test", "all")."""
    from zoo.music import chorale_text

    items = chorales()
    train, test = split_indices()
    chosen = {"train": train, "test": test, "all": np.arange(len(items))}
    if split not in chosen:
        raise DataError(f"unknown split '{split}'; the chorales have train, test and all")
    return [chorale_text(items[i]["mode"], items[i]["notes"]) for i in chosen[split]]
