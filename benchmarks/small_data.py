"""The small-data GAN recipe on colour: DiffAugment and its adaptive (ADA-style) probability against no
augmentation, for DCGAN on 100%, 25% and 10% of the emoji training split, several seeds each.

    python benchmarks/small_data.py [--dataset emoji] [--image-size 32] [--fractions 1,0.25,0.1]
                                    [--arms none,diffaugment,adaptive] [--seeds 0,1,2] [--steps 2000]
                                    [--out runs/small-data] [--write-readme] [--table-only]

Each (fraction, arm, seed) is one `python -m train.dcgan --dataset emoji --image-size 32 --limit N`
run with the trainer's defaults otherwise, where N is the fraction of the training split (its first N
in the split's fixed shuffled order, so every category is there) and the epochs are chosen so that
every run takes about the same number of generator steps (`--steps`; as DiffAugment's
experiments do: less data is seen more often, not for less time). Then `python -m zoo.evaluate RUN
--json` scores it: FID of 1,000 samples against the held-out test emoji in classifier-emoji's
features, beside the floor (real train against real test). Arms:

  none          no augmentation (the trainer's default until this study)
  diffaugment   --augment color,translation,cutout: DiffAugment's policy, applied to every image
                the discriminator sees, real and generated, with gradients through it
  adaptive      the same policy applied to each image with a probability tuned during training so
                that the discriminator's sign on real images stays near 0.6 (--augment-adaptive 0.6)

A finished run is reused (delete its folder to redo it), so the script can be stopped and continued.
Writes benchmarks/results/small_data.json (every run) and prints mean ± std per (fraction, arm) with
the relative change against `none`; --write-readme puts the table into the docs page that holds the
small-data markers (docs/gan-recipe.md); --table-only renders the results file without training.
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from gan_recipe import cpu_flags  # noqa: E402

POLICY = "color,translation,cutout"
DEFAULT_STEPS = 2000
ARMS = {
    "none": ["--augment", "none"],
    "diffaugment": ["--augment", POLICY],
    "adaptive": ["--augment", POLICY, "--augment-adaptive", "0.6"],
}
#: DiffAugment's published figures (Zhao et al. 2020, tables 2 and 5), the anchor of the relative change
PUBLISHED = (
    "DiffAugment's own figures: StyleGAN2 on CIFAR-10 with 10% of the data, FID 36.02 without "
    "augmentation, 14.50 with DiffAugment (-60%); 100-shot Obama / grumpy cat / panda, 80.20 / 48.90 / "
    "34.27 -> 46.87 / 27.08 / 12.06 (-42% / -45% / -65%)"
)


def train_size(dataset, image_size):
    """Images in the training split (read through the package, as the trainer reads them)."""
    from zoo.data import load_images

    return len(load_images(dataset, "train", image_size=image_size))


def plan(total, fraction, steps, batch=32):
    """(images, epochs) for a run on `fraction` of `total` training images at about `steps` steps."""
    images = max(batch, round(total * fraction))
    per_epoch = math.ceil(images / batch)
    return images, max(1, round(steps / per_epoch))


def run(args, fraction, arm, seed, images, epochs, out):
    budget = "" if args.steps == DEFAULT_STEPS else f"-{args.steps}steps"
    folder = out / f"{args.dataset}-{args.image_size}-f{fraction:g}-{arm}-s{seed}{budget}"
    result_file = folder / "evaluation.json"
    if result_file.is_file():
        return json.loads(result_file.read_text())
    if folder.exists():
        subprocess.run(["rm", "-rf", str(folder)], check=True)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    data = ["--dataset", args.dataset, "--image-size", str(args.image_size)]
    limit = [] if fraction == 1 else ["--limit", str(images)]
    command = [sys.executable, "-m", "train.dcgan", *data, *limit, *ARMS[arm], "--seed", str(seed)]
    command += ["--epochs", str(epochs), "--out", str(folder), "--no-export", "--quiet"]
    start = time.time()
    trained = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.time() - start
    if trained.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{trained.stderr[-2000:]}")
    metrics_file = folder / "metrics.json"
    evaluate = [sys.executable, "-m", "zoo.evaluate", str(folder), "--json", str(metrics_file)]
    scored = subprocess.run(evaluate, cwd=ROOT, env=env, capture_output=True, text=True)
    if scored.returncode != 0:
        raise SystemExit(f"evaluation of {folder} failed:\n{scored.stderr[-2000:]}")
    metrics = json.loads(metrics_file.read_text())
    record = {
        "dataset": args.dataset,
        "image_size": args.image_size,
        "fraction": fraction,
        "images": images,
        "arm": arm,
        "seed": seed,
        "epochs": epochs,
        "steps": epochs * math.ceil(images / 32),
        "budget": args.steps,
        "command": " ".join(["python", *command[1:]]).replace(str(out), "runs/small-data"),
        "train_seconds": round(seconds, 1),
        "fid": metrics["fid"],
        "fid_floor": metrics["floor"]["fid"],
        "kid": metrics.get("kid"),
        "precision": metrics.get("precision"),
        "recall": metrics.get("recall"),
        "cpu": cpu_flags(),
    }
    result_file.write_text(json.dumps(record, indent=2) + "\n")
    return record


def table(records):
    """Markdown: FID mean ± std per (fraction, arm), the change against `none` at the same fraction."""
    groups = {}
    for r in records:
        group = (r.get("budget", DEFAULT_STEPS), r["fraction"], r["images"])
        groups.setdefault(group, {}).setdefault(r["arm"], []).append(r)
    rows = [
        "| training images | arm | FID mean ± std (per seed) | vs none | floor | steps | minutes (median) |",
        "|---|---|---|---|---|---|---|",
    ]
    for (_, fraction, images), arms in sorted(groups.items(), key=lambda g: (g[0][0], -g[0][1])):
        none = statistics.mean(r["fid"] for r in arms["none"]) if "none" in arms else None
        for arm in ARMS:
            group = sorted(arms.get(arm, []), key=lambda r: r["seed"])
            if not group:
                continue
            fids = [r["fid"] for r in group]
            spread = f" ± {statistics.stdev(fids):.1f}" if len(fids) > 1 else ""
            each = " / ".join(f"{f:.1f}" for f in fids)
            change = "" if none is None or arm == "none" else f"{100 * (statistics.mean(fids) / none - 1):+.0f}%"
            minutes = statistics.median(r["train_seconds"] for r in group) / 60
            rows.append(
                f"| {images} ({fraction:.0%}) | {arm} | {statistics.mean(fids):.1f}{spread} ({each}) | {change} | "
                f"{group[0]['fid_floor']:.1f} | {group[0]['steps']} | {minutes:.1f} |"
            )
    return "\n".join(rows)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dataset", default="emoji")
    p.add_argument("--image-size", type=int, default=32)
    p.add_argument("--fractions", default="1,0.25,0.1")
    p.add_argument("--arms", default=",".join(ARMS))
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--steps", type=int, default=DEFAULT_STEPS, help="generator steps of every run (about)")
    p.add_argument("--out", default="runs/small-data")
    p.add_argument("--results", default=str(ROOT / "benchmarks" / "results" / "small_data.json"))
    p.add_argument("--write-readme", action="store_true")
    p.add_argument("--table-only", action="store_true", help="render the table from --results; train nothing")
    args = p.parse_args(argv)
    unknown = [a for a in args.arms.split(",") if a not in ARMS]
    if unknown:
        p.error(f"unknown arm(s) {unknown}; choose from {', '.join(ARMS)}")
    fractions = [float(f) for f in args.fractions.split(",")]
    if any(not 0 < f <= 1 for f in fractions):
        p.error("--fractions: each must be in (0, 1]")
    results = Path(args.results)
    if args.table_only:
        if not results.is_file():
            p.error(f"--table-only: no results file {results}")
        return publish(json.loads(results.read_text()), args.write_readme)
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    total = train_size(args.dataset, args.image_size)
    records = []
    for seed in map(int, args.seeds.split(",")):  # seeds outermost: a stopped study still covers every arm
        for fraction in fractions:
            images, epochs = plan(total, fraction, args.steps)
            for arm in args.arms.split(","):
                record = run(args, fraction, arm, seed, images, epochs, out)
                records.append(record)
                print(
                    f"{images:5d} images {arm:11s} seed {seed}: FID {record['fid']:.1f} "
                    f"(floor {record['fid_floor']:.1f}, {record['train_seconds']:.0f} s)",
                    flush=True,
                )
    key = lambda r: (  # noqa: E731
        r["dataset"],
        r["image_size"],
        r.get("budget", DEFAULT_STEPS),
        r["fraction"],
        r["arm"],
        r["seed"],
    )
    mine = {key(r) for r in records}
    kept = [r for r in (json.loads(results.read_text()) if results.is_file() else []) if key(r) not in mine]
    records = sorted(
        kept + records,
        key=lambda r: (r.get("budget", DEFAULT_STEPS), -r["fraction"], list(ARMS).index(r["arm"]), r["seed"]),
    )
    results.write_text(json.dumps(records, indent=2) + "\n")
    publish(records, args.write_readme)


def publish(records, write_readme):
    text = table(records) + f"\n\n{PUBLISHED}. Per run: `benchmarks/results/small_data.json`."
    print(text)
    if write_readme:
        from readme_block import rewrite

        rewrite("small-data", text)


if __name__ == "__main__":
    main()
