"""Image -> sequence: the number-words data, the captioner's decoder against its step endpoints,
teacher forcing vs greedy, the shipped entry against the classifier baseline, bad input."""

import numpy as np
import pytest

import zoo
from zoo.errors import InputError
from zoo.sequence.captioner import ImageCaptioner, load_number_pairs, number_words
from zoo.serving.decoding import scored


@pytest.mark.slow
def test_number_words_and_pairs_from_the_right_split():
    assert [number_words(n) for n in (0, 7, 13, 20, 42, 90, 99)] == [
        "zero",
        "seven",
        "thirteen",
        "twenty",
        "forty-two",
        "ninety",
        "ninety-nine",
    ]
    with pytest.raises(InputError):
        number_words(100)
    from zoo.data import load_images, scale_images

    test = load_number_pairs("test", pairs=20)
    digits = scale_images(load_images("mnist5k", "test").images)
    for image, (a, b), caption in zip(test.inputs[:5], test.info["labels"][:5], test.info["captions"][:5]):
        assert caption == number_words(10 * a + b)
        left = np.abs(digits - image[:, :28]).reshape(len(digits), -1).max(1).min()
        right = np.abs(digits - image[:, 28:]).reshape(len(digits), -1).max(1).min()
        assert left == 0 and right == 0  # both halves are held-out digits


def test_shifted_training_pairs_move_each_digit_and_leave_the_held_out_pairs_alone():
    from zoo.sequence.captioner import load_pairs, shifted

    image = np.zeros((1, 5, 5, 1), np.uint8)
    image[0, 2, 2] = 9
    moved = shifted(np.repeat(image, 3, axis=0), np.array([[1, -2], [0, 0], [-2, 2]]))
    assert moved[0, 3, 0] == 9 and moved[1, 2, 2] == 9 and moved[2, 0, 4] == 9 and moved.sum() == 27
    plain, more = load_pairs("mnist-pairs", "train", pairs=40), load_pairs("mnist-pairs", "train", pairs=40, shift=2)
    np.testing.assert_array_equal(plain.info["labels"], more.info["labels"])  # the same pairs, moved
    assert not np.array_equal(plain.inputs, more.inputs) and more.recipe()["shift"] == 2
    np.testing.assert_allclose(plain.inputs.sum((1, 2, 3)), more.inputs.sum((1, 2, 3)), rtol=0.05)
    test = load_pairs("mnist-pairs", "test", pairs=40, shift=2)  # held out: always the same 2,000
    np.testing.assert_array_equal(test.inputs, load_number_pairs("test").inputs)
    with pytest.raises(InputError, match="choose 0..13"):
        load_number_pairs("train", pairs=4, shift=14)


def test_step_endpoints_equal_the_teacher_forced_decoder_and_greedy_is_consistent():
    model = ImageCaptioner(image_shape=(12, 20, 1), width=3, units=8, cell="lstm", depth=2, seed=2)
    rng = np.random.default_rng(0)
    image = rng.random((1, 12, 20, 1), dtype=np.float32)
    caption = model.caption(image)[0]
    logits = model.teacher_forced_logits(image, caption)
    assert model.decode_ids(logits.argmax(-1)[: len(caption) + 1]) == caption
    assert model.caption(image, beam=1) == [caption]
    endpoints = model.endpoints()
    encoded = endpoints["encode"](source=image)
    token, state = np.array([1], np.int32), encoded["state"]
    target = model.teacher_forced_logits(image, "eight")
    ids = [model.target_vocabulary.index(c) + 3 for c in "eight"] + [2]
    for t in range(6):
        out = endpoints["decode_step"](token=token, state=state, memory=encoded["memory"])
        np.testing.assert_allclose(out["logits"][0], target[t], atol=1e-5)
        np.testing.assert_allclose(out["attention"].sum(), 1.0, atol=1e-5)
        token, state = np.array(ids[t : t + 1], np.int32), out["next_state"]
    weights, text = model.attention_map(image[0])
    assert weights.shape == (model.target_length, 3, 5) and text == caption


def test_bad_images_are_one_typed_error():
    model = ImageCaptioner(image_shape=(8, 8, 1), width=2, units=4)
    with pytest.raises(InputError, match=r"\[0.0, 1.0\]"):
        model.caption(np.full((1, 8, 8, 1), 255.0))
    with pytest.raises(InputError, match="shape"):
        model.caption(np.zeros((1, 8, 9, 1)))
    with pytest.raises(InputError, match="bidirectional|convolutional"):
        ImageCaptioner(cell="bilstm")


