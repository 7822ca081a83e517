"""Parity: run an exported artifact in its own runtime and compare it with the Keras endpoint."""

from __future__ import annotations

import numpy as np

from zoo.errors import ZooError

TOLERANCE = 1e-4


class ExportError(ZooError):
    """An export that could not be written."""


class ParityError(ExportError):
    """An exported artifact whose outputs differ from the Keras model's beyond the tolerance."""


def compare(runtime, endpoint, expected, got, tolerance=TOLERANCE):
    """Max |expected - got| per output; raises ParityError naming the first output over tolerance.

    Float outputs must agree within `tolerance`. Integer outputs (uint8 images) are float values
    rounded to integers, so two runtimes agreeing to 1e-7 can still round a value that lies on a
    .5 boundary to neighbouring integers: they must agree within one step.
    """
    diffs = {}
    for key, want in expected.items():
        if key not in got:
            raise ParityError(f"{runtime}: endpoint '{endpoint}' is missing output '{key}' (has {sorted(got)})")
        have = np.asarray(got[key])
        if have.shape != want.shape:
            raise ParityError(
                f"{runtime}: endpoint '{endpoint}' output '{key}' has shape {have.shape}, Keras gives {want.shape}"
            )
        diff = float(np.max(np.abs(want.astype(np.float64) - have.astype(np.float64)))) if want.size else 0.0
        limit = 1.0 if np.issubdtype(want.dtype, np.integer) else tolerance
        if not diff <= limit:  # also catches NaN
            raise ParityError(
                f"{runtime}: endpoint '{endpoint}' output '{key}' differs from Keras by max abs {diff:.3g} "
                f"(tolerance {limit:g})"
            )
        diffs[key] = diff
    return diffs


def savedmodel_runner(path):
    """run(endpoint, inputs) over a SavedModel's signatures, loaded once (loading an unrolled
    recurrent model takes seconds, so every endpoint's check shares one load)."""
    import tensorflow as tf

    loaded = tf.saved_model.load(str(path))

    def run(endpoint, inputs):
        result = loaded.signatures[endpoint](**{k: tf.constant(v) for k, v in inputs.items()})
        return {k: v.numpy() for k, v in result.items()}

    return run


def run_onnx(path, inputs):
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(names, inputs)))


def litert_ops(path):
    """Names of every operator a .tflite file uses, across all its subgraphs (signatures): the
    model's operator-code table, read from the flatbuffer. Custom ops (Flex…) appear by name."""
    from ai_edge_litert import schema_py_generated as schema

    model = schema.Model.GetRootAsModel(bytearray(open(path, "rb").read()), 0)
    names = {value: key for key, value in vars(schema.BuiltinOperator).items() if not key.startswith("_")}
    ops = set()
    for i in range(model.OperatorCodesLength()):
        code = model.OperatorCodes(i)
        builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
        custom = code.CustomCode()
        ops.add(custom.decode() if custom else names.get(builtin, f"BUILTIN_{builtin}"))
    return sorted(ops)


def run_litert(path, endpoint, inputs):
    from ai_edge_litert.interpreter import Interpreter

    from export.quiet import native_quiet

    # The signature runner resizes inputs to the batch at hand and allocates tensors itself.
    with native_quiet():
        return Interpreter(model_path=str(path)).get_signature_runner(endpoint)(**inputs)
