"""python -m export NAME [NAME ...] --format all --out DIR

NAME is a pretrained zoo entry (see `python -c "import zoo; print(zoo.available())"`) or a
training output folder. Writes a SavedModel in TF Serving's layout DIR/NAME/<version>/, one ONNX
file per endpoint (+ its .ort), one LiteRT file (+ float16, dynamic-range and int8 variants), each
reloaded in its own runtime and compared with the
Keras model (max abs difference <= 1e-4) before it is put in place.
"""

import argparse
import sys

from export import FORMATS, export_entry
from zoo import checks
from zoo.errors import ZooError, cli_parser


def parse_formats(text):
    chosen = []
    for part in text.split(","):
        part = part.strip().lower()
        if part == "all":
            chosen.extend(FORMATS)
        elif part in FORMATS:
            chosen.append(part)
        else:
            raise argparse.ArgumentTypeError(f"unknown format '{part}'; choose from all, {', '.join(FORMATS)}")
    return tuple(dict.fromkeys(chosen))


def _diffs(parity):
    """(output, difference) pairs of a parity record ({output: diff}, or {endpoint: {output: diff}})."""
    for key, value in parity.items():
        if isinstance(value, dict):
            yield from _diffs(value)
        else:
            yield key, value


def variant_text(item):
    """A quantized file against Keras in words: the float outputs' largest difference, and the share
    of integer outputs that changed, with labels and tokens (a different answer) said as such."""
    said = [f"max abs diff from Keras {_worst(item['max_abs_diff']):.2g}"] if item.get("max_abs_diff") else []
    discrete = item.get("changes_discrete_outputs") or {}
    for endpoint, shares in (item.get("integer_outputs_changed") or {}).items():
        for key, share in shares.items():
            if key in discrete.get(endpoint, ()):
                said.append(f"CHANGES {share:.1%} of '{key}' values (different answers)")
            elif share:
                said.append(f"{share:.1%} of '{key}' values off by more than 1")
    return ", ".join(said) or "identical to Keras"


def _worst(parity):
    """Largest difference in a parity record."""
    return max((diff for _, diff in _diffs(parity)), default=0.0)


def parity_text(parity, integer_outputs):
    """The parity of one file in words: the float outputs' largest difference, and the integer outputs'
    (uint8 images, rounded from the float ones) apart, in steps: two runtimes that agree to 1e-7 can
    still round a value on a .5 boundary to neighbouring integers, which is not a 1.0 error."""
    diffs = list(_diffs(parity))
    text = f"parity max abs diff {max((d for o, d in diffs if o not in integer_outputs), default=0.0):.2g}"
    steps = max((d for o, d in diffs if o in integer_outputs), default=0.0)
    if steps:
        text += f"; integer outputs within {steps:.0f} step (rounding at .5)"
    return text


def main(argv=None):
    p = cli_parser(prog="python -m export", description=__doc__.split("\n\n")[1])
    p.add_argument("name", nargs="+", help="pretrained entry name or training output folder (several: each in turn)")
    p.add_argument(
        "--format",
        type=parse_formats,
        default=FORMATS,
        help="all (the default), or a comma list of " + ", ".join(FORMATS),
    )
    p.add_argument("--out", default="exports", help="output folder")
    p.add_argument("--verbose", action="store_true", help="also show TensorFlow Lite's own log lines and warnings")
    p.add_argument(
        "--as",
        dest="export_name",
        default=None,
        help="file/model name in the output (default: the entry's or run's name; one NAME only)",
    )
    args = p.parse_args(argv)
    checks.flag(p, checks.output_folder, args.out)
    if args.verbose:
        import os

        os.environ["ZOO_VERBOSE"] = "1"
    if args.export_name is not None and (
        not args.export_name or any(c in args.export_name for c in "/\\") or args.export_name in (".", "..")
    ):
        p.error(f"--as must be a plain file name without path separators, got '{args.export_name}'")
    if args.export_name is not None and len(args.name) > 1:
        p.error(f"--as names one export; got {len(args.name)} NAMEs")
    for name in args.name:
        try:
            export_one(name, args)
        except ZooError as exc:
            print(f"error: {exc}", file=sys.stderr)
            sys.exit(2)


def export_one(entry, args):
    def say(text):
        print(f"... {text}", file=sys.stderr, flush=True)

    report = export_entry(entry, args.out, args.format, args.export_name, progress=say)
    integer = {
        output
        for endpoint in report.endpoints
        for output, spec in report.outputs(endpoint).items()
        if "int" in spec["dtype"]
    }
    for fmt in ("savedmodel", "onnx", "litert"):
        if fmt not in report:
            continue
        entries = report[fmt].values() if fmt == "onnx" else [report[fmt]]
        for item in entries:
            print(f"{fmt:10s} {item['path']}  ({parity_text(item['parity'], integer)})")
            if "ort" in item:
                print(f"{'ort':10s} {item['ort']['path']}  ({parity_text(item['ort']['parity'], integer)})")
    for variant, item in (report.litert_quantized or {}).items():
        if "skipped" in item:
            print(f"{variant:10s} skipped: {item['skipped']}")
        else:
            print(f"{variant:10s} {item['path']}  ({item['bytes']:,} bytes, {variant_text(item)})")
    print(f"report     {args.out}/{report.name}.export.json")


if __name__ == "__main__":
    main()
