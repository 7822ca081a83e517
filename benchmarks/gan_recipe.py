"""Ablation of the small-data GAN recipe at a fixed step budget, over several seeds.

    python benchmarks/gan_recipe.py [--models dcgan,wgan_gp] [--seeds 0,1,2] [--epochs 20]
                                    [--configs default,no-r1,no-ema,plain,augment] [--out runs/gan-recipe-r1]

Each (model, config, seed) is one `python -m train.<model>` run with the trainer's default data
(MNIST-5k, 4,000 training digits), network size, batch size and learning rate, `--epochs` epochs
(the same number of steps for every config), then `python -m zoo.evaluate RUN --json` (the
evaluation protocol: FID etc. of 1,000 samples against the 1,000 test digits in classifier-mnist's
feature space). A finished run is reused (delete its folder to redo it), so the script can be
stopped and continued.

Configs are relative to the trainers' recipe before this ablation made generator batch norm their
default (BASE: --no-batch-norm; for DCGAN: generator EMA 0.999 and R1 gamma 1 with StyleGAN2's
Adam betas, width 32, batch 32, lr 1e-3; for WGAN-GP: EMA 0.999, no R1, width 32, batch 80, lr
5e-4, and one rate for both networks, its default before this ablation found TTUR better):
default (BASE), no-r1 (--r1-gamma 0, which also puts
Adam back to beta1 = 0.5), no-ema (--ema-decay 0), plain (neither), augment (default +
translation,cutout always on), adaptive (default + translation,cutout at --augment-adaptive 0.6),
sn (default + --spectral-norm on the discriminator), bn-xla-on / bn-xla-off (bn with the
step XLA-compiled or not: `--jit auto` chooses per CPU, so its quality must not depend on it),
bn (default + --batch-norm in the generator;
the DCGAN and WGAN-GP trainers' default since),
ttur (default + the discriminator at twice the trainer's learning rate, --lr-d; WGAN-GP's default
since), all (default + augment + sn + ttur), bn-ttur (bn + ttur). A config that repeats another for a model (no-r1 and
plain for WGAN-GP, which has no R1 by default) is skipped. Writes
benchmarks/results/gan_recipe.json (every run: FID, KID, wall-clock seconds, CPU; runs of earlier
invocations are kept, this one's replace theirs) and prints a markdown table of mean ± std per
(model, config). The ablation of the recipe's first version (10 epochs at the keras.io sizes, before R1) is kept in
benchmarks/results/gan_recipe_pre_r1.json.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: TTUR: the discriminator at twice the trainer's learning rate (DCGAN 1e-3, WGAN-GP 5e-4)
TTUR = {"dcgan": ["--lr-d", "2e-3"], "wgan_gp": ["--lr-d", "1e-3"]}
CONFIGS = {
    "default": [],
    "no-r1": ["--r1-gamma", "0"],
    "no-ema": ["--ema-decay", "0"],
    "plain": ["--r1-gamma", "0", "--ema-decay", "0"],
    "augment": ["--augment", "translation,cutout"],
    "adaptive": ["--augment", "translation,cutout", "--augment-adaptive", "0.6"],
    "sn": ["--spectral-norm"],
    "bn": ["--batch-norm"],
    "ttur": TTUR,
    "all": {model: ["--augment", "translation,cutout", "--spectral-norm", *ttur] for model, ttur in TTUR.items()},
    "bn-ttur": {model: ["--batch-norm", *ttur] for model, ttur in TTUR.items()},
    # the same recipe with the step XLA-compiled or not (--jit auto picks per CPU): quality must not move
    "bn-xla-on": ["--batch-norm", "--jit", "on"],
    "bn-xla-off": ["--batch-norm", "--jit", "off"],
}
#: flags every run of a model starts with, each a (flag, value) or an on/off (flag,) that a config
#: overrides by naming it or its --no- form. The configs are measured without generator batch norm
#: (the bn config turns it on), the trainers' default until this ablation found it better for
#: every seed of both models at 20 epochs; and WGAN-GP's at one learning rate (--lr-d = --lr), its
#: default until this ablation found the critic at twice --lr (the ttur config) better.
BASE = {"dcgan": [("--no-batch-norm",)], "wgan_gp": [("--lr-d", "5e-4"), ("--no-batch-norm",)]}
#: configs that only repeat another one for a model (WGAN-GP trains without R1 by default)
SAME_AS_ANOTHER = {"wgan_gp": ("no-r1", "plain")}


def flags(model, config):
    """The trainer flags of `config` for `model` (a list, or one list per model)."""
    chosen = CONFIGS[config]
    chosen = chosen[model] if isinstance(chosen, dict) else chosen
    named = {flag.replace("--no-", "--") for flag in chosen if flag.startswith("--")}
    kept = [group for group in BASE.get(model, []) if group[0].replace("--no-", "--") not in named]
    return [item for group in kept for item in group] + chosen


def cpu_flags():
    try:
        flags = next(line for line in open("/proc/cpuinfo") if line.startswith("flags")).split()
    except (OSError, StopIteration):
        return platform.processor()
    return "avx512f" if "avx512f" in flags else "avx2" if "avx2" in flags else "other"


def run(model, config, seed, epochs, out):
    folder = out / f"{model}-{config}-s{seed}"
    result_file = folder / "evaluation.json"
    if result_file.is_file():
        return json.loads(result_file.read_text())
    if folder.exists():
        subprocess.run(["rm", "-rf", str(folder)], check=True)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    start = time.time()
    command = [
        sys.executable,
        "-m",
        f"train.{model}",
        *flags(model, config),
        "--seed",
        str(seed),
        "--epochs",
        str(epochs),
    ]
    command += ["--out", str(folder), "--no-export", "--quiet"]
    trained = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.time() - start
    if trained.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{trained.stderr[-2000:]}")
    scored = subprocess.run(
        [sys.executable, "-m", "zoo.evaluate", str(folder), "--json", str(folder / "metrics.json")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if scored.returncode != 0:
        raise SystemExit(f"evaluation of {folder} failed:\n{scored.stderr[-2000:]}")
    metrics = json.loads((folder / "metrics.json").read_text())
    record = {
        "model": model,
        "config": config,
        "seed": seed,
        "epochs": epochs,
        "flags": flags(model, config),
        "train_seconds": round(seconds, 1),
        "fid": metrics["fid"],
        "kid": metrics.get("kid"),
        "cpu": cpu_flags(),
    }
    result_file.write_text(json.dumps(record, indent=2) + "\n")
    return record


def table(records):
    rows = ["| model | config | FID mean ± std | runs | train minutes (median) |", "|---|---|---|---|---|"]
    groups = {}
    for r in records:
        groups.setdefault((r["model"], r["config"]), []).append(r)
    for (model, config), group in groups.items():
        fids = [r["fid"] for r in group]
        spread = f" ± {statistics.stdev(fids):.1f}" if len(fids) > 1 else " (one run)"
        minutes = statistics.median(r["train_seconds"] for r in group) / 60
        rows.append(f"| {model} | {config} | {statistics.mean(fids):.1f}{spread} | {len(fids)} | {minutes:.1f} |")
    return "\n".join(rows)


def readme_text(records, results):
    based = "; ".join(
        f"{model} rows with `{' '.join(item for group in groups for item in group)}` unless the config sets it"
        for model, groups in BASE.items()
    )
    return (
        table(records) + f"\n\nEvery run starts from BASE ({based}). Per run: `{results.resolve().relative_to(ROOT)}`."
    )


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", default="dcgan,wgan_gp")
    p.add_argument("--configs", default="default,no-r1,no-ema,plain,augment")
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--out", default="runs/gan-recipe-r1")
    p.add_argument("--results", default=str(ROOT / "benchmarks" / "results" / "gan_recipe.json"))
    p.add_argument("--write-readme", action="store_true", help="put the table into README.md (gan-recipe block)")
    args = p.parse_args()
    unknown = [c for c in args.configs.split(",") if c not in CONFIGS]
    if unknown:
        p.error(f"unknown config(s) {unknown}; choose from {', '.join(CONFIGS)}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    records = []
    for seed in map(int, args.seeds.split(",")):  # seeds outermost: a stopped run still covers every config
        for model in args.models.split(","):
            for config in args.configs.split(","):
                if config in SAME_AS_ANOTHER.get(model, ()):
                    continue
                record = run(model, config, seed, args.epochs, out)
                records.append(record)
                print(f"{model:8s} {config:9s} seed {seed}: FID {record['fid']:.1f} ({record['train_seconds']:.0f} s)")
    # Runs of earlier invocations (other models or configs) stay in the results; this one's replace theirs.
    key = lambda r: (r["model"], r["config"], r["seed"])  # noqa: E731
    mine = {key(r) for r in records}
    results = Path(args.results)
    kept = [r for r in (json.loads(results.read_text()) if results.is_file() else []) if key(r) not in mine]
    records = sorted(kept + records, key=lambda r: (r["model"], list(CONFIGS).index(r["config"]), r["seed"]))
    results.write_text(json.dumps(records, indent=2) + "\n")
    print(table(records))
    if args.write_readme:
        sys.path.insert(0, str(ROOT / "benchmarks"))
        from readme_block import rewrite

        rewrite("gan-recipe", readme_text(records, Path(args.results)))


if __name__ == "__main__":
    main()
