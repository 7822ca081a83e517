"""Replay an export's saved examples with the mobile/edge runtimes alone: every `.tflite` through
`ai-edge-litert` and every `.onnx` through `onnxruntime`, with numpy and nothing else; TensorFlow
and Keras are made unimportable first, so a hidden dependency on them fails here.

    python export/portable_check.py EXPORT_DIR NAME [NAME ...]   (run as a file: it must not import the zoo)

Compares with the Keras outputs saved at export time (`NAME.examples.npz`); prints one JSON line per NAME
{"name": NAME, "litert": {endpoint: max_abs_diff}, "onnx": {...}, "litert_quantized": {variant: {...}}} and
exits 1 if a float file differs by more than 1e-4 (uint8 outputs: more than 1), or a quantized
`.tflite` (float16, dynamic, int8) differs from Keras by more than the export recorded for it in
`NAME.export.json` (the same interpreter on the same inputs must reproduce the same figure).
"""

import json
import sys

for blocked in ("tensorflow", "keras", "tf_keras", "zoo"):
    sys.modules[blocked] = None  # `import tensorflow` now raises ImportError

import importlib.util  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402


def _by_path(relative, name):
    """A module of the repository loaded by its path, without importing the zoo: zoo/serving/report.py
    (standard library only, the one definition of the export report) and export/gaps.py (NumPy only,
    the one measure of a quantized file's difference)."""
    path = Path(__file__).resolve().parents[1] / relative
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look the module up while the class is made
    spec.loader.exec_module(module)
    return module


ExportReport = _by_path("zoo/serving/report.py", "zoo_export_report").ExportReport
gaps = _by_path("export/gaps.py", "zoo_export_gaps").gaps


def saved_examples(path):
    data = np.load(path, allow_pickle=False)
    examples = {}
    for key in data.files:
        endpoint, kind, name = key.split("/")
        examples.setdefault(endpoint, ({}, {}))[0 if kind == "input" else 1][name] = data[key]
    return examples


def worst(expected, got):
    diffs = []
    for key, want in expected.items():
        have = np.asarray(got[key])
        diff = float(np.max(np.abs(want.astype(np.float64) - have.astype(np.float64)))) if want.size else 0.0
        limit = 1.0 if np.issubdtype(want.dtype, np.integer) else 1e-4
        diffs.append((diff, diff <= limit))
    return max(d for d, _ in diffs), all(ok for _, ok in diffs)


def replay_quantized(folder, name, litert_examples):
    """Every quantized `.tflite` the export wrote, against the figures its report recorded."""
    report_file = ExportReport.path(folder, name)
    recorded = (ExportReport.read(report_file).litert_quantized or {}) if report_file.is_file() else {}
    from ai_edge_litert.interpreter import Interpreter

    results, ok = {}, True
    for variant, entry in recorded.items():
        file = folder / f"{name}.{variant}.tflite"
        if "skipped" in entry or not file.is_file():
            continue
        interpreter = Interpreter(model_path=str(file))
        for endpoint in interpreter.get_signature_list():
            inputs, outputs = litert_examples[endpoint]
            diffs, changed = gaps(outputs, interpreter.get_signature_runner(endpoint)(**inputs))
            for key, diff in diffs.items():
                want = entry["max_abs_diff"][endpoint][key]
                ok &= np.isfinite(diff) and diff <= want * 1.001 + 1e-6
            for key, share in changed.items():
                ok &= share <= entry["integer_outputs_changed"][endpoint][key] + 1e-9
            results.setdefault(variant, {})[endpoint] = max([*diffs.values(), 0.0])
    return results, ok


def main(folder, name):
    folder = Path(folder)
    examples = saved_examples(folder / f"{name}.examples.npz")
    report, ok = {"name": name, "litert": {}, "onnx": {}}, True
    tflite = folder / f"{name}.tflite"
    if tflite.is_file():
        from ai_edge_litert.interpreter import Interpreter

        # Recurrent models' LiteRT file is a fixed-length copy: its own examples, same Keras outputs.
        mobile = folder / f"{name}.litert-examples.npz"
        litert_examples = saved_examples(mobile) if mobile.is_file() else examples
        interpreter = Interpreter(model_path=str(tflite))
        for endpoint in interpreter.get_signature_list():
            inputs, outputs = litert_examples[endpoint]
            report["litert"][endpoint], good = worst(outputs, interpreter.get_signature_runner(endpoint)(**inputs))
            ok &= good
        report["litert_quantized"], good = replay_quantized(folder, name, litert_examples)
        ok &= good
    for kind in ("onnx", "ort"):  # ONNX, and ONNX Runtime Mobile's .ort format
        for file in sorted(folder.glob(f"{name}.*.{kind}")):
            import onnxruntime as ort

            endpoint = file.name[len(name) + 1 : -len(kind) - 1]
            inputs, outputs = examples[endpoint]
            session = ort.InferenceSession(str(file), providers=["CPUExecutionProvider"])
            names = [o.name for o in session.get_outputs()]
            report.setdefault(kind, {})[endpoint], good = worst(outputs, dict(zip(names, session.run(names, inputs))))
            ok &= good
    report["tensorflow_importable"] = False
    print(json.dumps(report), flush=True)
    return 0 if ok and (report["litert"] or report["onnx"]) else 1


if __name__ == "__main__":
    if len(sys.argv) < 3:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        sys.exit(2)
    sys.exit(max(main(sys.argv[1], name) for name in sys.argv[2:]))
