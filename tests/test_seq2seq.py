"""Sequence to sequence with attention: masking, attention weights, teacher forcing vs greedy, beam
search, the step endpoints against the full decoder, the dates data, bad input."""

import numpy as np
import pytest
import tensorflow as tf

from zoo.errors import InputError, UnknownNameError
from zoo.sequence.seq2seq import END, SPECIALS, Seq2Seq, encode_texts, load_pairs

SOURCE, TARGET = "abcdefgh xy|", "0123456789-"


def model(source_length=16, **kw):
    kw = {"cell": "gru", "units": 8, "embedding_dim": 4, "target_length": 6, "seed": 1, **kw}
    return Seq2Seq(SOURCE, TARGET, source_length=source_length, **kw)


@pytest.mark.parametrize("cell, attention", [("gru", "luong"), ("lstm", "bahdanau"), ("bilstm", "luong")])
def test_attention_sums_to_one_over_the_real_source_and_padding_changes_nothing(cell, attention):
    short, long = model(12, cell=cell, attention=attention), model(20, cell=cell, attention=attention)
    long.set_weights(short.get_weights())
    text, target = "abc xy|hhg", "12-3"
    a, b = short.teacher_forced_logits(text, target), long.teacher_forced_logits(text, target)
    np.testing.assert_allclose(a, b, atol=1e-5)  # 2 or 10 padding positions: the same logits
    weights, _ = long.attention(text)
    np.testing.assert_allclose(weights.sum(-1), 1.0, atol=1e-5)
    assert np.all(weights[:, len(text) :] == 0)  # no weight on padding


@pytest.mark.slow
def test_greedy_output_is_what_teacher_forcing_on_it_predicts_and_beam_1_is_greedy():
    m = model(attention="bahdanau", depth=2)
    texts = ["abc|x", "hg fe|dd", "a"]
    greedy = m.translate(texts)
    for text, output in zip(texts, greedy):
        logits = m.teacher_forced_logits(text, output)
        choices = logits.argmax(-1)[: len(output) + 1]  # its characters, then <end> (if it ended)
        assert m.decode_ids(choices) == output
        assert m.translate(text, beam=1) == output
        [(log_p, ids, step_log_probs)] = m.beam_search(m.encode_texts([text])[0], 1)
        assert m.decode_ids(ids) == output
        # the greedy score is the sum of the log-softmax of the teacher-forced logits at the chosen
        # tokens, <end> included; beam width 1 scores it the same
        shifted = logits - logits.max(-1, keepdims=True)
        teacher = shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))  # log-softmax
        want = sum(teacher[t, c] for t, c in enumerate(choices))
        found = m.translate(text, return_scores=True)
        assert found.text == output and found.log_prob == pytest.approx(want, abs=1e-4)
        assert len(found.token_probs) == len(choices) and log_p == pytest.approx(want, abs=1e-4)
        np.testing.assert_allclose(np.log(found.token_probs), step_log_probs, atol=1e-4)
        assert m.translate([text], return_scores=True) == [found]
    # A wider beam returns its `beam` best, best first; its best is never scored below greedy's.
    m2 = model(cell="lstm")
    for text in texts:
        assert isinstance(m2.translate(text, beam=3), str)
        beams = m2.translate(text, beam=3, return_scores=True)
        assert len(beams) == 3 and beams[0].text == m2.translate(text, beam=3)
        assert [b.log_prob for b in beams] == sorted((b.log_prob for b in beams), reverse=True)
        assert beams[0].log_prob >= m2.translate(text, return_scores=True).log_prob - 1e-5
        assert all(b.log_prob == pytest.approx(np.log(b.token_probs).sum(), abs=1e-6) for b in beams)
    with pytest.raises(InputError, match="return_scores must be True or False"):
        m2.translate("abc", return_scores="yes")


