"""Export a zoo model's endpoints as SavedModel (TF Serving), ONNX and LiteRT, each verified on write.

The exporter knows nothing about model families: it sees `model.endpoints()` only.

    from export import export_model
    report = export_model(model, "exports", "dcgan-mnist", formats=("savedmodel", "onnx", "litert"))
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from export import serving, writers
from export.verify import TOLERANCE, ExportError, ParityError, compare
from zoo.serving.report import ExportReport

FORMATS = ("savedmodel", "onnx", "litert", "litert-quantized")
__all__ = ["export_model", "export_entry", "FORMATS", "ExportError", "ParityError", "TOLERANCE", "ExportReport"]


def calibration_source(model, endpoints, n=64):
    """({endpoint: {input: [n, ...] array}}, {endpoint: where it comes from}) for int8 calibration:
    the run's own training data where the model draws from it (`model.calibration_inputs(n)`), else
    each input's declared distribution (exact for latents z ~ N(0, I))."""
    own = model.calibration_inputs(n)
    dataset = (model.recipe or {}).get("dataset")
    said = {}
    for key in endpoints:
        count = len(next(iter(own[key].values()))) if key in own else 0
        if key not in own:
            said[key] = f"{n} draws from the declared input distribution"
        elif count >= n:
            said[key] = f"first {n} training examples of {dataset} (the run's data)"
        else:  # a small dataset: every example, cycled to n calibration steps (never an empty batch)
            said[key] = f"all {count} training examples of {dataset} (the run's data), cycled to {n} steps"
    return own, said


def representative_inputs(model, endpoints, n=64, own=None):
    """(endpoint, {input: [1, ...] array}) pairs for int8 calibration (see `calibration_source`)."""
    own = model.calibration_inputs(n) if own is None else own
    for key, endpoint in endpoints.items():
        batch = own.get(key) or endpoint.example_inputs(batch=n, seed=1)
        count = len(next(iter(batch.values())))
        if count == 0:
            raise ExportError(f"endpoint '{key}': no calibration examples (the run's training split is empty)")
        for i in range(n):  # fewer than n examples: cycled, so that every step calibrates on a real one
            yield key, {name: np.asarray(value[i % count : i % count + 1]) for name, value in batch.items()}


def _output_spec(endpoint, example):
    """{"shape", "dtype"} of an output: -1 for the batch and for every axis when an input has a free length."""
    free = any(d is None for spec in endpoint.inputs.values() for d in spec.shape[1:])
    return {"shape": [-1] + [-1 if free else d for d in example.shape[1:]], "dtype": str(example.dtype)}


