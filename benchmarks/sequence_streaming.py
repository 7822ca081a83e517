"""Your own text and CSV files, streamed: memory and time of `text:FILE` (character LM) and
`csv:FILE` (forecaster) by file size.

    python benchmarks/sequence_streaming.py --sizes 100 1000 --csv-rows 1000000 5000000 --write-docs

Writes a text file of N MB (random lowercase words, seed 0) under --root, then in a fresh process
per row does what `python -m train.char_lm --dataset text:FILE` does with its data: the training and
held-out chunks (`load_chunks`: the first call encodes the file into the id cache, in
$ZOO_CACHE_DIR/text), then 200 training batches of 64 x 100 characters. A second fresh process does
the same with the cache in place. Reported per process: seconds to the chunks, growth of anonymous
memory (RssAnon: what the process itself holds) and of peak RSS (which also counts the cached ids'
pages the kernel maps in: page cache, reclaimable) over the process after its imports. For
comparison, the growth of peak RSS when the file is read whole into a Python string (`textfile.read`).

CSV rows: a file of two series by id (`store`), one value a minute, the target `sales` and one
covariate `price`; per fresh process, `load_forecasting` (window 48, horizon 12: what `python -m
train.forecaster --dataset csv:FILE ...` reads) and 200 training batches of 64, against the same file
read whole into a DataFrame of strings (`pandas.read_csv(dtype=str)`, as the reader did before).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from machine import cpu_flags  # noqa: E402

CHILD = r"""
import faulthandler, json, resource, sys, time
faulthandler.dump_traceback_later(900, exit=True)  # a stalled row fails with its stack, not silently
def anon():
    return int(next(l for l in open("/proc/self/status") if l.startswith("RssAnon")).split()[1]) * 1024
def peak():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
from zoo.sequence import textfile
from zoo.sequence.charlm import load_chunks
import tensorflow as tf
name, whole = "text:" + sys.argv[1], sys.argv[2] == "whole"
peak0, anon0, t = peak(), anon(), time.perf_counter()
if sys.argv[2] == "csv-whole":
    import pandas as pd
    frame = pd.read_csv(sys.argv[1], dtype=str, keep_default_na=False)
    seconds = time.perf_counter() - t
elif sys.argv[2] == "csv-table":
    from zoo.sequence.table import read_table
    table = read_table(sys.argv[1], "date", "sales", ["price"], "store", "min")
    seconds = time.perf_counter() - t
elif sys.argv[2] == "csv":
    from zoo.sequence.forecast import load_forecasting
    columns = {"time": "date", "target": "sales", "covariates": ["price"], "id": "store", "freq": "min"}
    train = load_forecasting("csv:" + sys.argv[1], "train", 48, 12, columns=columns)
    seconds = time.perf_counter() - t
    batches = iter(train.batches(64, 0, 0, 1)[0])
    for _ in range(200):
        next(batches)
elif whole:
    text = textfile.read(name)[0]
    seconds = time.perf_counter() - t
else:
    train, test = load_chunks(name, "train", 100), load_chunks(name, "test", 100)
    seconds = time.perf_counter() - t
    batches = iter(train.batches(64, 0, 0, 1)[0])
    for _ in range(200):
        next(batches)
