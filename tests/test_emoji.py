"""The colour emoji datasets (zoo.data.emoji): shipped arrays, a split held out by base emoji, sizes
by block averaging, a damaged file refused, and the build from the npm tarballs."""

import io
import json
import tarfile

import numpy as np
import pytest
from conftest import run_cli

from zoo.data import emoji, from_recipe, load_images
from zoo.data import emoji_build as build
from zoo.errors import DataError, UnknownNameError


def test_the_split_holds_out_whole_emoji_stratified_by_category_and_both_styles_align():
    train, test = load_images("emoji", "train"), load_images("emoji", "test")
    assert (len(train), len(test)) == (3219, 562) and train.image_shape == (64, 64, 3)
    assert train.class_names == emoji.categories() and len(emoji.categories()) == 9
    arrays = emoji._arrays()
    bases_train, bases_test = set(arrays["base"][emoji.rows("train")]), set(arrays["base"][emoji.rows("test")])
    assert not bases_train & bases_test  # skin-tone variants stay with their emoji
    assert set(np.unique(test.labels)) == set(range(9))  # every category is tested
    for c in range(9):  # about 15% of each category's base emoji
        share = len({b for b in bases_test if arrays["category"][arrays["base"] == b][0] == c})
        total = len(np.unique(arrays["base"][arrays["category"] == c]))
        assert abs(share / total - 0.15) < 0.05
    twitter = load_images("emoji-twitter", "test")
    assert np.array_equal(twitter.labels, test.labels) and not np.array_equal(twitter.images, test.images)
    names = emoji.emoji_names("test")
    assert len(names) == len(test) and names[0]["name"] and names[0]["short_names"]
    again = load_images("emoji", "test")
    assert np.array_equal(again.images, test.images)  # fixed


def test_sizes_are_block_averages_and_a_size_it_does_not_come_in_is_refused():
    big, small = load_images("emoji", "test"), load_images("emoji", "test", image_size=32)
    assert small.image_shape == (32, 32, 3)
    by_hand = np.rint(big.images[:4].reshape(4, 32, 2, 32, 2, 3).astype(np.float32).mean(axis=(2, 4)))
    assert np.array_equal(small.images[:4], by_hand.astype(np.uint8))
    with pytest.raises(DataError, match="the emoji come in 64, 32, 16, 8"):
        load_images("emoji", "train", image_size=48)
    with pytest.raises(DataError, match="mnist5k comes in 28x28 only"):
        load_images("mnist5k", "train", image_size=32)
    with pytest.raises(UnknownNameError, match="did you mean: emoji"):
        load_images("emoji-xyz", "train")


def test_the_recipe_gives_the_same_images_back():
    data = load_images("emoji-twitter", "train", image_size=16)
    recipe = data.recipe()
    assert recipe["image_size"] == 16 and "held out by base emoji" in recipe["split"]
    back = from_recipe(recipe, "train")
    assert back.image_shape == (16, 16, 3) and np.array_equal(back.images, data.images)


def test_a_damaged_data_file_is_refused(tmp_path, monkeypatch):
    damaged = tmp_path / "emoji.npz"
    raw = bytearray(emoji.FILE.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    damaged.write_bytes(bytes(raw))
    monkeypatch.setattr(emoji, "FILE", damaged)
    emoji._arrays.cache_clear()
    try:
        with pytest.raises(DataError, match="is damaged"):
            load_images("emoji", "train")
    finally:
        emoji._arrays.cache_clear()


def _png(rgba):
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.full((64, 64, 4), rgba, np.uint8), "RGBA").save(buffer, format="PNG")
    return buffer.getvalue()


def _tarball(path, style, table, colours, version="16.0.0"):
    files = {
        "package/package.json": json.dumps({"version": version}).encode(),
        "package/emoji.json": json.dumps(table).encode(),
        "package/LICENSE": b"MIT",
        **{f"package/img/{style}/64/{name}": _png(rgba) for name, rgba in colours.items()},
    }
    with tarfile.open(path, "w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def test_the_build_reads_the_tarballs_composites_on_white_and_leaves_out_the_components(tmp_path):
    table = [
        {
            "name": "B",
            "unified": "2",
            "image": "b.png",
            "short_names": ["b"],
            "category": "Flags",
            "subcategory": "f",
            "sort_order": 2,
        },
        {
            "name": "A",
            "unified": "1",
            "image": "a.png",
            "short_names": ["a"],
            "category": "Smileys & Emotion",
            "subcategory": "s",
            "sort_order": 1,
            "skin_variations": {"1F3FB": {"unified": "1-1F3FB", "image": "a-1.png"}},
        },
        {
            "name": "TONE",
            "unified": "3",
            "image": "c.png",
            "short_names": ["c"],
            "category": "Component",
            "subcategory": "c",
            "sort_order": 3,
        },
    ]
    colours = {"a.png": (255, 0, 0, 255), "a-1.png": (0, 0, 255, 0), "b.png": (0, 255, 0, 128), "c.png": (0, 0, 0, 255)}
    google = _tarball(tmp_path / "g.tgz", "google", table, colours)
    twitter = _tarball(tmp_path / "t.tgz", "twitter", table, colours)
    arrays, meta = build.build(google, twitter)
    assert meta["categories"] == ["Smileys & Emotion", "Flags"] and [e["name"] for e in meta["emoji"]] == [
        "A",
        "A",
        "B",
    ]
    assert arrays["google"].shape == (3, 64, 64, 3) and list(arrays["category"]) == [0, 0, 1]
    assert list(arrays["base"]) == [0, 0, 1] and meta["emoji"][1]["skin_tone"] == "1F3FB"
    assert tuple(arrays["google"][0, 0, 0]) == (255, 0, 0)  # opaque red stays red
    assert tuple(arrays["google"][1, 0, 0]) == (255, 255, 255)  # transparent -> white
    assert tuple(arrays["google"][2, 0, 0]) == (127, 255, 127)  # half-transparent green on white
    assert meta["arrays_sha256"] == build.array_digest(arrays)
    with pytest.raises(ValueError, match="version 15.0.0"):
        build.build(_tarball(tmp_path / "old.tgz", "google", table, colours, "15.0.0"), twitter)


def test_the_shipped_metadata_says_what_the_arrays_are():
    meta = emoji.meta()
    assert meta["arrays_sha256"] == build.array_digest(emoji._arrays())
    assert len(meta["emoji"]) == 3781 and meta["alpha"] == "composited on white"
    assert (emoji.FOLDER / "NOTICE.md").is_file() and (emoji.FOLDER / "LICENSE-Noto-Emoji-Apache-2.0.txt").is_file()


@pytest.mark.slow
@pytest.mark.parametrize(
    "flags, message",
    [
        (["--dataset", "emoji-xyz"], "unknown dataset 'emoji-xyz' (did you mean: emoji"),
        (["--dataset", "emoji", "--image-size", "48"], "the emoji come in 64, 32, 16, 8"),
    ],
)
def test_bad_emoji_flags_get_one_line_and_leave_nothing(tmp_path, flags, message):
    out = tmp_path / "run"
    r = run_cli("train.dcgan", *flags, "--epochs", "1", "--out", str(out))
    assert r.returncode == 2 and message in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert not out.exists()