def test_encode_and_decode_step_in_a_loop_equal_the_teacher_forced_decoder():
    m = model(cell="lstm", depth=2)
    endpoints = m.endpoints()
    text, target = "hab|cd", "2021-3"
    source = m.encode_texts([text])
    encoded = endpoints["encode"](source=source)
    full = m.teacher_forced_logits(text, target)
    ids = encode_texts([target], TARGET, 6)[0]  # fills all 6 steps: no <end>
    token, state = np.array([1], np.int32), encoded["state"]
    for t in range(6):
        out = endpoints["decode_step"](token=token, state=state, memory=encoded["memory"], source=source)
        np.testing.assert_allclose(out["logits"][0], full[t], atol=1e-5)
        np.testing.assert_allclose(out["attention"].sum(), 1.0, atol=1e-5)
        token, state = ids[t : t + 1], out["next_state"]
    translated = endpoints["translate"](source=source)
    assert m.decode_ids(translated["target"][0]) == m.translate(text)
    assert translated["attention"].shape == (1, 6, 16)


def test_dates_data_holds_out_dates_formats_and_locales():
    train, test = load_pairs("dates", "train"), load_pairs("dates", "test")
    assert set(test.info["groups"]) == {"unseen date", "unseen format", "unseen locale"}
    train_texts = set(train.info["texts"])
    for group in ("unseen format", "unseen locale"):
        pairs = {t.split("|")[0] for t, g in zip(test.info["texts"], test.info["groups"]) if g == group}
        assert pairs and all(not t.startswith(p + "|") for p in pairs if group == "unseen locale" for t in train_texts)
    train_days = {
        m.decode_ids(r) for m in [Seq2Seq(train.info["source_vocabulary"], "-0123456789")] for r in train.targets[:2000]
    }
    test_days = {
        m.decode_ids(r) for m in [Seq2Seq(train.info["source_vocabulary"], "-0123456789")] for r in test.targets
    }
    assert not train_days & test_days  # no held-out date occurs in training
    assert (train.targets[:, -1] == END).all() and train.inputs.shape[1] == 48
    with pytest.raises(UnknownNameError, match="did you mean: dates"):
        load_pairs("date", "train")


def test_bad_input_is_one_typed_error():
    m = model().attach_recipe({"dataset": "dates", "locales": "ab,xy"})
    with pytest.raises(InputError, match="vocabulary"):
        m.translate("ab|zzz")
    with pytest.raises(InputError, match="locales"):
        m.translate("ha|abc")
    with pytest.raises(InputError, match="non-empty"):
        m.translate([])
    with pytest.raises(InputError, match="at most 16"):
        m.translate("ab|" + "a" * 20)
    with pytest.raises(InputError, match="beam"):
        m.translate("ab|a", beam=0)
    step = m.endpoints()["decode_step"]
    source = m.encode_texts(["ab|a"])
    memory = m.endpoints()["encode"](source=source)["memory"]
    with pytest.raises(InputError, match="state"):
        step(token=np.array([1], np.int32), state=np.zeros((1, 3), np.float32), memory=memory, source=source)
    with pytest.raises(InputError, match=r"\[0, "):
        m.endpoints()["translate"](source=np.full((1, 16), len(SOURCE) + SPECIALS, np.int32))


@pytest.mark.slow
def test_training_lowers_the_loss():
    m = model(cell="gru")
    m.compile(learning_rate=1e-2)
    source = tf.constant(encode_texts(["abc|x", "hg|fe", "xy|ab"], SOURCE, 16))
    target = tf.constant(encode_texts(["12", "3-4", "567"], TARGET, 6, end=True))
    loss = lambda: float(tf.reduce_mean(m.sequence_loss(target, m((source, target)))))  # noqa: E731
    first, step = loss(), tf.function(m.train_step)
    for _ in range(40):
        step((source, target))
    assert loss() < 0.5 * first


SHIPPED = "gru-attention-dates"


@pytest.mark.slow
def test_shipped_entry_reproduces_its_card_and_beats_babels_parser():
    import zoo

    model = zoo.load(SHIPPED)
    card = model.card["metrics"]
    again = model.held_out_metrics(model.data("test"))
    assert again["test_exact_match"] == card["test_exact_match"] and again["by_group"] == card["by_group"]
    assert card["test_exact_match"] > card["babel_parse_date"]["exact_match"]
    assert model.translate("de_DE|12. März 2021") == "2021-03-12"


