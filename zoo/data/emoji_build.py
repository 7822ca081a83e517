"""Rebuild the shipped emoji data from the two npm tarballs, and check it against what ships.

    npm pack emoji-datasource-google@16.0.0 emoji-datasource-twitter@16.0.0
    python -m zoo.data.emoji_build emoji-datasource-google-16.0.0.tgz emoji-datasource-twitter-16.0.0.tgz
        # decodes every 64x64 PNG of both styles, composites alpha on white, and compares the pixels and
        # labels with zoo/data/emoji/ (a sha256 over the arrays): "matches" or exit 1
    python -m zoo.data.emoji_build GOOGLE.tgz TWITTER.tgz --write   # (re)write zoo/data/emoji/

pip cannot fetch npm packages, so the prepared arrays ship inside this package; this script is their
provenance. It reads only the tarballs (no network). What it keeps:

  images      every emoji image of both sets at 64x64, skin-tone variants included, in the emoji's sort
              order (each base emoji, then its variants); the 5 "Component" images (skin-tone swatches,
              hair parts) are left out, which leaves the 9 categories of the issue and 3,781 images
  labels      the category (an index into CATEGORIES); names, short names, code points, subcategory
              and the base emoji of every image are kept in the JSON beside the arrays
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
import tarfile
from pathlib import Path

import numpy as np

FOLDER = Path(__file__).resolve().parent / "emoji"
VERSION = "16.0.0"
ARRAYS = FOLDER / f"emoji-{VERSION}.npz"
META = FOLDER / f"emoji-{VERSION}.json"
STYLES = {"google": "emoji-datasource-google", "twitter": "emoji-datasource-twitter"}
SIZE = 64
LEFT_OUT = ("Component",)


def array_digest(arrays):
    """sha256 over the arrays' names, shapes, dtypes and bytes, in name order."""
    digest = hashlib.sha256()
    for name in sorted(arrays):
        value = np.ascontiguousarray(arrays[name])
        digest.update(f"{name}|{value.shape}|{value.dtype}|".encode())
        digest.update(value.tobytes())
    return "sha256:" + digest.hexdigest()


def _members(tgz):
    with tarfile.open(tgz, "r:gz") as archive:
        for member in archive.getmembers():
            if member.isfile():
                yield member.name, archive.extractfile(member).read()


def _on_white(png):
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        rgba = image.convert("RGBA")
        if rgba.size != (SIZE, SIZE):
            raise ValueError(f"an image of {rgba.size}, not {SIZE}x{SIZE}")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        white.alpha_composite(rgba)
        return np.asarray(white.convert("RGB"), np.uint8)


def build(google_tgz, twitter_tgz):
    """(arrays, meta) from the two tarballs: arrays {"google", "twitter", "category", "base"}."""
    files = {}
    for style, tgz in (("google", google_tgz), ("twitter", twitter_tgz)):
        files[style] = {
            name: data
            for name, data in _members(tgz)
            if f"/img/{style}/{SIZE}/" in name
            or name.endswith(("package/emoji.json", "package/LICENSE", "package/package.json"))
        }
    table = json.loads(files["google"]["package/emoji.json"])
    if json.loads(files["twitter"]["package/emoji.json"]) != table:
        raise ValueError("the two packages list different emoji (emoji.json differs)")
    for style in STYLES:
        version = json.loads(files[style]["package/package.json"])["version"]
        if version != VERSION:
            raise ValueError(f"{STYLES[style]} is version {version}, this build expects {VERSION}")
    entries = sorted((e for e in table if e["category"] not in LEFT_OUT), key=lambda e: e["sort_order"])
    categories = list(dict.fromkeys(e["category"] for e in entries))
    rows = []  # (image file, base index, unified, variant of)
    for base, e in enumerate(entries):
        rows.append((e["image"], base, e["unified"], None))
        for tone, variant in sorted((e.get("skin_variations") or {}).items()):
            rows.append((variant["image"], base, variant["unified"], tone))
    arrays = {
        style: np.stack([_on_white(files[style][f"package/img/{style}/{SIZE}/{image}"]) for image, *_ in rows])
        for style in STYLES
    }
    arrays["category"] = np.array([categories.index(entries[base]["category"]) for _, base, *_ in rows], np.int8)
    arrays["base"] = np.array([base for _, base, *_ in rows], np.int16)
    meta = {
        "source": {style: f"{STYLES[style]}@{VERSION} (npm)" for style in STYLES},
        "size": SIZE,
        "alpha": "composited on white",
        "left_out": f"the {sum(e['category'] in LEFT_OUT for e in table)} images of {', '.join(LEFT_OUT)}",
        "categories": categories,
        "emoji": [
            {
                "name": entries[base]["name"],
                "short_names": entries[base]["short_names"],
                "unified": unified,
                "subcategory": entries[base]["subcategory"],
                "skin_tone": tone,
            }
            for _, base, unified, tone in rows
        ],
        "arrays_sha256": array_digest(arrays),
    }
    return arrays, meta


def write(arrays, meta):
    FOLDER.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(ARRAYS, **arrays)
    meta = {**meta, "file_sha256": "sha256:" + hashlib.sha256(ARRAYS.read_bytes()).hexdigest()}
    META.write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n")
    return meta


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m zoo.data.emoji_build", description=__doc__.splitlines()[0])
    p.add_argument("google", help=f"{STYLES['google']}-{VERSION}.tgz (npm pack)")
    p.add_argument("twitter", help=f"{STYLES['twitter']}-{VERSION}.tgz (npm pack)")
    p.add_argument("--write", action="store_true", help=f"write {FOLDER} instead of checking it")
    args = p.parse_args(argv)
    arrays, meta = build(args.google, args.twitter)
    if args.write:
        meta = write(arrays, meta)
        print(f"wrote {ARRAYS} ({ARRAYS.stat().st_size / 1e6:.1f} MB) and {META}: {meta['arrays_sha256']}")
        return
    shipped = json.loads(META.read_text())
    if meta["arrays_sha256"] != shipped["arrays_sha256"] or meta["emoji"] != shipped["emoji"]:
        print(f"differs: rebuilt {meta['arrays_sha256']}, shipped {shipped['arrays_sha256']}", file=sys.stderr)
        sys.exit(1)
    print(f"matches: {len(meta['emoji'])} images of each style, {meta['arrays_sha256']}")


if __name__ == "__main__":
    main()
