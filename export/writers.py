"""Writers for the three formats. Each writes to a temporary path, verifies the artifact in its own
runtime against the Keras endpoints, and only then moves it into place: a failed or interrupted
export never leaves a half-written or unverified file where a server or app would pick it up."""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
from pathlib import Path

import numpy as np

from export import serving, verify
from export.gaps import gaps
from export.quiet import native_quiet
from zoo.contract import LITERT_VARIANTS


def serving_function(endpoint):
    """The endpoint as a tf.function with a named input signature (`Endpoint.compiled`)."""
    return endpoint.compiled()


def _parity(runtime, endpoints, examples, run):
    return {name: verify.compare(runtime, name, examples[name][1], run(name, examples[name][0])) for name in endpoints}


def next_version(model_dir):
    versions = [int(p.name) for p in Path(model_dir).glob("*") if p.is_dir() and p.name.isdigit()]
    return max(versions, default=0) + 1


_ARCHIVE_LOCK = threading.Lock()


@contextlib.contextmanager
def _no_default_save_signatures():
    """While a SavedModel is written, TF walks every tracked object's attributes, and each Keras
    sub-model's `_default_save_signature` property builds and traces a fresh tf.function of its
    whole call. The archive exports only the endpoints, so those traces are thrown away; for a
    recurrent model unrolled at a fixed length they were half of the write (33 s -> 15 s for
    gru-char-pydoc). Outputs are unchanged (the parity checks run on the written file).

    The property is switched off on Keras' class for the block only, under a lock (a server exporting
    in one thread never sees another thread's write half-patched), and restored however it ends."""
    try:
        from keras.src.backend.tensorflow.layer import TFLayer

        saved = TFLayer.__dict__["_default_save_signature"]
    except (ImportError, KeyError):  # another Keras: nothing to skip
        yield
        return
    with _ARCHIVE_LOCK:
        TFLayer._default_save_signature = property(lambda self: None)
        try:
            yield
        finally:
            TFLayer._default_save_signature = saved


def _write_archive(model, endpoints, path):
    """A SavedModel at `path` with one signature per endpoint (the first also `serving_default`)."""
    import keras

    archive = keras.export.ExportArchive()
    archive.track(model)
    for endpoint_name, endpoint in endpoints.items():
        archive.add_endpoint(endpoint_name, serving_function(endpoint))
    with _no_default_save_signatures():
        archive.write_out(str(path), verbose=False)


def write_conversion_source(model, endpoints, path):
    """A private SavedModel that only LiteRT's converter reads (e.g. a recurrent model's unrolled
    copy). It is not reloaded or warmed up: no server sees it, and the LiteRT files converted from
    it are checked against the Keras outputs themselves."""
    _write_archive(model, endpoints, path)
    return str(path)


