"""Your own text for the character language model: `text:FILE` or `text:DIR`.

A file is read as UTF-8 (strict: a byte sequence that is not UTF-8 is refused, naming the file and
the byte offset); a folder contributes every file under it, recursively, in sorted path order, joined
by a blank line (hidden files and folders, whose names start with ".", are skipped). A file holding a
NUL byte is a binary file, refused as such. Windows line ends (CRLF) are read as "\\n". The
vocabulary is every character of the text; at generation time a character outside it is refused
(`CharLanguageModel.encode` names it). No TensorFlow here: the trainer checks a path before the
9-second TensorFlow import.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from zoo.errors import DataError

SCHEME = "text:"
SNIFF = 1 << 16  # bytes read per file by the check before training


def is_text_name(name):
    return str(name).startswith(SCHEME)


def files_of(name):
    """The files of `text:PATH`, sorted; refuses a missing path or an empty folder."""
    path = Path(str(name)[len(SCHEME) :]).expanduser()
    if not str(name)[len(SCHEME) :]:
        raise DataError("text: needs a path: --dataset text:FILE or text:DIR")
    if path.is_file():
        return [path.resolve()]
    if not path.is_dir():
        raise DataError(f"text file or folder {path} does not exist")
    found = sorted(
        p.resolve()
        for p in path.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)
    )
    if not found:
        raise DataError(f"folder {path} holds no files (hidden ones, starting with '.', are skipped)")
    return found


def _decoded(path, data, cut_off=False):
    """`data` as text; `cut_off`: the bytes are a file's head, so an incomplete character at the end is
    the cut, not an error."""
    if b"\x00" in data:
        raise DataError(f"{path} is a binary file (it holds NUL bytes), not UTF-8 text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if cut_off and exc.reason == "unexpected end of data":
            return data[: exc.start].decode("utf-8")
        raise DataError(f"{path} is not UTF-8 text: byte {exc.start} is {data[exc.start : exc.start + 1]!r}") from None


def check(name):
    """Before TensorFlow: the path exists, its files start as UTF-8 text, and they are not all empty."""
    total = 0
    for path in files_of(name):
        with open(path, "rb") as f:
            head = f.read(SNIFF)
        _decoded(path, head, cut_off=len(head) == SNIFF)
        total += len(head.strip())
    if total == 0:
        raise DataError(f"{str(name)[len(SCHEME) :]} is empty: there is no text to learn from")


def read(name):
    """(text, description, facts) of `text:PATH`; facts hold the absolute path and the number of files."""
    files = files_of(name)
    parts = []
    for path in files:
        parts.append(_decoded(path, path.read_bytes()).replace("\r\n", "\n"))
    text = "\n\n".join(parts)
    if not text.strip():
        raise DataError(f"{str(name)[len(SCHEME) :]} is empty: there is no text to learn from")
    root = Path(str(name)[len(SCHEME) :]).expanduser().resolve()
    what = f"{root.name}" if len(files) == 1 else f"{len(files)} files under {root}"
    return text, f"your text: {what} ({len(text):,} characters, UTF-8)", {"path": str(root), "files": len(files)}


def fingerprint(text):
    return hashlib.sha256(text.encode()).hexdigest()