print(json.dumps({"seconds": seconds, "anon": anon() - anon0, "peak": peak() - peak0}))
"""


def make_text(path, megabytes, seed=0):
    path = Path(path)
    if path.is_file() and path.stat().st_size == megabytes << 20:
        return path
    rng = random.Random(seed)
    words = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9))) for _ in range(5000)]
    block = "".join(" ".join(rng.choice(words) for _ in range(12)) + ".\n" for _ in range(20000)).encode()
    left = megabytes << 20
    with open(path, "wb") as f:
        while left > 0:
            f.write(block[:left])
            left -= len(block[:left])
    return path


def make_csv(path, rows, seed=0):
    """Two series ('a', 'b') of `rows` minutes each: date, store, sales, price."""
    import numpy as np
    import pandas as pd

    path = Path(path)
    if path.is_file():
        return path
    rng = np.random.default_rng(seed)
    partial = path.with_name(path.name + ".partial")  # a stopped run leaves no file that looks whole
    with open(partial, "w") as f:
        f.write("date,store,sales,price\n")
        for store in ("a", "b"):
            for first in range(0, rows, 500_000):
                n = min(500_000, rows - first)
                stamps = pd.date_range("2000-01-01", periods=rows, freq="min")[first : first + n]
                t = np.arange(first, first + n)
                frame = pd.DataFrame(
                    {
                        "date": stamps.strftime("%Y-%m-%d %H:%M"),
                        "store": store,
                        "sales": np.round(10 + 3 * np.sin(2 * np.pi * t / 1440) + rng.normal(0, 1, n), 3),
                        "price": np.round(rng.normal(1, 0.1, n), 3),
                    }
                )
                frame.to_csv(f, header=False, index=False)
    partial.replace(path)
    return path


def child(path, mode, cache):
    env = {**os.environ, "ZOO_CACHE_DIR": str(cache), "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", CHILD, str(path), mode], env=env, capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="*", default=[100, 1000], help="file sizes in MB (MiB)")
    p.add_argument("--root", default=None, help="where the text files go (default: a temporary folder)")
    p.add_argument("--whole-up-to", type=int, default=1000, help="also read files up to this size whole")
    p.add_argument("--csv-rows", type=int, nargs="*", default=[1_000_000], help="rows per series of the CSV files")
    p.add_argument("--write-docs", action="store_true", help="rewrite the table in docs/own-data.md")
    args = p.parse_args(argv)
    load = os.getloadavg()[0]  # times depend on what else runs; the memory figures do not
    root = Path(args.root or tempfile.mkdtemp(prefix="text-streaming-"))
    root.mkdir(parents=True, exist_ok=True)
    mib = 1 << 20
    rows = [
        "| file | first run: to the chunks | anonymous memory | peak RSS | cached: to the chunks | "
        "anonymous memory | read whole into a str: peak RSS |",
        "|---|---|---|---|---|---|---|",
    ]
    for size in args.sizes:
        path = make_text(root / f"text-{size}mb.txt", size)
        cache = Path(tempfile.mkdtemp(prefix="zoo-cache-"))
        first, again = child(path, "stream", cache), child(path, "stream", cache)
        whole = f"+{child(path, 'whole', cache)['peak'] / mib:,.0f} MiB" if size <= args.whole_up_to else "not run"
        rows.append(
            f"| {size:,} MiB | {first['seconds']:.1f} s | +{first['anon'] / mib:,.0f} MiB "
            f"| +{first['peak'] / mib:,.0f} MiB | {again['seconds']:.2f} s | +{again['anon'] / mib:,.0f} MiB "
            f"| {whole} |"
        )
        print(rows[-1], flush=True)
    csv_rows = [
        "| CSV file | rows | read_table: time | peak RSS | to the windows, then 200 batches: time to the windows "
        "| anonymous memory | peak RSS | the file read whole as strings: peak RSS |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for count in args.csv_rows:
        path = make_csv(root / f"series-{count}.csv", count)
        cache = Path(tempfile.mkdtemp(prefix="zoo-cache-"))
        table, ours, whole = (child(path, mode, cache) for mode in ("csv-table", "csv", "csv-whole"))
        csv_rows.append(
            f"| {path.stat().st_size / mib:,.0f} MiB | {2 * count:,} | {table['seconds']:.1f} s "
            f"| +{table['peak'] / mib:,.0f} MiB | {ours['seconds']:.1f} s "
            f"| +{ours['anon'] / mib:,.0f} MiB | +{ours['peak'] / mib:,.0f} MiB | +{whole['peak'] / mib:,.0f} MiB |"
        )
        print(csv_rows[-1], flush=True)
    block = "\n".join(
        [
            *rows,
            "",
            *csv_rows,
            "",
            f"`python benchmarks/sequence_streaming.py --sizes {' '.join(map(str, args.sizes))} --csv-rows "
            f"{' '.join(map(str, args.csv_rows))} --write-docs`. Text: random lowercase words (1 byte per "
            "character); each cell is one fresh process: the training and held-out "
            "chunks of `load_chunks` (the first run encodes the file into the id cache), then 200 training batches of "
            "64 x 100 characters. Growth over the process after its imports: anonymous memory (RssAnon, what the "
            "process holds) and peak RSS (which also counts the cached ids' pages mapped in from the page cache). "
            "CSV: two series by id, one row a minute, target and one covariate; `read_table` alone (parsing and "
            "every check), then in another process `load_forecasting` (window 48, horizon 12, the checks and the "
            "scaling) and 200 training batches of 64 (TensorFlow's own buffers included), beside the file read "
            "whole into a DataFrame of strings (only the first step of how the reader read it before). "
            f"{cpu_flags()}; load average {load:.1f} on {os.cpu_count()} cores at the start (the seconds grow "
            "on a busy machine, the memory does not).",
        ]
    )
    if args.write_docs:
        from readme_block import rewrite

        rewrite("sequence-streaming", block)
    print(block)


if __name__ == "__main__":
    main()
