"""Text -> image: the tokenizer, the matching-aware step, the retrieval baseline, the trainer through
`python -m train.text2image`, and the export's TensorFlow-free client."""

import json
import sys
import warnings

import numpy as np
import pytest
from conftest import run_cli

import zoo
from zoo.errors import InputError
from zoo.evaluation.text2image import ranks, retrieve
from zoo.serving import prompts

VOCABULARY = ["cat", "face", "grinning", "red", "smiling"]


def tiny(**kwargs):
    return zoo.TextToImageGAN(
        vocabulary=VOCABULARY, latent_dim=4, image_shape=(8, 8, 3), width=2, embed_dim=3, text_length=4, **kwargs
    )


def test_words_are_lower_case_distinct_and_the_emoji_text_has_its_skin_tone():
    assert prompts.words("Smiling CAT, smiling!") == ["smiling", "cat"]
    entry = {"name": "GIRL", "short_names": ["girl"], "skin_tone": "1F3FD"}
    assert prompts.emoji_text(entry) == "girl medium skin tone"
    flag = {"name": "Thailand Flag", "short_names": ["flag-th"], "skin_tone": None}
    assert prompts.emoji_text(flag) == "thailand flag th"


def test_unknown_words_are_dropped_and_named_and_bad_prompts_refused():
    ids, unknown = prompts.encode(["smiling cat", "red car"], VOCABULARY, 4)
    assert ids.tolist() == [[5, 1, 0, 0], [4, 0, 0, 0]] and unknown == [[], ["car"]]
    with pytest.warns(UserWarning, match="car"):
        prompts.warn_unknown(unknown)
    for bad, match in [
        ([""], "no words"),
        (["  !! "], "no words"),
        (["blue car"], "no word the model knows"),
        (["cat face red smiling grinning"], "at most 4"),
        ([], "must not be empty"),
        ("smiling cat", "list of strings"),
        ([5], "must be a string"),
    ]:
        with pytest.raises(InputError, match=match):
            prompts.encode(bad, VOCABULARY, 4)
    ids, _ = prompts.encode(["blue car", ""], VOCABULARY, 4, strict=False)  # the evaluation's own prompts
    assert not ids.any()


def test_generate_checks_prompts_and_latents_one_line_each():
    model = tiny()
    assert model.generate(["smiling cat", "red face"], seed=0).shape == (2, 8, 8, 3)
    np.testing.assert_array_equal(model.generate(["cat"], seed=3), model.generate(["cat"], seed=3))
    with pytest.raises(InputError, match=r"z must have shape \[2, 4\]"):
        model.generate(["cat", "face"], z=np.zeros((3, 4), np.float32))
    with pytest.raises(InputError, match="no word the model knows"):
        model.generate(["blue car"])
    with pytest.warns(UserWarning, match="car"):
        model.generate(["red car"])
    with pytest.raises(InputError, match=r"must lie in \[0, 5\]"):  # an id past the vocabulary, at the endpoint
        model.endpoint("generate")(tokens=np.full((1, 4), 9, np.int32), z=np.zeros((1, 4), np.float32))
    with pytest.raises(InputError, match="vocabulary"):
        zoo.TextToImageGAN(vocabulary=["Cat", "cat"])


def test_word_dropout_keeps_at_least_one_word():
    model = tiny(keep_words=0.0)  # every word dropped: each text keeps all of its words instead
    tokens = np.array([[1, 2, 0, 0], [3, 0, 0, 0]], np.int32)
    np.testing.assert_array_equal(model.drop_words(tokens), tokens)
    model = tiny(keep_words=0.5)
    kept = np.asarray(model.drop_words(np.tile(np.array([[1, 2, 3, 4]], np.int32), (200, 1))))
    assert (kept > 0).any(axis=1).all() and 0.3 < (kept > 0).mean() < 0.7


