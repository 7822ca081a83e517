"""Melodies: the chorale data and its split, tokens, MIDI / WAV / piano roll, the n-gram baselines, the
music trainer through `python -m train.music`, and the export's MIDI client without TensorFlow."""

import json
import struct
import subprocess
import sys
import wave

import numpy as np
import pytest
from conftest import run_cli

import zoo
from zoo import music
from zoo.data import chorales
from zoo.errors import InputError

TOKENS = music.END + "M" + music.note_token(72, 4) + music.note_token(0, 4) + music.note_token(74, 8) + music.END


def test_the_chorales_ship_whole_and_are_held_out_by_tune():
    items = chorales.chorales()
    assert len(items) == 371 and {c["mode"] for c in items} == {"major", "minor"}
    train, test = chorales.split_indices()
    assert len(set(train) | set(test)) == 371 and not set(train) & set(test) and 40 <= len(test) <= 70
    tunes = chorales.tunes(items)
    assert not set(tunes[train]) & set(tunes[test])  # no melody on both sides
    for side in (train, test):
        titles = {items[i]["title"] for i in side}
        other = test if side is train else train
        assert not titles & {items[i]["title"] for i in other}
    tail = len(train) // 10  # a --validation-fraction slice: whole tunes, but the one the cut may split
    assert len(set(tunes[train[-tail:]]) & set(tunes[train[:-tail]])) <= 1
    text = chorales.texts("test")[0]
    assert text[0] in "Mm" and text[-1] == music.END and all(music.is_note(t) for t in text[1:-1])


def test_transposed_training_validates_on_whole_tunes_in_their_own_key():
    from zoo.sequence.music_lm import chorale_texts, load_chorale_chunks

    plain = load_chorale_chunks("train", 64)
    assert plain.validation_part.startswith("the last examples")
    moved = load_chorale_chunks("train", 64, transpose=2)
    assert len(moved) > 4 * len(plain) and moved.info["recipe"]["transpose"] == 2
    train, validation = moved.split_off_tail(0.1)
    assert "own key" in moved.validation_part and validation.split == "validation"
    texts = chorales.texts("train")
    keep = len(texts) - round(len(texts) * 0.1)
    vocabulary = np.array(list(moved.info["vocabulary"]))
    read = lambda rows: "".join(vocabulary[rows.inputs[:].ravel()])  # noqa: E731
    held = "".join(texts[keep:])
    assert read(validation) == held[: len(read(validation))]  # the held-back tunes, untransposed, in order
    trained = read(train)
    copies = {music.transposed(t, s) for t in texts[keep:] for s in range(-2, 3)}
    assert not any(copy in trained for copy in copies if len(copy) > 20)  # no copy of a held-back tune trained on
    assert "".join(chorale_texts("test", 2)) == "".join(chorales.texts("test"))  # held-out tunes stay in C / A


def test_tokens_to_notes_and_time():
    piece = music.Piece.from_tokens(TOKENS)
    s = music.SIXTEENTH_SECONDS
    assert piece.notes == ((72, 0.0, round(4 * s, 6)), (74, round(8 * s, 6), round(8 * s, 6)))  # the rest takes time
    assert piece.seconds == pytest.approx(16 * s)
    assert music.Piece.from_tokens(TOKENS, seconds=5 * s).notes == piece.notes[:1]
    with pytest.raises(InputError):
        music.note_token(72, 0)


def test_midi_wav_and_piano_roll_are_what_they_say(tmp_path):
    piece = music.Piece.from_tokens(TOKENS)
    data = piece.write_midi(tmp_path / "a.mid").read_bytes()
    assert data[:4] == b"MThd" and struct.unpack(">IHHH", data[4:14]) == (6, 0, 1, 480) and data[14:18] == b"MTrk"
    assert data.count(bytes([0x90, 72, 80])) == 1 and data.count(bytes([0x80, 74, 0])) == 1
    with wave.open(str(piece.write_wav(tmp_path / "a.wav"))) as f:
        assert f.getframerate() == 22050 and f.getnframes() == pytest.approx(piece.seconds * 22050, abs=2)
        samples = np.frombuffer(f.readframes(f.getnframes()), "<i2")
    gap = samples[int(0.80 * 22050) : int(1.45 * 22050)]  # inside the rest
    assert np.abs(samples).max() > 3000 and np.abs(gap).max() == 0
    roll = piece.piano_roll()
    assert roll.shape == (41, 16) and (roll[88 - 72, :4] < 200).all() and (roll[:, 4:8] > 200).all()
    for call, what in [
        (lambda: piece.write_midi(tmp_path / "missing" / "a.mid"), "does not exist"),
        (lambda: piece.write_midi(tmp_path / "a.wav"), ".mid"),
        (lambda: piece.write_wav(tmp_path / "b.wav", instrument="kazoo"), "instrument"),
    ]:
        with pytest.raises(InputError, match=what):
            call()


