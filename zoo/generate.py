"""python -m zoo.generate NAME --per-class N --out DIR [--seed S]: a labelled synthetic dataset from
a conditional generator, written so it can be regenerated exactly and read back by `zoo.data`
(`--dataset folder:DIR`) and by TFDS (`tfds.folder_dataset.ImageFolder(DIR)`).

Layout (TFDS ImageFolder's): DIR/train/<class name>/<index>.png (uint8 PNG, the model's
`images_uint8`; the class names its card records, else 0, 1, ...), plus DIR/dataset_info.json:
generator name, its weights' sha256, seed, class names in label order, per-class count, command.

    from zoo.generate import generate, write_dataset
    data = generate("cgan-mnist", per_class=100, seed=0)   # zoo.data.ImageSet, uint8, labels 0..9
    write_dataset(data, "synthetic", info)
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import numpy as np

from zoo import checks
from zoo.data import ImageSet
from zoo.errors import InputError, ZooError


def generate(name, per_class, seed=0, classes=None, batch=500):
    """`per_class` images of each class (default: every class of the model) as an ImageSet.

    Latents come from NumPy's generator seeded with `seed` (one draw for the whole set, classes in
    blocks), so the same (model, per_class, seed, classes) gives the same images."""
    import zoo

    model = zoo.load(name) if isinstance(name, str) else name
    if "conditional" not in model.evaluation:
        raise InputError(f"'{name}' is not a conditional generator: it cannot be asked for labelled images")
    if not isinstance(per_class, (int, np.integer)) or isinstance(per_class, bool) or per_class <= 0:
        raise InputError(f"per-class count must be a positive integer, got {per_class!r}")
    classes = list(range(model.num_classes)) if classes is None else [int(c) for c in classes]
    bad = [c for c in classes if not 0 <= c < model.num_classes]
    if bad:
        raise InputError(f"classes {bad} are outside 0..{model.num_classes - 1}")
    if len(set(classes)) != len(classes):
        raise InputError(f"classes {classes} name a class twice; each class gets per-class images once")
    checks.sample_count(per_class * len(classes))  # refused before the labels or latents take memory
    labels = np.repeat(np.asarray(classes, np.int32), per_class)
    z = model.latents(len(labels), seed)
    endpoint = model.endpoint("sample")
    images = np.concatenate(
        [
            endpoint(z=z[i : i + batch], label=labels[i : i + batch])["images_uint8"]
            for i in range(0, len(labels), batch)
        ]
    )
    card = model.card or {}
    names = card.get("data", {}).get("class_names")
    names = names if names and len(names) == model.num_classes else None  # else "0", "1", ...
    return ImageSet(f"synthetic:{card.get('name', str(name))}", "train", images, labels, class_names=names)


def folder_names(class_names):
    """A folder name per class: the class name, made safe for a path (no separators, no leading
    dot) and unique."""
    out = []
    for name in class_names:
        safe = str(name).replace("/", "_").replace("\\", "_").lstrip(".") or "_"
        while safe in out:
            safe += "_"
        out.append(safe)
    return out


def write_dataset(data, out, info):
    """Write `data` in ImageFolder layout to `out` (refuses a non-empty folder; written to a
    temporary folder and renamed, so a crash leaves no half dataset)."""
    from PIL import Image

    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise InputError(f"{out} exists and is not empty; choose another --out")
    tmp = out.with_name(f".{out.name}.tmp{os.getpid()}")
    folders = folder_names(data.class_names)
    try:
        for i, (image, label) in enumerate(zip(data.images, data.labels)):
            folder = tmp / data.split / folders[int(label)]
            folder.mkdir(parents=True, exist_ok=True)
            Image.fromarray(image[..., 0] if image.shape[-1] == 1 else image).save(folder / f"{i:06d}.png")
        counts = {folders[int(c)]: int(n) for c, n in zip(*np.unique(data.labels, return_counts=True))}
        facts = {"class_names": list(data.class_names), "folders": folders, "counts": counts}
        (tmp / "dataset_info.json").write_text(
            json.dumps({**info, **facts, "image_shape": list(data.image_shape)}, indent=2) + "\n"
        )
        if out.exists():
            out.rmdir()
        os.rename(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def main(argv=None):
    from zoo import registry
    from zoo.errors import cli_parser

    p = cli_parser(
        prog="python -m zoo.generate", description="Write a labelled synthetic dataset from a conditional generator."
    )
    p.add_argument("name", help="conditional generator: a zoo entry (cgan-mnist) or a run folder")
    p.add_argument("--per-class", type=checks.positive_int, required=True, help="images per class")
    p.add_argument("--out", required=True, help="output folder (must not exist or be empty)")
    p.add_argument(
        "--seed", type=checks.seed_flag, default=0, help="latent seed: the same seed regenerates the same images"
    )
    p.add_argument("--classes", default=None, help="comma-separated classes (default: all)")
    args = p.parse_args(argv)
    checks.flag(p, checks.output_folder, args.out, empty=True)
    try:
        import zoo

        classes = None if args.classes is None else [int(c) for c in args.classes.split(",")]
        model = zoo.load(args.name)
        data = generate(model, args.per_class, args.seed, classes)
        card = model.card or (registry.card(args.name) if args.name in registry.available() else {})
        info = {
            "generator": args.name,
            "weights_sha256": card.get("weights", {}).get("sha256"),
            "seed": args.seed,
            "per_class": args.per_class,
            "command": " ".join(["python", "-m", "zoo.generate", *(argv if argv is not None else sys.argv[1:])]),
        }
        write_dataset(data, args.out, info)
    except ValueError as exc:  # --classes that are not integers
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    except ZooError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    print(f"wrote {len(data)} images to {args.out}")


if __name__ == "__main__":
    main()
