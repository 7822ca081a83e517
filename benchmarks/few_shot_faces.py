"""DiffAugment's 100-shot setting, offline: DCGAN on the 100 faces of scikit-image's `lfw_subset`
(25x25 grey, read through the user's folder path and resized to 32x32), no augmentation against
DiffAugment and its adaptive mode, several seeds, judged without a feature network.

    python benchmarks/few_shot_faces.py [--arms none,diffaugment,adaptive] [--seeds 0,1,2] [--steps 2000]
                                        [--out runs/faces-100] [--write-docs] [--table-only]

Each (arm, seed) is one `python -m train.dcgan --dataset folder:DIR --image-size 32 --in-memory` run
with the trainer's defaults otherwise and the arms of benchmarks/small_data.py; DIR/train/face holds
the 100 faces. As in DiffAugment's 100-shot experiments every face is trained on and the generator is
judged against the same 100 faces (there are no others): DIR/test/face repeats them only because the
trainer wants a test part; nothing here reads it.

The judge. No offline network has learned faces (classifier-mnist and classifier-emoji were never
shown one, and the only labels here are face / non-face), so an FID would describe the network, not
the generator. The study reads the sliced Wasserstein distance instead (zoo.evaluation.metrics.
sliced_wasserstein: ProGAN's SWD on Laplacian-pyramid patches, x 1e3), which needs no network:
  SWD          50 samples against 50 of the faces, and against the other 50; 5 random halvings
               (sample seeds 0..4), mean of the 10
  floor        the two halves of the faces against each other, the same 5 halvings: what a
               generator indistinguishable from the faces would read with 50 images a side
  non-faces    50 faces against 50 of lfw_subset's non-faces (the judge's sanity check: it must read
               them far above its floor); also against the other half with Gaussian noise (σ 0.05)
               or blurred (σ 1 px): how fine a difference the judge can see at 50 images a side
  nearest      median RMS pixel distance from 100 samples to their nearest training face, beside the
               faces' own median distance to their nearest other face: far below it means copying,
               which a distance to the training set rewards
A finished run is reused (delete its folder to redo it). Writes benchmarks/results/faces_100shot.json
and prints the table; --write-docs puts it into docs/gan-recipe.md (markers faces-100shot) and
writes a grid of 32 samples per arm (seed 0) to docs/images/faces-100shot.png.
"""

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))

from gan_recipe import cpu_flags  # noqa: E402
from small_data import ARMS, DEFAULT_STEPS  # noqa: E402

FACES = 100
HALVINGS = 5
RESULTS = ROOT / "benchmarks" / "results" / "faces_100shot.json"
GRID = ROOT / "docs" / "images" / "faces-100shot.png"
PUBLISHED = (
    "DiffAugment's own 100-shot figures (StyleGAN2, FID against the 100 training images): Obama / "
    "grumpy cat / panda 80.20 / 48.90 / 34.27 without augmentation -> 46.87 / 27.08 / 12.06 with it "
    "(-42% / -45% / -65%)"
)


def write_faces(folder):
    """The 100 faces of lfw_subset as 8-bit PNGs in folder/train/face (and folder/test/face)."""
    import skimage.data
    from PIL import Image

    faces = np.floor(skimage.data.lfw_subset()[:FACES] * 255 + 0.5).astype(np.uint8)
    for part in ("train", "test"):
        (folder / part / "face").mkdir(parents=True, exist_ok=True)
        for i, face in enumerate(faces):
            Image.fromarray(face, "L").save(folder / part / "face" / f"{i:03d}.png")
    return folder


def real_sets(folder):
    """(faces, non-faces) in [0, 1] at 32x32, resized by the same reader the trainer uses."""
    import skimage.data
    from PIL import Image

    from zoo.data import load_images, scale_images

    faces = scale_images(load_images(f"folder:{folder}", "train", image_size=32).images)
    others = folder.parent / f"{folder.name}-non-faces"
    (others / "non-face").mkdir(parents=True, exist_ok=True)
    for i, image in enumerate(np.floor(skimage.data.lfw_subset()[FACES:] * 255 + 0.5).astype(np.uint8)):
        Image.fromarray(image, "L").save(others / "non-face" / f"{i:03d}.png")
    non_faces = scale_images(load_images(f"folder:{others}", "all", image_size=32).images)
    return faces, non_faces


