"""Your own text for the character language model: `--dataset text:FILE` / `text:DIR` through
`python -m train.char_lm`, read back from anywhere; bad files refused in one line before training."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest
from conftest import ROOT, portable_check, run_cli

from zoo.errors import DataError
from zoo.sequence import textfile

POEM = (
    "Ein Männlein steht im Walde ganz still und stumm,\n"
    "es hat von lauter Purpur ein Mäntlein um.\n"
    "Sagt, wer mag das Männlein sein, das da steht im Wald allein\n"
    "mit dem purpurroten Mäntelein?\n\n"
)


@pytest.fixture
def texts(tmp_path):
    (tmp_path / "poem.txt").write_text(POEM * 12, encoding="utf-8")
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "blank.txt").write_text("\n \n")
    (tmp_path / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 10)
    (tmp_path / "latin1.txt").write_bytes("Männlein\n".encode("latin-1") * 50)
    folder = tmp_path / "book"
    (folder / "part2").mkdir(parents=True)
    (folder / "a.txt").write_text(POEM * 6, encoding="utf-8")
    (folder / "part2" / "b.md").write_text(POEM.upper() * 6, encoding="utf-8")
    (folder / ".hidden").write_bytes(b"\x00binary, skipped")
    return tmp_path


def test_a_folder_is_its_files_in_order_and_crlf_reads_as_newline(texts):
    text, description, facts = textfile.read(f"text:{texts / 'book'}")
    assert text == POEM * 6 + "\n\n" + POEM.upper() * 6
    assert facts == {"path": str(texts / "book"), "files": 2} and "2 files under" in description
    (texts / "crlf.txt").write_bytes(POEM.replace("\n", "\r\n").encode())
    assert textfile.read(f"text:{texts / 'crlf.txt'}")[0] == POEM


@pytest.mark.parametrize(
    "name, message",
    [
        ("empty.txt", "is empty"),
        ("blank.txt", "is empty"),
        ("binary.txt", "is a binary file"),
        ("latin1.txt", "is not UTF-8 text: byte 1"),
        ("nowhere.txt", "does not exist"),
    ],
)
def test_bad_text_is_refused_by_the_check_and_the_reader(texts, name, message):
    for call in (textfile.check, textfile.read, textfile.encoded):
        with pytest.raises(DataError, match=message):
            call(f"text:{texts / name}")


@pytest.mark.parametrize("block", [1, 2, 3, 7, 64, 1 << 22])
def test_streamed_blocks_read_what_the_whole_file_reads(texts, block):
    """Blocks cut inside a character and between "\r" and "\n" still read the same text."""
    (texts / "mixed.txt").write_bytes(("Mäntlein 😀\r\n\r" * 40 + "end\r").encode())
    for name in (f"text:{texts / 'mixed.txt'}", f"text:{texts / 'book'}"):
        files = textfile.files_of(name)
        whole = textfile.read(name)[0]
        assert "".join(textfile.blocks(files, block)) == whole
    (texts / "late.txt").write_bytes(b"x" * 100 + b"\xff" + b"y" * 10)
    with pytest.raises(DataError, match=r"is not UTF-8 text: byte 100 is b'\\xff'"):
        list(textfile.blocks(textfile.files_of(f"text:{texts / 'late.txt'}"), block))


def test_encoded_text_is_the_text_once_cached_and_made_again_when_the_file_changes(texts, monkeypatch):
    name = f"text:{texts / 'book'}"
    text = textfile.read(name)[0]
    ids, vocabulary, sha256, characters, files = textfile.encoded(name, block=5)
    assert (vocabulary, sha256, characters, files) == (
        "".join(sorted(set(text))),
        textfile.fingerprint(text),
        len(text),
        2,
    )
    assert ids.dtype == "uint8" and isinstance(ids, np.memmap) and textfile.decode(ids, vocabulary) == text
    calls = []
    monkeypatch.setattr(textfile, "blocks", lambda *a: calls.append(a) or iter(()))
    assert textfile.encoded(name)[2] == sha256 and not calls  # the cache: the files are not read again
    monkeypatch.undo()
    (texts / "book" / "a.txt").write_text(POEM * 6 + "Ω", encoding="utf-8")  # a new character
    ids, vocabulary, sha256_after, *_ = textfile.encoded(name)
    assert "Ω" in vocabulary and sha256_after != sha256 and textfile.decode(ids, vocabulary) == textfile.read(name)[0]
    # the same size and the modification time set back: the ctime still tells
    path = texts / "book" / "a.txt"
    before, swapped = path.stat(), path.read_text(encoding="utf-8").replace("a", "b", 1)
    time.sleep(0.01)
    path.write_text(swapped, encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size and path.stat().st_mtime_ns == before.st_mtime_ns
    ids, vocabulary, sha256_swapped, *_ = textfile.encoded(name)
    assert sha256_swapped != sha256_after and textfile.decode(ids, vocabulary) == textfile.read(name)[0]


def test_more_than_256_characters_take_two_bytes_each(tmp_path):
    (tmp_path / "wide.txt").write_text("".join(map(chr, range(0x4E00, 0x4E00 + 300))) * 3, encoding="utf-8")
    ids, vocabulary, *_ = textfile.encoded(f"text:{tmp_path / 'wide.txt'}")
    assert ids.dtype == "uint16" and len(vocabulary) == 300 and textfile.decode(ids[:5], vocabulary) == "一丁丂七丄"


PEAK = """
import resource, sys
from zoo.sequence import textfile
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
ids, vocabulary, sha256, characters, files = textfile.encoded("text:" + sys.argv[1])
print(characters, (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024)
"""


def test_a_large_text_is_streamed_not_read_whole(tmp_path):
    """96 MiB of text cost the encoder less than a third of that in peak memory (it holds 4 MiB blocks)."""
    line = POEM.replace("ä", "a").encode() * 100
    with open(tmp_path / "large.txt", "wb") as f:
        for _ in range((96 << 20) // len(line)):
            f.write(line)
    size = (tmp_path / "large.txt").stat().st_size
    out = subprocess.run(
        [sys.executable, "-c", PEAK, str(tmp_path / "large.txt")], capture_output=True, text=True, check=True
    )
    characters, grown = map(int, out.stdout.split())
    assert characters == size and grown < size / 3, (grown, size)


def test_the_check_reads_a_head_cut_inside_a_character(texts, monkeypatch):
    monkeypatch.setattr(textfile, "SNIFF", 10)
    (texts / "cut.txt").write_text("Männlein Männlein", encoding="utf-8")  # byte 10 is inside "ä"
    textfile.check(f"text:{texts / 'cut.txt'}")


@pytest.mark.slow
@pytest.mark.parametrize(
    "name, message",
    [("empty.txt", "is empty"), ("binary.txt", "is a binary file"), ("nowhere.txt", "does not exist")],
)
def test_bad_text_one_line_exit_2_nothing_written(texts, name, message):
    out = texts / "run"
    result = run_cli("train.char_lm", "--dataset", f"text:{texts / name}", "--epochs", "1", "--out", str(out))
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2 and len(lines) == 1 and message in lines[0], result.stderr
    assert not out.exists()


@pytest.mark.slow
def test_own_text_end_to_end(texts, tmp_path):
    """Train on a text file; resume by a relative path; then, from another directory: zoo.evaluate
    (bits/char beside gzip and xz), export and replay without TensorFlow; a changed file is refused."""
    out = texts / "run"
    common = ["--context", "20", "--units", "16", "--embedding-dim", "8", "--batch-size", "8", "--quiet"]
    first = run_cli("train.char_lm", "--dataset", f"text:{texts / 'poem.txt'}", *common, "--epochs", "1",
                    "--no-export", "--out", str(out))  # fmt: skip
    assert first.returncode == 0, first.stderr
    card = json.loads((out / "card.json").read_text())
    assert card["name"] == "gru-char-poem"
    assert card["data"]["path"] == str(texts / "poem.txt") and card["data"]["dataset"] == f"text:{texts / 'poem.txt'}"
    metrics = card["metrics"]
    assert metrics["test_bits_per_char"] > 0 and set(metrics["compressors_bits_per_char"]) == {"gzip-9", "xz-9"}
    assert metrics["sample_prompt"] == "Ein " or all(c in POEM for c in metrics["sample_prompt"])
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}

    def run_in(folder, *args):
        return subprocess.run(
            [sys.executable, "-m", *args], cwd=folder, env=env, capture_output=True, text=True, timeout=600
        )

    resumed = run_in(texts, "train.char_lm", "--dataset", "text:./poem.txt", *common, "--epochs", "2",
                     "--no-export", "--out", str(out), "--resume")  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    evaluated = run_in(elsewhere, "zoo.evaluate", str(out))
    assert evaluated.returncode == 0 and "bits_per_char" in evaluated.stdout, evaluated.stderr
    exported = run_in(elsewhere, "export", str(out), "--out", "ex", "--format", "onnx,litert")
    assert exported.returncode == 0, exported.stderr
    report = portable_check(elsewhere / "ex", "gru-char-poem")
    assert report["onnx"] and report["litert"] and report["tensorflow_importable"] is False
    import zoo

    model = zoo.load(str(out))
    assert model.generate("Ein ", 20, seed=0)
    with pytest.raises(Exception, match="not in the model's vocabulary"):
        model.generate("Qxz", 5)
    (texts / "poem.txt").write_text(POEM * 11, encoding="utf-8")
    with pytest.raises(DataError, match="changed since the model was trained"):
        model.data("test")
