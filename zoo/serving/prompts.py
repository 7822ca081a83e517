"""Words of a text prompt -> token ids, with NumPy only: the tokenizer of the text -> image models,
shared by the Keras model (`zoo.gan.text2image`) and the TensorFlow-free client of its export
(`zoo.serving.decoding.ExportedTextToImage`), so both turn a prompt into the same ids.

A prompt is lower-cased and split into words of letters and digits ("Smiling cat!" -> smiling, cat);
a repeated word counts once. Id 0 is padding; word i of the vocabulary (sorted, from the training
texts) is id i + 1. The order of words does not matter to the models (they average the words'
embeddings). Policy for words outside the vocabulary: they are dropped and reported (a warning in
Python, `unknown` in the result); a prompt left with no known word, an empty prompt, or one with
more than `length` known words is refused with `InputError`.
"""

from __future__ import annotations

import re
import warnings

import numpy as np

from zoo.errors import InputError

WORD = re.compile(r"[a-z0-9]+")
#: how the emoji skin-tone modifiers read as words (Unicode's own names for them)
SKIN_TONES = {
    "1F3FB": "light skin tone",
    "1F3FC": "medium light skin tone",
    "1F3FD": "medium skin tone",
    "1F3FE": "medium dark skin tone",
    "1F3FF": "dark skin tone",
}


def words(text):
    """The distinct lower-case words of `text`, in order of first appearance."""
    if not isinstance(text, str):
        raise InputError(f"a prompt must be a string, got {type(text).__name__}")
    found = []
    for word in WORD.findall(text.lower()):
        if word not in found:
            found.append(word)
    return found


def emoji_text(entry):
    """The words describing one emoji (an entry of `zoo.data.emoji.emoji_names()`): its name, its
    short names (underscores as spaces) and its skin tones."""
    parts = [entry["name"], *(s.replace("_", " ") for s in entry["short_names"])]
    parts += [SKIN_TONES.get(code, "") for code in (entry.get("skin_tone") or "").split("-") if code]
    return " ".join(words(" ".join(parts)))


def vocabulary_of(texts):
    """The sorted distinct words of `texts`: a model's vocabulary."""
    return sorted({w for text in texts for w in words(text)})


def encode(prompts, vocabulary, length, strict=True):
    """(ids int32 [N, length], unknown: [[word, ...] per prompt]) of `prompts` (a list of strings).
    `strict` refuses an empty prompt, one without a known word and one with more than `length` known
    words (InputError naming the prompt); not strict (the models' own evaluation), such a prompt gets
    no ids (all padding) or its first `length` known words."""
    if isinstance(prompts, str) or not isinstance(prompts, (list, tuple)):
        raise InputError(f"prompts must be a list of strings, got {type(prompts).__name__}")
    if not prompts:
        raise InputError("prompts must not be empty")
    index = {w: i + 1 for i, w in enumerate(vocabulary)}
    ids = np.zeros((len(prompts), length), np.int32)
    unknown = []
    for row, prompt in enumerate(prompts):
        found = words(prompt)
        known = [index[w] for w in found if w in index]
        unknown.append([w for w in found if w not in index])
        if strict:
            if not found:
                raise InputError(f"prompt {row} has no words (letters or digits): {prompt!r}")
            if not known:
                raise InputError(
                    f"prompt {row} has no word the model knows ({', '.join(unknown[-1][:8])}); its vocabulary is "
                    "the words of the emoji names it was trained on"
                )
            if len(known) > length:
                raise InputError(f"prompt {row} has {len(known)} known words; the model reads at most {length}")
        ids[row, : min(len(known), length)] = known[:length]
    return ids, unknown


def warn_unknown(unknown):
    """One warning naming the words that were dropped, if any."""
    dropped = sorted({w for row in unknown for w in row})
    if dropped:
        warnings.warn(
            f"words not in the model's vocabulary were dropped: {', '.join(dropped[:12])}"
            + (f" and {len(dropped) - 12} more" if len(dropped) > 12 else ""),
            stacklevel=3,
        )
