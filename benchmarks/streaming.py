"""Streaming vs in-memory folder data: peak RSS and images/s of `python -m train.dcgan` at 64x64.

    python benchmarks/streaming.py --sizes 10000 50000 --steps 150

Writes folders of N generated 64x64 RGB PNG shapes (tests/shapes.py, three named classes) under
--root, then for each folder runs the real trainer twice in a fresh process — streamed (the
default) and with --in-memory — for one epoch cut to --steps batches of 64, and reports the child's
peak resident memory (wait4 rusage) and training images/s (steps x batch / the fit's seconds, which
include the first step's compilation for both). Prints a Markdown table and the CPU flags.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from machine import cpu_flags  # noqa: E402


def make_folder(root, n, size=64, seed=0):
    import numpy as np
    from PIL import Image
    from shapes import CLASSES, draw

    root = Path(root)
    if (root / ".complete").is_file():
        return root
    rng = np.random.default_rng(seed)
    for i in range(n):
        kind = CLASSES[i % len(CLASSES)]
        folder = root / kind
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(draw(kind, size, rng)).save(folder / f"{i:06d}.png", compress_level=1)
    (root / ".complete").write_text(str(n))
    return root


def train(folder, out, steps, in_memory):
    cmd = [
        sys.executable,
        "-m",
        "train.dcgan",
        "--dataset",
        f"folder:{folder}",
        "--epochs",
        "1",
        "--steps-per-epoch",
        str(steps),
        "--batch-size",
        "64",
        *("--width", "64", "--r1-gamma", "0"),  # the DCGAN as measured before the R1 recipe
        "--no-export",
        "--quiet",
        "--out",
        str(out),
    ] + (["--in-memory"] if in_memory else [])
    started = time.time()
    child = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.time() - started
    if status != 0:
        raise SystemExit(f"training failed: {child.stderr.read()}")
    card = json.loads((Path(out) / "card.json").read_text())
    fit = card["training"]["seconds_last_session"]
    return {"peak_rss_mib": usage.ru_maxrss / 1024, "images_per_s": steps * 64 / fit, "fit_s": fit, "wall_s": wall}


def main(argv=None):
    import shutil

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000])
    p.add_argument("--steps", type=int, default=150)
    p.add_argument("--root", default="/tmp/zoo-streaming")
    args = p.parse_args(argv)
    rows = []
    for n in args.sizes:
        started = time.time()
        folder = make_folder(Path(args.root) / f"shapes{n}", n)
        print(f"folder of {n:,} images ready ({time.time() - started:.0f} s)", flush=True)
        for in_memory in (False, True):
            out = Path(args.root) / f"run{n}{'-mem' if in_memory else ''}"
            shutil.rmtree(out, ignore_errors=True)
            result = train(folder, out, args.steps, in_memory)
            rows.append(
                {"images": n, "mode": "in memory (--in-memory)" if in_memory else "streamed (default)", **result}
            )
            print(rows[-1], flush=True)
    lines = [
        "| folder | data | peak RSS (MiB) | training images/s | wall time incl. start-up and folder scan |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['images']:,} PNGs, 64x64 RGB | {r['mode']} | {r['peak_rss_mib']:,.0f} | {r['images_per_s']:.1f} "
        f"| {r['wall_s']:.0f} s |"
        for r in rows
    ]
    machine = f"{platform.machine()}, {os.cpu_count()} cores, CPU flags: {cpu_flags()}"
    lines.append(
        f"\n`python benchmarks/streaming.py --sizes {' '.join(map(str, args.sizes))} --steps {args.steps}`: "
        f"the DCGAN at width 64 without R1 at 64x64, batch 64, one epoch cut to {args.steps} steps, each run a fresh "
        f"process; peak RSS of that process (wait4), images/s = steps x 64 / the fit's seconds (first-step "
        f"compilation included). {machine}."
    )
    block = "\n".join(lines)
    print(block)
    from readme_block import rewrite

    rewrite("streaming-table", block)
    return rows


if __name__ == "__main__":
    main()