def test_exported_encoder_and_decoder_steps_translate_like_keras_without_tensorflow(shipped_exports):
    """`python -m zoo.decoding EXPORT NAME --text ...` decodes greedily with the exported `encode` and
    `decode_step` (ONNX Runtime, and LiteRT with TensorFlow unimportable) and writes the Keras model's
    translations."""
    import subprocess
    import sys

    import zoo

    out, _ = shipped_exports
    model = zoo.load(SHIPPED)
    test = model.data("test")
    texts = [test.info["texts"][i] for i in range(0, len(test), 431)]
    expected = "".join(t + "\n" for t in model.translate(texts))
    blocked = "import sys, runpy; sys.modules.update(tensorflow=None, keras=None); "
    blocked += "runpy.run_module('zoo.decoding', run_name='__main__')"
    args = [str(out), SHIPPED, *[a for t in texts for a in ("--text", t)]]
    for runtime, launcher in (("onnx", ["-m", "zoo.decoding"]), ("litert", ["-c", blocked])):
        r = subprocess.run([sys.executable, *launcher, *args, "--runtime", runtime], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        assert r.stdout == expected, runtime
    # --scores: the exported steps give each translation the Keras model's log-probability
    keras_scores = model.translate(texts, return_scores=True)
    for runtime, launcher in (("onnx", ["-m", "zoo.decoding"]), ("litert", ["-c", blocked])):
        r = subprocess.run(
            [sys.executable, *launcher, *args, "--runtime", runtime, "--scores"], capture_output=True, text=True
        )
        assert r.returncode == 0, r.stderr
        lines = [line.split("\t") for line in r.stdout.splitlines()]
        assert [line[0] for line in lines] == [s.text for s in keras_scores], runtime
        for line, want in zip(lines, keras_scores):
            assert float(line[1].removeprefix("log_prob ")) == pytest.approx(want.log_prob, abs=1e-3), runtime
            assert float(line[2].removeprefix("min_token_prob ")) == pytest.approx(want.min_token_prob, abs=1e-3)
    bad = subprocess.run(
        [sys.executable, "-m", "zoo.decoding", str(out), SHIPPED, "--text", "de_DE|12 \u20ac"],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and "vocabulary" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
    unknown_locale = subprocess.run(
        [sys.executable, "-m", "zoo.decoding", str(out), SHIPPED, "--text", "xx|1"], capture_output=True, text=True
    )
    assert unknown_locale.returncode == 2 and "locales" in unknown_locale.stderr, unknown_locale.stderr
    assert len(unknown_locale.stderr.strip().splitlines()) == 1


def test_a_score_counts_the_steps_up_to_and_including_the_first_end():
    from zoo.serving.decoding import greedy_decode, scored

    s = scored("ab", [5, 6, END, END, 7], np.log([0.5, 0.25, 0.8, 0.1, 0.1]))
    assert s.token_probs == pytest.approx((0.5, 0.25, 0.8)) and s.log_prob == pytest.approx(np.log(0.1))
    assert s.mean_log_prob == pytest.approx(np.log(0.1) / 3) and s.min_token_prob == pytest.approx(0.25)
    never_ended = scored("abc", [5, 6, 7], np.log([0.5, 0.5, 0.5]))
    assert never_ended.log_prob == pytest.approx(3 * np.log(0.5))
    # the NumPy greedy loop of the exports: the argmax's log-softmax each step, nothing after <end>
    table = np.log(
        np.array([[0.1, 0.1, 0.1, 0.7], [0.1, 0.1, 0.6, 0.2], [0.9, 0.1, 1e-9, 1e-9], [0.9, 0.1, 1e-9, 1e-9]])
    )

    def step(token, state, memory, source):  # the logits of step t (the state counts the steps)
        return table[state[:, 0].astype(int)], state + 1

    ids, log_probs = greedy_decode(
        lambda source: (None, np.zeros((1, 1))), step, np.zeros((1, 3)), 4, end=END, scores=True
    )
    assert ids.tolist() == [[3, END, END, END]]
    np.testing.assert_allclose(log_probs, [[np.log(0.7), np.log(0.6), 0, 0]], atol=1e-12)


def test_decoding_refuses_scores_without_texts(tmp_path):
    import subprocess
    import sys

    r = subprocess.run(
        [sys.executable, "-m", "zoo.decoding", str(tmp_path), "x", "--scores"], capture_output=True, text=True
    )
    assert r.returncode == 2 and "--scores goes with --text" in r.stderr