def halvings(n):
    return [np.random.default_rng(r).permutation(n) for r in range(HALVINGS)]


def floor_of(faces, non_faces):
    """The judge on real faces: its floor, and what it reads for non-faces, noisy and blurred faces."""
    from scipy import ndimage

    from zoo.evaluation.metrics import nearest_rms, sliced_wasserstein

    half = len(faces) // 2
    floor, apart, noisy, blurred = [], [], [], []
    for r, order in enumerate(halvings(len(faces))):
        a, b = faces[order[:half]], faces[order[half:]]
        floor.append(sliced_wasserstein(a, b, seed=r))
        apart.append(sliced_wasserstein(a, non_faces[:half], seed=r))
        noise = np.random.default_rng(r).normal(0, 0.05, b.shape)
        noisy.append(sliced_wasserstein(a, np.clip(b + noise, 0, 1), seed=r)["mean"])
        blurred.append(sliced_wasserstein(a, ndimage.gaussian_filter(b, (0, 1, 1, 0)), seed=r)["mean"])
    return {
        "noise_0.05": statistics.mean(noisy),
        "blur_1": statistics.mean(blurred),
        "floor": statistics.mean(v["mean"] for v in floor),
        "floor_sd": statistics.stdev(v["mean"] for v in floor),
        "floor_levels": per_level(floor),
        "non_faces": statistics.mean(v["mean"] for v in apart),
        "faces_nearest": float(np.median(nearest_rms(faces))),
    }


def per_level(values):
    """{side: mean over `values`} of a list of sliced_wasserstein results."""
    return {str(k): statistics.mean(v[k] for v in values) for k in values[0] if k != "mean"}


def score(folder, faces):
    import zoo
    from zoo.evaluation.metrics import nearest_rms, sliced_wasserstein

    model = zoo.load(str(folder))
    half = len(faces) // 2
    values = []
    for r, order in enumerate(halvings(len(faces))):
        samples = model.sample(half, seed=r)
        values += [sliced_wasserstein(samples, faces[order[k * half : (k + 1) * half]], seed=r) for k in (0, 1)]
    return {
        "swd": statistics.mean(v["mean"] for v in values),
        "swd_sd": statistics.stdev(v["mean"] for v in values),
        "swd_levels": per_level(values),
        "nearest": float(np.median(nearest_rms(model.sample(FACES, seed=99), faces))),
    }


def run(args, arm, seed, data, faces, out):
    budget = "" if args.steps == DEFAULT_STEPS else f"-{args.steps}steps"
    folder = out / f"faces100-{arm}-s{seed}{budget}"
    result_file = folder / "faces100.json"
    if result_file.is_file():
        return json.loads(result_file.read_text())
    if folder.exists():
        subprocess.run(["rm", "-rf", str(folder)], check=True)
    epochs = max(1, round(args.steps / math.ceil(FACES / 32)))
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    command = [sys.executable, "-m", "train.dcgan", "--dataset", f"folder:{data}", "--image-size", "32"]
    command += ["--in-memory", *ARMS[arm], "--seed", str(seed), "--epochs", str(epochs)]
    command += ["--out", str(folder), "--no-export", "--quiet"]
    start = time.time()
    trained = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.time() - start
    if trained.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{trained.stderr[-2000:]}")
    record = {
        "arm": arm,
        "seed": seed,
        "epochs": epochs,
        "steps": epochs * math.ceil(FACES / 32),
        "budget": args.steps,
        "command": " ".join(["python", *command[1:]]).replace(str(out), "runs/faces-100").replace(str(data), "DIR"),
        "train_seconds": round(seconds, 1),
        **score(folder, faces),
        "cpu": cpu_flags(),
    }
    result_file.write_text(json.dumps(record, indent=2) + "\n")
    return record