@pytest.mark.slow
def test_shipped_captioner_reproduces_its_card():
    model = zoo.load("captioner-mnist-pairs")
    card = model.card["metrics"]
    again = model.held_out_metrics(model.data("test"))
    assert again["test_exact_match"] == card["test_exact_match"]
    assert again["classifier_baseline"] == card["classifier_baseline"]


@pytest.mark.slow
def test_exported_steps_caption_like_keras_without_tensorflow(shipped_exports):
    """The exported `encode` + `decode_step` of the captioner, run by ONNX Runtime and by LiteRT in a
    process where TensorFlow cannot be imported, decoded greedily by `zoo.decoding.greedy_decode`,
    write the Keras model's captions."""
    import json
    import subprocess
    import sys

    out, _ = shipped_exports
    model = zoo.load("captioner-mnist-pairs")
    images = model.data("test").inputs[:16]
    np.save(out / "captioner-images.npy", images)
    script = """
import sys, json
sys.modules.update(tensorflow=None, keras=None)
import numpy as np
from zoo.serving.decoding import exported_endpoints, greedy_decode
folder, runtime = sys.argv[1], sys.argv[2]
report, run = exported_endpoints(folder, "captioner-mnist-pairs", ["encode", "decode_step"], runtime)
meta = report["endpoints"]["encode"]["meta"]
def encode(images):
    o = run["encode"](source=images)
    return o["memory"], o["state"]
def step(token, state, memory, source):
    o = run["decode_step"](token=token, state=state, memory=memory)
    return o["logits"], o["next_state"]
images = np.load(f"{folder}/captioner-images.npy")
ids, log_probs = greedy_decode(encode, step, images, meta["target_length"], scores=True)
print(json.dumps([ids.tolist(), log_probs.tolist()]))
"""
    expected = model.caption(images)
    keras_scores = model.caption(images, return_scores=True)
    for runtime in ("onnx", "litert"):
        r = subprocess.run([sys.executable, "-c", script, str(out), runtime], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr[-2000:]
        ids, log_probs = json.loads(r.stdout)
        assert [model.decode_ids(row) for row in ids] == expected, runtime
        exported = [scored(model.decode_ids(row), row, lp) for row, lp in zip(ids, log_probs)]
        np.testing.assert_allclose([e.log_prob for e in exported], [k.log_prob for k in keras_scores], atol=1e-3)


def test_the_classifier_shaped_encoder_starts_from_classifier_mnist_and_refuses_what_does_not_fit():
    classifier = zoo.load("classifier-mnist")
    model = ImageCaptioner(encoder="classifier")
    assert model.start_encoder_from(classifier) == 4
    theirs = [w for w in classifier.parts()["body"].weights if len(w.shape) == 4]
    ours = [layer.kernel for layer in model.conv if hasattr(layer, "kernel")]
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert model.caption(np.zeros((1, 28, 56, 1), np.float32))[0] is not None  # the grid still fits the decoder
    with pytest.raises(InputError, match="do not fit"):
        ImageCaptioner(encoder="classifier", width=8).start_encoder_from(classifier)
    with pytest.raises(InputError, match="only encoder='classifier'"):
        ImageCaptioner().start_encoder_from(classifier)
    with pytest.raises(InputError, match="unknown encoder"):
        ImageCaptioner(encoder="resnet")


@pytest.mark.slow
def test_captioner_command_starts_from_the_classifier_and_keeps_a_frozen_encoder_fixed(tmp_path):
    from conftest import run_cli

    out = tmp_path / "run"
    r = run_cli(
        "train.captioner", "--encoder", "classifier", "--encoder-from", "classifier-mnist", "--freeze-encoder",
        "--epochs", "1", "--limit", "64", "--batch-size", "16", "--units", "8", "--quiet", "--no-export",
        "--out", str(out),
    )  # fmt: skip
    assert r.returncode == 0 and "4 convolutions copied" in r.stdout, r.stderr
    model, classifier = zoo.load(str(out)), zoo.load("classifier-mnist")
    theirs = [w for w in classifier.parts()["body"].weights if len(w.shape) == 4]
    ours = [layer.kernel for layer in model.conv if hasattr(layer, "kernel")]
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))  # frozen: exactly the classifier's