def test_kneser_ney_ngrams_are_distributions_and_learn_a_repeated_tune():
    vocabulary = sorted(set(TOKENS * 3))
    model = music.NGram(3, vocabulary).fit(TOKENS * 20)
    for history in ("", TOKENS[:1], TOKENS[:2], "MM"):
        p = model.distribution(history)
        assert p.sum() == pytest.approx(1.0) and (p > 0).all()
    assert model.nats(TOKENS * 3) / (len(TOKENS * 3) - 1) < music.NGram(1, vocabulary).fit(TOKENS * 20).nats(
        TOKENS * 3
    ) / (len(TOKENS * 3) - 1)
    assert len(model.sample(music.END, 10, seed=0)) == 10


def test_statistics_compare_a_set_with_itself_as_zero():
    pieces = [music.Piece.from_tokens(t) for t in chorales.texts("test")[:10]]
    same = music.compare(pieces, pieces)
    assert same["pitch_class_distance"] == 0 and same["interval_distance"] == 0 and 0.9 < same["in_key"] <= 1


def test_compose_refuses_bad_requests_in_one_line():
    write = lambda prompt, length, temperature, seed: TOKENS * length  # noqa: E731
    assert music.compose(write, seconds=1).seconds == pytest.approx(1.0)
    for kwargs, what in [
        ({"seconds": 0}, "seconds"),
        ({"seconds": -1}, "seconds"),
        ({"temperature": -0.5}, "temperature"),
        ({"mode": "dorian"}, "mode"),
    ]:
        with pytest.raises(InputError, match=what):
            music.compose(write, **kwargs)


@pytest.mark.slow
def test_music_command_cards_it_beside_ngrams_and_the_export_writes_the_same_notes_without_tensorflow(tmp_path):
    out = tmp_path / "run"
    r = run_cli(
        "train.music", "--epochs", "1", "--units", "8", "--depth", "1", "--context", "16", "--quiet", "--out", str(out)
    )
    assert r.returncode == 0, r.stderr
    card = json.loads((out / "card.json").read_text())
    metrics = card["metrics"]
    assert card["name"] == "gru-bach-chorales" and set(metrics["ngram_nats_per_token"]) == {
        "1-gram", "2-gram", "3-gram", "4-gram"
    }  # fmt: skip
    assert metrics["music"]["held-out chorales"]["pitch_class_distance"] == 0
    r = run_cli("zoo.evaluate", str(out))
    assert r.returncode == 0 and "| 3-gram (interpolated Kneser-Ney) |" in r.stdout and "held out by tune" in r.stdout
    model = zoo.load(str(out))
    piece = model.generate(seconds=10, seed=3, temperature=1.0, mode="minor")
    assert 0 < piece.seconds <= 10 and piece.notes
    midi = tmp_path / "new.mid"
    code = (
        "import sys; sys.modules['tensorflow'] = sys.modules['keras'] = None\n"
        "from zoo.serving.decoding import main\n"
        f"main([{str(out / 'export')!r}, 'gru-bach-chorales', '--midi', {str(midi)!r}, '--wav', "
        f"{str(tmp_path / 'new.wav')!r}, '--seconds', '10', '--seed', '3', '--mode', 'minor'])\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert midi.read_bytes() == piece.write_midi(tmp_path / "keras.mid").read_bytes()  # the same notes
    assert (tmp_path / "new.wav").stat().st_size > 1000
    r = run_cli("zoo.decoding", str(out / "export"), "gru-bach-chorales", "--midi", str(tmp_path / "no" / "x.mid"))
    assert r.returncode == 2 and "does not exist" in r.stderr
    r = run_cli("zoo.decoding", str(out / "export"), "gru-bach-chorales", "--midi", str(midi), "--seconds", "0")
    assert r.returncode == 2 and "--seconds" in r.stderr


@pytest.mark.slow
def test_the_shipped_melodies_rebuild_from_music21():
    """python -m zoo.data.chorales_build: parses music21's corpus again and compares with what ships."""
    pytest.importorskip("music21")
    r = run_cli("zoo.data.chorales_build")
    assert r.returncode == 0 and r.stdout.startswith("matches: 371 chorales"), r.stderr