def write_savedmodel(model, endpoints, examples, base_dir, name):
    """TF Serving layout `base_dir/name/<version>/`; the first endpoint is also `serving_default`."""
    model_dir = Path(base_dir) / name
    model_dir.mkdir(parents=True, exist_ok=True)
    version = next_version(model_dir)
    tmp = model_dir / f".tmp-{version}-{os.getpid()}"
    try:
        _write_archive(model, endpoints, tmp)
        run = verify.savedmodel_runner(tmp)
        parity = _parity("savedmodel", endpoints, examples, run)
        warmup = serving.write_warmup(tmp, name, examples)  # inside the version folder, before it appears
        final = model_dir / str(version)
        os.rename(tmp, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {
        "path": str(final),
        "version": version,
        "signatures": ["serving_default", *endpoints],
        "parity": parity,
        "warmup": str(final / Path(warmup).relative_to(tmp)),
    }


def _place(tmp, final):
    os.replace(tmp, final)
    return {"path": str(final), "bytes": os.path.getsize(final)}


def write_onnx(endpoints, examples, out_dir, name, opset=17):
    """One `name.<endpoint>.onnx` per endpoint, inputs and outputs named as the endpoint's."""
    import tf2onnx

    files = {}
    for endpoint_name, endpoint in endpoints.items():
        final = Path(out_dir) / f"{name}.{endpoint_name}.onnx"
        tmp = final.with_name(final.name + f".tmp{os.getpid()}")
        try:
            try:
                tf2onnx.convert.from_function(
                    serving_function(endpoint),
                    input_signature=endpoint.tensor_specs(),
                    opset=opset,
                    output_path=str(tmp),
                )
            except Exception as exc:  # tf2onnx raises bare ValueErrors and others
                raise verify.ExportError(
                    f"onnx: converting endpoint '{endpoint_name}' failed: {str(exc).strip().splitlines()[0]}"
                ) from None
            parity = _parity("onnx", {endpoint_name: endpoint}, examples, lambda ep, x: verify.run_onnx(tmp, x))
            ort = _write_ort(tmp, final.with_suffix(".ort"), endpoint_name, endpoint, examples)
            files[endpoint_name] = {**_place(tmp, final), "opset": opset, "parity": parity[endpoint_name], "ort": ort}
        finally:
            if tmp.exists():
                tmp.unlink()
    return files


def _write_ort(onnx_path, final, endpoint_name, endpoint, examples):
    """ONNX Runtime Mobile's `.ort` flatbuffer of an ONNX file (basic graph optimisations, which
    are portable across hardware), verified like the rest."""
    import onnxruntime as ort

    tmp = final.with_name(final.name + f".tmp{os.getpid()}.ort")
    try:
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
        options.optimized_model_filepath = str(tmp)
        options.add_session_config_entry("session.save_model_format", "ORT")
        ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
        parity = _parity("ort", {endpoint_name: endpoint}, examples, lambda ep, x: verify.run_onnx(tmp, x))
        return {**_place(tmp, final), "parity": parity[endpoint_name]}
    finally:
        if tmp.exists():
            tmp.unlink()


def write_litert(savedmodel_dir, endpoints, examples, out_dir, name):
    """One `name.tflite` holding a signature per endpoint, builtin ops only (no Flex / Select-TF)."""
    import tensorflow as tf

    final = Path(out_dir) / f"{name}.tflite"
    tmp = final.with_name(final.name + f".tmp{os.getpid()}")
    try:
        converter = tf.lite.TFLiteConverter.from_saved_model(str(savedmodel_dir), signature_keys=list(endpoints))
        # Builtins only: an op the standalone interpreter cannot run fails here, not on the phone.
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
        try:
            with native_quiet():
                flatbuffer = converter.convert()
        except Exception as exc:
            raise verify.ExportError(
                f"litert: conversion with builtin ops only failed: {str(exc).strip().splitlines()[0]}"
            ) from None
        tmp.write_bytes(flatbuffer)
        ops = verify.litert_ops(tmp)
        flex = [op for op in ops if op.startswith("Flex") or op == "CUSTOM"]
        if flex:
            raise verify.ExportError(f"litert: the converted model needs non-builtin ops {flex}")
        parity = _parity("litert", endpoints, examples, lambda ep, x: verify.run_litert(tmp, ep, x))
        return {**_place(tmp, final), "ops": ops, "signatures": list(endpoints), "parity": parity}
    finally:
        if tmp.exists():
            tmp.unlink()


def write_litert_variants(
    savedmodel_dir, endpoints, examples, out_dir, name, representative, offered=LITERT_VARIANTS, why_not=""
):
    """Quantized LiteRT files `name.<variant>.tflite`, builtin ops only, float32 inputs/outputs:
      float16  weights stored as float16
      dynamic  weights int8, activations quantized on the fly (dynamic range)
      int8     weights and activations int8, calibrated on `representative` (an iterable of
               (endpoint, {input: array}) pairs drawn from the training data); an op without an
               int8 kernel stays float (TFLITE_BUILTINS fallback) instead of failing or breaking.
    Quantized outputs are not held to the 1e-4 parity of the float files: each variant's size and
    max abs difference from Keras are reported, and a non-finite output fails the export."""
    import tensorflow as tf

    results = {}
    for variant in LITERT_VARIANTS:
        if variant not in offered:
            results[variant] = {"skipped": f"not offered for this model: {why_not}"}
            continue
        final = Path(out_dir) / f"{name}.{variant}.tflite"
        tmp = final.with_name(final.name + f".tmp{os.getpid()}")
        try:
            converter = tf.lite.TFLiteConverter.from_saved_model(str(savedmodel_dir), signature_keys=list(endpoints))
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
            converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
            if variant == "float16":
                converter.target_spec.supported_types = [tf.float16]
            elif variant == "int8":
                converter.representative_dataset = lambda: iter(representative())
                converter.target_spec.supported_ops = [
                    tf.lite.OpsSet.TFLITE_BUILTINS_INT8,
                    tf.lite.OpsSet.TFLITE_BUILTINS,
                ]
            try:
                with native_quiet():
                    tmp.write_bytes(converter.convert())
            except Exception as exc:
                raise verify.ExportError(
                    f"litert {variant}: conversion failed: {str(exc).strip().splitlines()[0]}"
                ) from None
            ops = verify.litert_ops(tmp)
            flex = [op for op in ops if op.startswith("Flex") or op == "CUSTOM"]
            if flex:
                raise verify.ExportError(f"litert {variant}: the converted model needs non-builtin ops {flex}")
            diffs, changed, discrete = {}, {}, {}
            try:
                runs = {endpoint: verify.run_litert(tmp, endpoint, examples[endpoint][0]) for endpoint in endpoints}
            except (
                RuntimeError
            ) as exc:  # e.g. XNNPACK refuses a tensor's int8 scale: the file would not run on a phone either
                results[variant] = {
                    "skipped": "written but not runnable by the LiteRT interpreter "
                    f"({str(exc).strip().splitlines()[0][:160]}); not shipped"
                }
                continue
            for endpoint in endpoints:
                _, expected = examples[endpoint]
                got = runs[endpoint]
                for key, value in got.items():
                    if not np.all(np.isfinite(np.asarray(value, np.float64))):
                        raise verify.ExportError(
                            f"litert {variant}: endpoint '{endpoint}' output '{key}' is not finite"
                        )
                diffs[endpoint], changed[endpoint] = gaps(expected, got)
                different = [k for k, share in changed[endpoint].items() if share and expected[k].dtype != np.uint8]
                if different:  # a label or token differs: a different answer, not a rounding
                    discrete[endpoint] = different
            diffs = {e: d for e, d in diffs.items() if d}
            changed = {e: c for e, c in changed.items() if c}
            results[variant] = {
                **_place(tmp, final),
                "ops": ops,
                "max_abs_diff": diffs,
                "integer_outputs_changed": changed,
                "changes_discrete_outputs": discrete,
            }
        finally:
            if tmp.exists():
                tmp.unlink()
    return results
