"""Your own text for the character language model: `text:FILE` or `text:DIR`.

A file is read as UTF-8 (strict: a byte sequence that is not UTF-8 is refused, naming the file and
the byte offset); a folder contributes every file under it, recursively, in sorted path order, joined
by a blank line (hidden files and folders, whose names start with ".", are skipped). A file holding a
NUL byte is a binary file, refused as such. Windows line ends (CRLF) are read as "\\n". The
vocabulary is every character of the text; at generation time a character outside it is refused
(`CharLanguageModel.encode` names it). No TensorFlow here: the trainer checks a path before the
9-second TensorFlow import.

Large files are streamed, never read whole: `encoded` decodes the files in blocks of 4 MiB, twice
(once for the vocabulary and fingerprint, once to write the character ids), into one array of
1 byte per character (2 past 256 distinct characters, 4 past 65,536) kept as a `.npy` file in
`$ZOO_CACHE_DIR/text` and read back as a memory map. The training split, the held-out split and a
later evaluation read that file instead of the text; it is made again when a file's size,
modification time, inode or status-change time (ctime) changes. Any write updates the ctime and no
tool sets it back (`touch -d` and `os.utime` set the modification time only), so a content change
that keeps the size and restores the modification time is still seen; copying or moving the files
in also makes the ids again.
"""

from __future__ import annotations

import codecs
import hashlib
import json
from pathlib import Path

import numpy as np

from zoo.errors import DataError

SCHEME = "text:"
SNIFF = 1 << 16  # bytes read per file by the check before training
BLOCK = 1 << 22  # bytes decoded at a time when a file is streamed (4 MiB)
UNICODE = 0x110000  # code points


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


def describe(name, files, characters):
    root = Path(str(name)[len(SCHEME) :]).expanduser().resolve()
    what = f"{root.name}" if files == 1 else f"{files} files under {root}"
    return f"your text: {what} ({characters:,} characters, UTF-8)", {"path": str(root), "files": files}


def read(name):
    """(text, description, facts) of `text:PATH` held in memory (for small texts; `encoded` streams);
    facts hold the absolute path and the number of files."""
    files = files_of(name)
    text = "".join(blocks(files))
    if not text.strip():
        raise DataError(f"{str(name)[len(SCHEME) :]} is empty: there is no text to learn from")
    return (text, *describe(name, len(files), len(text)))


def fingerprint(text):
    return hashlib.sha256(text.encode()).hexdigest()


def _not_utf8(path, at, byte):
    return DataError(f"{path} is not UTF-8 text: byte {at} is {byte!r}")


def file_blocks(path, block=BLOCK):
    """The text of one file as str blocks of about `block` bytes, decoded strictly ("\r\n" read as
    "\n", also across blocks); "".join(file_blocks(p)) is what `read` reads for that file."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    offset, carry = 0, ""
    with open(path, "rb") as f:
        while True:
            raw = f.read(block)
            if b"\x00" in raw:
                raise DataError(f"{path} is a binary file (it holds NUL bytes), not UTF-8 text")
            pending = decoder.getstate()[0]
            try:
                text = decoder.decode(raw, final=not raw)
            except UnicodeDecodeError as exc:
                data = pending + raw
                raise _not_utf8(path, offset - len(pending) + exc.start, data[exc.start : exc.start + 1]) from None
            offset += len(raw)
            text, carry = carry + text, ""
            if raw and text.endswith("\r"):  # its "\n" may start the next block
                text, carry = text[:-1], "\r"
            text = text.replace("\r\n", "\n")
            if text:
                yield text
            if not raw:
                return


def blocks(files, block=BLOCK):
    """The text of `files` (joined by a blank line, as `read` joins them) as str blocks."""
    for k, path in enumerate(files):
        if k:
            yield "\n\n"
        yield from file_blocks(path, block)


def code_points(text):
    """uint32 code points of a str (vectorised: no Python loop over characters)."""
    return np.frombuffer(text.encode("utf-32-le"), "<u4")


def id_dtype(size):
    """The smallest unsigned type that holds ids of a vocabulary of `size` characters."""
    return np.uint8 if size <= 256 else np.uint16 if size <= 65536 else np.int32


def id_table(vocabulary):
    """code point -> id, as an array indexed by code point (characters outside the vocabulary: 0)."""
    table = np.zeros(UNICODE, id_dtype(len(vocabulary)))
    table[code_points(vocabulary)] = np.arange(len(vocabulary))
    return table


def encode(text):
    """(ids, vocabulary) of a text held in memory: every character of it, sorted."""
    points = code_points(text)
    present = np.zeros(UNICODE, bool)
    present[points] = True
    vocabulary = "".join(map(chr, np.flatnonzero(present)))
    return id_table(vocabulary)[points], vocabulary


def decode(ids, vocabulary):
    """The text of `ids` (any integer array) in `vocabulary`."""
    return code_points(vocabulary)[np.asarray(ids, np.int64)].astype("<u4").tobytes().decode("utf-32-le")


def _identity(path):
    """What changes whenever a file's content may have: size, mtime, inode and ctime (see the docstring)."""
    stat = path.stat()
    return [stat.st_size, stat.st_mtime_ns, stat.st_ino, stat.st_ctime_ns]


def encoded(name, block=BLOCK):
    """(ids, vocabulary, sha256, characters, files) of `text:PATH`: the ids a memory-mapped 1-D array
    (see the module docstring); `sha256` is `fingerprint` of the text `read` would return."""
    from zoo.atomic import cache_dir, replacing, write_json

    files = files_of(name)
    stats = [[str(p), *_identity(p)] for p in files]
    key = hashlib.sha256(json.dumps([row[0] for row in stats]).encode()).hexdigest()[:24]
    folder = cache_dir() / "text"
    meta_path, ids_path = folder / f"{key}.json", folder / f"{key}.npy"
    if meta_path.is_file() and ids_path.is_file():
        meta = json.loads(meta_path.read_text())
        if meta["files"] == stats:
            ids = np.load(ids_path, mmap_mode="r")
            if len(ids) == meta["characters"]:
                return ids, meta["vocabulary"], meta["sha256"], meta["characters"], len(files)
    present, characters, digest = np.zeros(UNICODE, bool), 0, hashlib.sha256()
    for text in blocks(files, block):  # pass 1: vocabulary, length, fingerprint
        present[code_points(text)] = True
        characters += len(text)
        digest.update(text.encode())
    if not any(present[c] for c in np.flatnonzero(present) if not chr(c).isspace()):
        raise DataError(f"{str(name)[len(SCHEME) :]} is empty: there is no text to learn from")
    vocabulary = "".join(map(chr, np.flatnonzero(present)))
    table = id_table(vocabulary)
    folder.mkdir(parents=True, exist_ok=True)
    with replacing(ids_path, ".npy") as tmp, open(tmp, "wb") as out:  # pass 2: the ids, block by block
        header = {"descr": np.lib.format.dtype_to_descr(table.dtype), "fortran_order": False, "shape": (characters,)}
        np.lib.format.write_array_header_1_0(out, header)
        for text in blocks(files, block):
            out.write(table[code_points(text)].tobytes())
    meta = {"files": stats, "vocabulary": vocabulary, "sha256": digest.hexdigest(), "characters": characters}
    write_json(meta_path, meta)
    return np.load(ids_path, mmap_mode="r"), vocabulary, meta["sha256"], characters, len(files)
