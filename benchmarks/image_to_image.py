"""The image-to-image entries against their non-adversarial twins and the classical baselines.

    python benchmarks/image_to_image.py --twin srgan-mnist=RUN ... [--write-readme]

For each shipped entry (srgan-mnist, srgan-emoji, pix2pix-edges-mnist, pix2pix-grey-photos, pix2pix-edges-emoji,
pix2pix-grey-emoji) and its twin (the same command with --adversarial-weight 0, a run folder; a twin
not given keeps its row from the last results), on the entry's held-out pairs: L1, PSNR, SSIM, FID
and, for digits and emoji, how often classifier-mnist / classifier-emoji reads the true label (beside
how often it reads the ground truth). The classical baseline (bicubic, grey-as-colour; none for a
sketch) is the card's. Then the super-resolution models applied to a real
low-resolution set without ground truth: the 1,797 UCI digits (8x8, scikit-learn), upscaled x4 to
32x32 (tile by tile: the models were trained on 7x7 inputs), framed like MNIST (resized to 20x20,
padded to 28x28), read by classifier-mnist; next to bicubic upscaling through the same framing.
Writes benchmarks/results/image_to_image.json and, with --write-readme, the README block.
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from readme_block import rewrite  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "image_to_image.json"
ENTRIES = (
    "srgan-mnist",
    "srgan-emoji",
    "pix2pix-edges-mnist",
    "pix2pix-grey-photos",
    "pix2pix-edges-emoji",
    "pix2pix-grey-emoji",
)
KEYS = ("l1", "psnr", "ssim", "fid", "label_accuracy")


def framed(images32):
    """32x32 digits that fill their frame -> MNIST's framing: resized to 20x20, centred in 28x28."""
    import tensorflow as tf

    small = np.clip(tf.image.resize(images32, (20, 20), method="area").numpy(), 0.0, 1.0)
    return np.pad(small, ((0, 0), (4, 4), (4, 4), (0, 0)))


def uci_digits(models):
    """Classifier-mnist's accuracy on the UCI digits upscaled by each model (and bicubic)."""
    from sklearn.datasets import load_digits

    import zoo
    from zoo.gan.srgan import bicubic

    digits = load_digits()
    small = (digits.images / 16.0).astype(np.float32)[..., None]
    judge = zoo.load("classifier-mnist")
    rows = {"bicubic": bicubic(small, (32, 32))}
    for name, model in models.items():
        rows[name] = model.upscale(small, tile=True)
    return {
        name: float(np.mean(judge.probabilities(framed(images)).argmax(1) == digits.target))
        for name, images in rows.items()
    } | {"examples": len(small)}


def measure(twins):
    """Every entry's figures from its card; its twin's measured on the entry's test split when its run
    is given, else kept from the last results (a twin run need not stay on the machine)."""
    import zoo

    before = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
    found = {}
    for name in ENTRIES:
        model = zoo.load(name)
        card = model.card["metrics"]
        baseline = card.get("baseline", {})
        row = {"model": {k: card.get(k) for k in KEYS}, "baseline": {k: baseline.get(k) for k in KEYS}}
        row["baseline"]["method"] = baseline.get("method")
        row["more_baselines"] = [
            {"method": b["method"], **{k: b.get(k) for k in KEYS}} for b in card.get("more_baselines", [])
        ]
        if name in twins:
            twin = zoo.load(twins[name])
            metrics = twin.held_out_metrics(model.data("test"))
            row["twin"] = {k: metrics.get(k) for k in KEYS}
            row["twin"]["command"] = twin.card["training"]["commands"]
        elif "twin" in before.get(name, {}):
            row["twin"] = before[name]["twin"]
        if card.get("label_accuracy_ground_truth") is not None or card.get("fid_floor") is not None:
            row["ground_truth"] = {"label_accuracy": card.get("label_accuracy_ground_truth")}
        if card.get("fid_floor") is not None:
            row["floor"] = {"fid": card["fid_floor"]}
        row["protocol"] = card["protocol"]
        found[name] = row
    sr = {"srgan-mnist": zoo.load("srgan-mnist")}
    if "srgan-mnist" in twins:
        sr["L1-only twin"] = zoo.load(twins["srgan-mnist"])
    found["uci_digits_x4"] = uci_digits(sr)
    if "srgan-mnist" not in twins and "L1-only twin" in before.get("uci_digits_x4", {}):
        found["uci_digits_x4"]["L1-only twin"] = before["uci_digits_x4"]["L1-only twin"]
    return found


def table(found):
    def cell(value, digits=3):
        return "—" if value is None else f"{value:.{digits}f}"

    lines = [
        "| entry (held-out pairs) | method | L1 ↓ | PSNR dB ↑ | SSIM ↑ | FID ↓ | label read ↑ |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in ENTRIES:
        row = found[name]
        parts = [
            ("GAN (shipped)", row["model"]),
            ("same generator, L1 only", row.get("twin")),
            ("baseline: " + (row["baseline"].get("method") or "none"), row["baseline"]),
            *(("baseline: " + b["method"], b) for b in row.get("more_baselines", [])),
            ("the ground truth itself", row.get("ground_truth")),
            ("real vs real: train targets vs the held-out ones (FID scale)", row.get("floor")),
        ]
        for label, m in parts:
            if label == "baseline: none":  # said, not left out
                lines.append(
                    f"| {name} | no classical baseline (none maps a sketch back to the image) | — | — | — | — | — |"
                )
                continue
            if not m or all(m.get(k) is None for k in ("l1", "fid", "label_accuracy")):
                continue
            lines.append(
                f"| {name} | {label} | {cell(m.get('l1'))} | {cell(m.get('psnr'), 2)} | {cell(m.get('ssim'))} | "
                f"{cell(m.get('fid'), 1)} | {cell(m.get('label_accuracy'))} |"
            )
    uci = found["uci_digits_x4"]
    lines += [
        "",
        f"UCI digits (8x8, no ground truth), x4 to 32x32, read by classifier-mnist ({uci['examples']:,} digits):",
        "",
        "| upscaled by | digits read correctly |",
        "|---|---|",
        *(f"| {k} | {v:.1%} |" for k, v in uci.items() if k != "examples"),
    ]
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--twin", action="append", default=[], metavar="ENTRY=RUN", help="the L1-only twin's run folder")
    p.add_argument("--write-readme", action="store_true")
    args = p.parse_args(argv)
    twins = dict(t.split("=", 1) for t in args.twin)
    found = measure(twins)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(found, indent=2) + "\n")
    block = table(found)
    print(block)
    if args.write_readme and not rewrite("image-to-image", block):
        print("README has no image-to-image markers", file=sys.stderr)


if __name__ == "__main__":
    main()
