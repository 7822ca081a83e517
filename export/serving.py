"""What a serving deployment needs next to the SavedModel: TF Serving warm-up requests inside the
version folder, a ready REST request body and curl line per endpoint, a KServe InferenceService
manifest, and the example inputs/outputs that the portability check replays without TensorFlow.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

WARMUP = Path("assets.extra") / "tf_serving_warmup_requests"


def write_warmup(version_dir, name, examples):
    """`assets.extra/tf_serving_warmup_requests`: one PredictRequest (TFRecord of PredictionLog)
    per signature, with the parity-check inputs, so TF Serving runs every graph once at load time."""
    import tensorflow as tf
    from tensorflow_serving.apis import model_pb2, predict_pb2, prediction_log_pb2

    path = Path(version_dir) / WARMUP
    path.parent.mkdir(parents=True, exist_ok=True)
    with tf.io.TFRecordWriter(str(path)) as writer:
        for signature, (inputs, _) in examples.items():
            request = predict_pb2.PredictRequest(model_spec=model_pb2.ModelSpec(name=name, signature_name=signature))
            for key, value in inputs.items():
                request.inputs[key].CopyFrom(tf.make_tensor_proto(value))
            log = prediction_log_pb2.PredictionLog(predict_log=prediction_log_pb2.PredictLog(request=request))
            writer.write(log.SerializeToString())
    return str(path)


def read_warmup(version_dir):
    """[(signature, {input: np.ndarray})] of a version folder's warm-up file."""
    import tensorflow as tf
    from tensorflow_serving.apis import prediction_log_pb2

    requests = []
    for record in tf.data.TFRecordDataset(str(Path(version_dir) / WARMUP)):
        log = prediction_log_pb2.PredictionLog.FromString(record.numpy())
        request = log.predict_log.request
        requests.append((request.model_spec.signature_name, {k: tf.make_ndarray(v) for k, v in request.inputs.items()}))
    return requests


def rest_body(signature, inputs, rows=2):
    """TF Serving's row format: {"signature_name": ..., "instances": [{input: value, ...}, ...]}."""
    n = min(rows, len(next(iter(inputs.values()))))
    return {"signature_name": signature, "instances": [{k: v[i].tolist() for k, v in inputs.items()} for i in range(n)]}


def columns(body):
    """The inputs a REST body's instances describe, as arrays (what TF Serving feeds the signature)."""
    keys = body["instances"][0].keys()
    return {k: np.asarray([instance[k] for instance in body["instances"]]) for k in keys}


def kserve_manifest(name):
    return f"""# KServe InferenceService for {name}: copy {name}/ (the versioned SavedModel folder) to your
# model store and point storageUri at it, then: kubectl apply -f {name}.kserve.yaml
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: {name}
spec:
  predictor:
    model:
      modelFormat:
        name: tensorflow
      storageUri: pvc://models/{name}   # or s3://bucket/{name}, gs://bucket/{name}
      resources:
        requests: {{cpu: "1", memory: 2Gi}}
"""


def write_client_files(out_dir, name, endpoints, examples):
    """Per endpoint `name.<endpoint>.request.json`; `name.curl.sh` (docker run + one curl per
    endpoint); `name.kserve.yaml`."""
    out_dir = Path(out_dir)
    written = {}
    lines = [
        "#!/bin/sh",
        f"# Serve the SavedModel in ./{name}/ with TF Serving, then ask each signature:",
        f'#   docker run -p 8501:8501 -v "$PWD/{name}:/models/{name}" -e MODEL_NAME={name} tensorflow/serving',
        "",
    ]
    for endpoint in endpoints:
        inputs, outputs = examples[endpoint]
        path = out_dir / f"{name}.{endpoint}.request.json"
        _atomic_text(path, json.dumps(rest_body(endpoint, inputs)) + "\n")
        written[endpoint] = str(path)
        lines.append(f"curl -s -X POST http://localhost:8501/v1/models/{name}:predict -d @{path.name}")
    _atomic_text(out_dir / f"{name}.curl.sh", "\n".join(lines) + "\n")
    _atomic_text(out_dir / f"{name}.kserve.yaml", kserve_manifest(name))
    return {
        "requests": written,
        "curl": str(out_dir / f"{name}.curl.sh"),
        "kserve": str(out_dir / f"{name}.kserve.yaml"),
    }


def write_examples(path, examples):
    """{endpoint: (inputs, Keras outputs)} as one .npz (keys endpoint/input/x, endpoint/output/y),
    replayed by export/portable_check.py without TensorFlow."""
    arrays = {}
    for endpoint, (inputs, outputs) in examples.items():
        arrays.update({f"{endpoint}/input/{k}": v for k, v in inputs.items()})
        arrays.update({f"{endpoint}/output/{k}": v for k, v in outputs.items()})
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}.npz")
    np.savez(tmp, **arrays)
    os.replace(tmp, path)
    return str(path)


def _atomic_text(path, text):
    tmp = Path(f"{path}.tmp{os.getpid()}")
    tmp.write_text(text)
    os.replace(tmp, path)