def test_the_discriminator_also_learns_that_wrong_words_are_fake():
    """The matching-aware term: with `mismatched`, (real, wrong words) enters the loss as fake."""
    model = tiny()
    model.compile(learning_rate=1e-3)
    real = np.random.default_rng(0).random((4, 8, 8, 3), dtype=np.float32)
    import tensorflow as tf

    tokens = tf.constant([[1, 0, 0, 0], [2, 0, 0, 0], [3, 0, 0, 0], [4, 0, 0, 0]], tf.int32)
    fake = tf.constant(model.generate(["cat", "face", "red", "smiling"], seed=0))
    before = [w.numpy().copy() for w in model.discriminator.trainable_weights]
    plain = model.discriminator_step(real, fake, tokens)
    for w, b in zip(model.discriminator.trainable_weights, before):
        w.assign(b)
    matched = model.discriminator_step(real, fake, tokens, mismatched=tf.roll(tokens, 1, axis=0))
    assert float(plain["d_loss"]) != pytest.approx(float(matched["d_loss"]))


def test_retrieval_takes_the_training_text_sharing_most_words_and_ranks_count_from_one():
    train = ["grinning face", "cat face", "smiling cat face", "red apple"]
    assert retrieve(["smiling cat", "red car", "face"], train).tolist() == [2, 3, 0]
    true = np.array([[0.0], [1.0], [2.0]])
    assert ranks(np.array([[0.1], [1.9], [2.0]]), true).tolist() == [1, 2, 1]


@pytest.mark.slow
def test_text2image_command_cards_it_beside_retrieval_and_the_export_draws_without_tensorflow(tmp_path):
    out = tmp_path / "run"
    r = run_cli(
        "train.text2image", "--epochs", "1", "--limit", "64", "--batch-size", "16", "--width", "4",
        "--embed-dim", "4", "--quiet", "--out", str(out),
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    card = json.loads((out / "card.json").read_text())
    metrics = card["metrics"]
    assert card["name"] == "text2image-emoji" and card["config"]["image_shape"] == [32, 32, 3]
    for part in ("model", "retrieval_baseline"):
        assert {"category_read", "fid", "top1", "top5", "median_rank"} <= set(metrics[part])
    assert metrics["retrieval_baseline"]["category_read"] > 0.5 and metrics["fid_floor"] > 0
    assert metrics["chance_median_rank"] == (metrics["examples"] + 1) / 2
    r = run_cli("zoo.evaluate", str(out))
    assert r.returncode == 0 and "| retrieval: the training emoji sharing most words |" in r.stdout, r.stderr
    model = zoo.load(str(out))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        keras_images = model.generate(["grinning face", "red apple"], seed=0)
    assert keras_images.shape == (2, 32, 32, 3)
    code = (
        "import sys; sys.modules['tensorflow'] = sys.modules['keras'] = None\n"
        "import numpy as np\n"
        "from zoo.serving.decoding import ExportedTextToImage\n"
        f"for runtime in ('onnx', 'litert'):\n"
        f"    images = ExportedTextToImage({str(out / 'export')!r}, 'text2image-emoji', runtime).generate("
        "['grinning face', 'red apple'], seed=0)\n"
        f"    np.save({str(tmp_path)!r} + f'/{{runtime}}.npy', images)\n"
    )
    import subprocess

    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    for runtime in ("onnx", "litert"):
        np.testing.assert_allclose(np.load(tmp_path / f"{runtime}.npy"), keras_images, atol=1e-4)
    png = tmp_path / "drawn.png"
    r = run_cli(
        "zoo.decoding", str(out / "export"), "text2image-emoji", "--image-prompt", "grinning face", "--out", str(png)
    )
    assert r.returncode == 0 and png.stat().st_size > 100, r.stderr
    assert r.stderr.strip() == "" and "wrote" in r.stdout
    r = run_cli(
        "zoo.decoding", str(out / "export"), "text2image-emoji", "--image-prompt", "red xylophone", "--out", str(png)
    )
    assert r.returncode == 0 and r.stderr.strip() == "note: words not in the model's vocabulary were dropped: xylophone"
    r = run_cli(
        "zoo.decoding", str(out / "export"), "text2image-emoji", "--image-prompt", "qqq xylophone", "--out", str(png)
    )
    assert r.returncode == 2 and "no word the model knows" in r.stderr and "Traceback" not in r.stderr