def table(records, reference):
    rows = [
        f"Floor (two halves of the 100 faces): SWD {reference['floor']:.1f} ± {reference['floor_sd']:.1f}; "
        f"faces against non-faces: {reference['non_faces']:.1f} ({reference['non_faces'] / reference['floor']:.1f}x "
        f"the floor); the other half with Gaussian noise σ 0.05 added: {reference['noise_0.05']:.1f}, blurred "
        f"(Gaussian σ 1 px): {reference['blur_1']:.1f}; a face's median RMS distance to its nearest other face: "
        f"{reference['faces_nearest']:.3f}.",
        "",
        "| arm | SWD mean ± std (per seed) | vs none | × floor | nearest training face (median RMS) | steps "
        "| minutes (median) |",
        "|---|---|---|---|---|---|---|",
    ]
    groups = {}
    for r in records:
        groups.setdefault((r["budget"], r["arm"]), []).append(r)
    for budget in sorted({b for b, _ in groups}):
        none = groups.get((budget, "none"))
        none = statistics.mean(r["swd"] for r in none) if none else None
        for arm in ARMS:
            group = sorted(groups.get((budget, arm), []), key=lambda r: r["seed"])
            if not group:
                continue
            values = [r["swd"] for r in group]
            mean = statistics.mean(values)
            spread = f" ± {statistics.stdev(values):.1f}" if len(values) > 1 else ""
            change = "" if none is None or arm == "none" else f"{100 * (mean / none - 1):+.0f}%"
            nearest = statistics.median(r["nearest"] for r in group)
            minutes = statistics.median(r["train_seconds"] for r in group) / 60
            rows.append(
                f"| {arm} | {mean:.1f}{spread} ({' / '.join(f'{v:.1f}' for v in values)}) | {change} | "
                f"{mean / reference['floor']:.1f} | {nearest:.3f} | {group[0]['steps']} | {minutes:.1f} |"
            )
    return "\n".join(rows)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--arms", default=",".join(ARMS))
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--steps", type=int, default=DEFAULT_STEPS, help="generator steps of every run (about)")
    p.add_argument("--out", default="runs/faces-100")
    p.add_argument("--write-docs", action="store_true")
    p.add_argument("--table-only", action="store_true", help="render the table from the results file")
    args = p.parse_args(argv)
    unknown = [a for a in args.arms.split(",") if a not in ARMS]
    if unknown:
        p.error(f"unknown arm(s) {unknown}; choose from {', '.join(ARMS)}")
    out = Path(args.out).resolve()
    data = write_faces(out / "data")
    faces, non_faces = real_sets(data)
    saved = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {"reference": None, "runs": []}
    reference = floor_of(faces, non_faces)
    records = []
    if not args.table_only:
        for seed in map(int, args.seeds.split(",")):
            for arm in args.arms.split(","):
                record = run(args, arm, seed, data, faces, out)
                records.append(record)
                print(
                    f"{arm:11s} seed {seed}: SWD {record['swd']:.1f} (floor {reference['floor']:.1f}, "
                    f"{record['train_seconds']:.0f} s)",
                    flush=True,
                )
    key = lambda r: (r["budget"], r["arm"], r["seed"])  # noqa: E731
    mine = {key(r) for r in records}
    runs = sorted([r for r in saved["runs"] if key(r) not in mine] + records, key=lambda r: (r["budget"], r["seed"]))
    RESULTS.write_text(json.dumps({"reference": reference, "runs": runs}, indent=2) + "\n")
    text = table(runs, reference) + f"\n\n{PUBLISHED}. Per run: `benchmarks/results/faces_100shot.json`."
    print(text)
    if args.write_docs:
        from readme_block import rewrite

        rewrite("faces-100shot", text)
        write_grid(out, args.steps, faces)


def write_grid(out, steps, faces):
    """Real faces, then 16 samples of each arm's seed-0 run, one row of 16 each, at 3x."""
    import zoo
    from zoo.images import grid, save_png

    budget = "" if steps == DEFAULT_STEPS else f"-{steps}steps"
    rows = [faces[:16]]
    for arm in ARMS:
        folder = out / f"faces100-{arm}-s0{budget}"
        if folder.is_dir():
            rows.append(zoo.load(str(folder)).sample(16, seed=0))
    save_png(grid(np.concatenate(rows), cols=16), GRID, scale=3)


if __name__ == "__main__":
    main()
