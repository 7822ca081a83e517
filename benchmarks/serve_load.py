"""Load test of `python -m zoo.serve` on 127.0.0.1: requests/s and latency with concurrent clients.

    python benchmarks/serve_load.py [--requests 2000] [--clients 8] [--write-readme]

Exports classifier-mnist and dcgan-mnist (SavedModel + ONNX) into a scratch folder, starts the real
server once per runtime (savedmodel, onnx) in a child process, and sends the export's own REST body
cut to one instance (classifier: one 28x28 image; GAN: one latent) from `--clients` threads, each on
a keep-alive connection, `--requests` in all (stops after 120 s in any case). Client and server
share the machine's cores, so these are figures of the whole loop on one host, not of the server
alone. Writes benchmarks/results/serve_load.json and the README block `serve-load`.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from machine import cpu_flags  # noqa: E402

from zoo.serving.loadtest import load_test, running  # noqa: E402

CASES = [("classifier-mnist", "classify"), ("dcgan-mnist", "sample")]
RESULTS = ROOT / "benchmarks" / "results" / "serve_load.json"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--requests", type=int, default=2000)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--runtimes", nargs="+", default=["savedmodel", "onnx"])
    p.add_argument("--write-readme", action="store_true")
    args = p.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as out:
        names = [name for name, _ in CASES]
        formats = "savedmodel,onnx"
        subprocess.run(
            [sys.executable, "-m", "export", *names, "--format", formats, "--out", out], cwd=ROOT, check=True
        )
        for runtime in args.runtimes:
            with running(out, "--runtime", runtime) as (url, _):
                for name, signature in CASES:
                    body = json.loads((Path(out) / f"{name}.{signature}.request.json").read_text())
                    body["instances"] = body["instances"][:1]
                    result = load_test(f"{url}/v1/models/{name}:predict", body, args.requests, args.clients)
                    rows.append({"entry": name, "signature": signature, "runtime": runtime, **result})
                    print(json.dumps(rows[-1]), flush=True)
    result = {
        "command": "python benchmarks/serve_load.py " + " ".join(sys.argv[1:]),
        "cpu": cpu_flags(),
        "date": time.strftime("%Y-%m-%d"),
        "rows": rows,
    }
    RESULTS.write_text(json.dumps(result, indent=1) + "\n")
    lines = [
        "| entry (1 instance per request) | runtime | requests | failed | requests/s | p50 ms | p99 ms |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['entry']} `{r['signature']}` | {r['runtime']} | {r['requests']:,} | {r['failed']} | "
            f"{r['requests_per_s']:.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} |"
        )
    block = "\n".join(lines) + (
        f"\n\n{args.clients} concurrent keep-alive clients on the same host (client and server share the cores), "
        f"`{result['command'].strip()}` on {result['cpu']}, {result['date']}."
    )
    print(block)
    if args.write_readme:
        from readme_block import rewrite

        rewrite("serve-load", block)


if __name__ == "__main__":
    main()