def export_model(model, out_dir, name, formats=FORMATS, batch=4, seed=0, progress=None):
    """Write and verify `formats` of `model` under `out_dir`; returns (and writes) its `ExportReport`.

    Layout: out_dir/name/<version>/ (SavedModel), out_dir/name.<endpoint>.onnx, out_dir/name.tflite,
    out_dir/name.export.json. Parity is checked on `batch` fixed inputs drawn with `seed`.
    """
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ExportError(f"unknown export format(s) {unknown}; choose from {', '.join(FORMATS)} or all")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if not os.access(out_dir, os.W_OK):
        raise ExportError(f"cannot write to {out_dir}")
    say = progress or (lambda text: None)
    say(f"{name}: running {', '.join(model.endpoints())} on fixed inputs (the outputs every file must match)")
    endpoints = model.endpoints()
    examples = {}
    for key, endpoint in endpoints.items():
        inputs = endpoint.example_inputs(batch=batch, seed=seed)
        examples[key] = (inputs, endpoint(**inputs))
        clash = set(inputs) & set(examples[key][1])
        if clash:  # ONNX and LiteRT need distinct tensor names
            raise ExportError(f"endpoint '{key}' uses {sorted(clash)} as both input and output name")

    report = ExportReport(
        name,
        endpoints={
            k: {
                "inputs": {n: s.describe() for n, s in e.inputs.items()},
                "outputs": {o: _output_spec(e, v) for o, v in examples[k][1].items()},
                "doc": e.doc,
                **({"meta": e.meta} if e.meta else {}),
            }
            for k, e in endpoints.items()
        },
        tolerance=TOLERANCE,
    )
    with tempfile.TemporaryDirectory() as scratch:
        savedmodel_dir = None
        if "savedmodel" in formats:
            say(f"savedmodel: writing {out_dir / name}/<next version>/, reloading it and comparing")
            report.savedmodel = writers.write_savedmodel(model, endpoints, examples, out_dir, name)
            savedmodel_dir = report.savedmodel["path"]
            report.serving = serving.write_client_files(out_dir, name, endpoints)
        if "onnx" in formats:
            say(
                f"onnx: converting {len(endpoints)} endpoint(s) to {out_dir / name}.<endpoint>.onnx and .ort, comparing"
            )
            report.onnx = writers.write_onnx(endpoints, examples, out_dir, name)
        if "litert" in formats or "litert-quantized" in formats:
            source, source_endpoints, source_examples = model.export_source(), endpoints, examples
            if source is not model:
                # E.g. recurrent models: LiteRT is written from a fixed-length unrolled copy (builtin
                # ops only), and checked against *this* model's outputs on inputs of that length.
                source_endpoints = source.endpoints()
                source_examples = {
                    k: (inputs, endpoints[k](**inputs))
                    for k, e in source_endpoints.items()
                    for inputs in [e.example_inputs(batch=batch, seed=seed)]
                }
                for k, (inputs, expected) in source_examples.items():  # the copy computes what the model does
                    compare("keras (converted copy)", k, expected, source_endpoints[k](**inputs))
                savedmodel_dir = None
            if savedmodel_dir is None:  # LiteRT converts from a SavedModel: make a private one
                savedmodel_dir = writers.write_conversion_source(source, source_endpoints, Path(scratch) / name)
        if "litert" in formats:
            say(f"litert: converting {out_dir / name}.tflite (builtin ops only) and comparing")
            report.litert = writers.write_litert(savedmodel_dir, source_endpoints, source_examples, out_dir, name)
            if source is not model:
                report.litert["fixed_sequence_length"] = source.fixed_length
                report.litert["examples"] = serving.write_examples(
                    out_dir / f"{name}.litert-examples.npz", source_examples
                )
                report.litert["inputs"] = {
                    k: {n: [list(s.shape), s.dtype] for n, s in e.inputs.items()} for k, e in source_endpoints.items()
                }
        if "litert-quantized" in formats:
            own, sources = calibration_source(source, source_endpoints)
            say(f"litert-quantized: {', '.join(model.litert_variants)} variants, measuring each against Keras")
            report.litert_quantized = writers.write_litert_variants(
                savedmodel_dir,
                source_endpoints,
                source_examples,
                out_dir,
                name,
                lambda: representative_inputs(source, source_endpoints, own=own),
                offered=model.litert_variants,
                why_not=model.litert_variants_note,
            )
            report.litert_calibration = sources
    report.examples = serving.write_examples(out_dir / f"{name}.examples.npz", examples)
    report.requests = serving.write_requests(out_dir, name, endpoints, examples)
    report.write(out_dir)  # a partial re-export (e.g. --format onnx) keeps the other formats' records
    return report


def export_entry(target, out_dir, formats=FORMATS, export_name=None, progress=None):
    """Export a zoo entry or a run folder under its own name (or `export_name`); its ExportReport.
    A run named like a shipped entry is refused unless `export_name` says which name to write."""
    import zoo
    from zoo.errors import ZooError

    model = zoo.load(target)  # a bad name or path: one line, before any stage is announced
    name = export_name or model.card.get("name") or str(target)
    if export_name is None and name in zoo.available() and not zoo.registry.is_entry(target):
        raise ZooError(
            f"{target} is a training run named '{name}', like the shipped entry: exporting it under that name "
            f"would add versions that TF Serving serves as the shipped model; pass --as NAME (--as {name} to "
            f"do that on purpose)"
        )
    return export_model(model, out_dir, name, formats=formats, progress=progress)
