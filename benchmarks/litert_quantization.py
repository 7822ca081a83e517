"""Size and quality of the quantized LiteRT files against float32, per shipped entry, measured by
running each .tflite through the LiteRT interpreter in place of the Keras endpoints.

    python benchmarks/litert_quantization.py [NAME ...]     (default: every shipped entry)

Metric per family, on the same held-out data as the card: generators FID (evaluation protocol),
CycleGAN FID of MNIST -> UCI translations (emoji styles: PSNR of Noto -> Twemoji against the true
pairs), autoencoders held-out reconstruction MSE, classifiers
accuracy, the forecaster MAE, image-to-image models their held-out PSNR, text -> image the FID of
its drawings of the held-out emoji names, the language models (characters, notes) their held-out
bits/char or nats/token read one token per call of the file's `step` signature from the zero state
(`step_nats`: the card's figure when the file is exact).
Each card gets "litert_variants"; the README table between the markers is rewritten.
"""

import dataclasses
import json
import math
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from readme_block import rewrite  # noqa: E402

import zoo  # noqa: E402
from export import export_model  # noqa: E402
from zoo import registry  # noqa: E402
from zoo.data import scale_images  # noqa: E402
from zoo.evaluation.evaluate import FEATURE_NETWORK, evaluate_samples, translation_metrics  # noqa: E402


def through_litert(model, path):
    """`model` with every endpoint's function replaced by the .tflite signature of the same name."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(path))
    names = interpreter.get_signature_list()
    endpoints = model.endpoints()

    def runner(key):
        signature = interpreter.get_signature_runner(key)
        return lambda **inputs: signature(**{k: np.asarray(v) for k, v in inputs.items()})

    patched = {k: dataclasses.replace(e, fn=runner(k)) if k in names else e for k, e in endpoints.items()}
    object.__setattr__(model, "endpoints", lambda: patched)
    return model


def metric(name, model, classifier):
    """(metric name, value) of the family, chosen from what the model declares (zoo.contract), or (None, None)."""
    if "step" in model.endpoints():  # language models: every held-out token read through the file's `step`
        nats, count = model.step_nats(*model.held_out_chunks(model.data("test")))
        if "test_bits_per_char" in registry.card(name)["metrics"]:
            return "held-out bits/char", nats / count / math.log(2.0)
        return "held-out nats/token", nats / count
    if model.data_kind == "paired":  # image-to-image: the card's held-out PSNR, every output through the file
        return "held-out PSNR dB", model.held_out_metrics(model.data("test"))["psnr"]
    if "generate" in model.endpoints():  # text -> image: FID of its drawings of the held-out prompts
        return "held-out prompts FID", model.held_out_metrics(model.data("test"))["model"]["fid"]
    if "forecast" in model.api:
        return "held-out MAE", model.held_out_metrics(model.data("test"))["model"]["mae"]
    if model.data_kind == "images" and ("anomaly_score" in model.api or "probabilities" in model.api):
        test = model.data("test")  # the model's own held-out images (digits, emoji...)
        images = scale_images(test.images)
        if "anomaly_score" in model.api:  # from the reconstructions (an in-graph int8 MSE would be quantized itself)
            return "held-out MSE", float(np.mean((model.reconstruct(images) - images) ** 2))
        return "accuracy", float(np.mean(model.probabilities(images).argmax(1) == np.asarray(test.labels)))
    if "translation" in model.evaluation:  # in the feature network the card uses (emoji styles: PSNR vs the true pairs)
        from zoo.evaluation import features

        found = translation_metrics(model, features.choose(model.recipe, None))
        if "a_to_b_psnr" in found:
            return "PSNR A→B vs true pairs", found["a_to_b_psnr"]
        return "FID MNIST→UCI", found["a_to_b_fid"]
    if "samples" in model.evaluation:
        # The feature network `python -m zoo.evaluate` picks for the model's data (32x32 digits:
        # classifier-mnist on the central 28x28 crop), so the float32 figure is the card's.
        from zoo.evaluation import features

        return "FID", evaluate_samples(model, 1000, features.choose(model.recipe, None))["fid"]
    return None, None


def main(argv=None):
    names = (argv if argv is not None else sys.argv[1:]) or registry.available()
    classifier = zoo.load(FEATURE_NETWORK)
    rows = []
    for name in names:
        with tempfile.TemporaryDirectory() as out:
            report = export_model(zoo.load(name), out, name, formats=("litert", "litert-quantized"))
            quantized = report["litert_quantized"]
            files = {
                "float32": Path(report["litert"]["path"]),
                **{v: Path(r["path"]) for v, r in quantized.items() if "path" in r},
            }
            variants = {}
            for variant, path in files.items():
                # the NumPy API's compiled calls cannot run an interpreter inside a graph: run them eagerly
                tf.config.run_functions_eagerly(True)
                try:
                    label, value = metric(name, through_litert(zoo.load(name), path), classifier)
                finally:
                    tf.config.run_functions_eagerly(False)
                diffs = (
                    report["litert"]["parity"]
                    if variant == "float32"
                    else report["litert_quantized"][variant]["max_abs_diff"]
                )
                floats = [
                    d
                    for outputs in diffs.values()
                    for k, d in outputs.items()
                    if "uint8" not in k and k not in ("label", "is_anomaly")
                ]
                variants[variant] = {
                    "bytes": path.stat().st_size,
                    "metric": label,
                    "value": value,
                    "max_abs_diff_float_outputs": max(floats) if floats else None,
                }
                print(name, variant, variants[variant], flush=True)
        card_path = registry.PRETRAINED_DIR / f"{name}.json"
        card = json.loads(card_path.read_text())
        skipped = {v: r["skipped"] for v, r in quantized.items() if "skipped" in r}
        variants.update({v: {"skipped": reason} for v, reason in skipped.items()})
        card["litert_variants"] = {"command": f"python benchmarks/litert_quantization.py {name}", **variants}
        card_path.write_text(json.dumps(card, indent=2) + "\n")
    for name in registry.available():  # the table, from every card that has the figures
        variants = registry.card(name).get("litert_variants")
        if not variants:
            continue
        cells = []
        for variant in ("float32", "float16", "dynamic", "int8"):
            v = variants[variant]
            if "skipped" in v:
                cells.append("not offered" if v["skipped"].startswith("not offered") else "not runnable: not shipped")
                continue
            value = "" if v["value"] is None else f" · {v['value']:.4g}"
            cells.append(f"{v['bytes'] / 1e6:.2f} MB{value}")
        rows.append(f"| {name} | {variants['float32']['metric'] or '(sizes only)'} | " + " | ".join(cells) + " |")
    table = "| entry | metric | float32 | float16 | dynamic range | int8 |\n|---|---|---|---|---|---|\n" + "\n".join(
        rows
    )
    print(table)
    rewrite("litert-table", table)


if __name__ == "__main__":
    main()
