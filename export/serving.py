"""What a serving deployment needs next to the SavedModel: TF Serving warm-up requests inside the
version folder, a ready REST request body and curl line per endpoint, TF Serving's own config files
(model config, batching parameters, Prometheus monitoring), a KServe InferenceService manifest (the
stock TensorFlow predictor and the `zoo.serve` custom predictor), and the example inputs/outputs
that the portability check replays without TensorFlow.
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
    """Two InferenceServices: KServe's stock TensorFlow predictor on the versioned SavedModel folder,
    and the zoo's own server (`python -m zoo.serve`, the same REST API plus the v2 protocol and the
    zoo's input checks) as a custom predictor on the whole export folder."""
    return f"""# KServe InferenceServices for {name}. Copy the export folder (with {name}/, the versioned
# SavedModel, and {name}.export.json) to your model store, point storageUri / STORAGE_URI at it, then
#   kubectl apply -f {name}.kserve.yaml
# 1. KServe's TensorFlow predictor (TF Serving inside) on the SavedModel folder:
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
---
# 2. The zoo's server as a custom predictor: an image with `pip install keras-zoo[serve]`; KServe's
#    storage initializer copies STORAGE_URI to /mnt/models. It answers /v1/models/{name}:predict (TF
#    Serving's REST API), /v2/models/{name}/infer, /v2/health/ready and /metrics on port 8080, and
#    refuses malformed requests with HTTP 400.
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: {name}-zoo
spec:
  predictor:
    containers:
      - name: kserve-container
        image: YOUR_REGISTRY/keras-zoo-serve:latest
        command: ["python", "-m", "zoo.serve", "/mnt/models", "--name", "{name}", "--host", "0.0.0.0", "--port", "8080"]
        env:
          - name: STORAGE_URI
            value: pvc://models/exports   # the folder holding {name}/ and {name}.export.json
        ports:
          - containerPort: 8080
            protocol: TCP
        readinessProbe:
          httpGet: {{path: /v2/health/ready, port: 8080}}
        resources:
          requests: {{cpu: "1", memory: 2Gi}}
"""


# TF Serving's text-format configs. ModelServerConfig comes with tensorflow-serving-api; the batching
# and monitoring messages do not, so they are declared here with TF Serving's names and field numbers
# (tensorflow_serving/servables/tensorflow/session_bundle_config.proto, config/monitoring_config.proto)
# and every file written is parsed back strictly (an unknown or misspelled field fails the export).
BATCHING = {"max_batch_size": 64, "batch_timeout_micros": 2000, "max_enqueued_batches": 100, "num_batch_threads": 2}
PROMETHEUS_PATH = "/monitoring/prometheus/metrics"


def config_messages():
    """{"models": ModelServerConfig, "batching": BatchingParameters, "monitoring": MonitoringConfig} classes."""
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, wrappers_pb2
    from tensorflow_serving.config import model_server_config_pb2

    F = descriptor_pb2.FieldDescriptorProto
    wrapped = {"max_batch_size": 1, "batch_timeout_micros": 2, "max_enqueued_batches": 3, "num_batch_threads": 4}
    batching = descriptor_pb2.DescriptorProto(name="BatchingParameters")
    for field, number in wrapped.items():
        batching.field.add(name=field, number=number, type=F.TYPE_MESSAGE, type_name=".google.protobuf.Int64Value")
    batching.field.add(name="thread_pool_name", number=5, type=F.TYPE_MESSAGE, type_name=".google.protobuf.StringValue")
    batching.field.add(name="allowed_batch_sizes", number=6, type=F.TYPE_INT64, label=F.LABEL_REPEATED)
    batching.field.add(name="pad_variable_length_inputs", number=7, type=F.TYPE_BOOL)
    prometheus = descriptor_pb2.DescriptorProto(name="PrometheusConfig")
    prometheus.field.add(name="enable", number=1, type=F.TYPE_BOOL)
    prometheus.field.add(name="path", number=2, type=F.TYPE_STRING)
    monitoring = descriptor_pb2.DescriptorProto(name="MonitoringConfig")
    monitoring.field.add(
        name="prometheus_config", number=1, type=F.TYPE_MESSAGE, type_name=".tensorflow.serving.PrometheusConfig"
    )
    file = descriptor_pb2.FileDescriptorProto(
        name="keras_zoo/tf_serving_configs.proto",
        package="tensorflow.serving",
        syntax="proto3",
        dependency=["google/protobuf/wrappers.proto"],
        message_type=[batching, prometheus, monitoring],
    )
    pool = descriptor_pool.DescriptorPool()
    pool.AddSerializedFile(wrappers_pb2.DESCRIPTOR.serialized_pb)
    pool.Add(file)
    get = lambda message: message_factory.GetMessageClass(pool.FindMessageTypeByName(f"tensorflow.serving.{message}"))
    return {
        "models": model_server_config_pb2.ModelServerConfig,
        "batching": get("BatchingParameters"),
        "monitoring": get("MonitoringConfig"),
    }


def tf_serving_configs(name):
    """{kind: text-format config} for TF Serving, model mounted at /models/NAME and configs at /config."""
    return {
        "models": f"""# TF Serving model config: --model_config_file=/config/{name}.models.config
model_config_list {{
  config {{
    name: "{name}"
    base_path: "/models/{name}"
    model_platform: "tensorflow"
    model_version_policy {{ latest {{ num_versions: 1 }} }}
  }}
}}
""",
        "batching": "# TF Serving server-side batching: --enable_batching --batching_parameters_file=/config/"
        f"{name}.batching.config\n" + "".join(f"{k} {{ value: {v} }}\n" for k, v in BATCHING.items()),
        "monitoring": f"""# TF Serving Prometheus metrics: --monitoring_config_file=/config/{name}.monitoring.config
prometheus_config {{
  enable: true
  path: "{PROMETHEUS_PATH}"
}}
""",
    }


def parse_config(kind, text):
    """The text-format config parsed strictly into TF Serving's message (unknown fields raise)."""
    from google.protobuf import text_format

    return text_format.Parse(text, config_messages()[kind]())


def docker_line(name):
    return (
        f'docker run -p 8501:8501 -p 8500:8500 -v "$PWD/{name}:/models/{name}" -v "$PWD:/config" tensorflow/serving '
        f"--model_config_file=/config/{name}.models.config --enable_batching "
        f"--batching_parameters_file=/config/{name}.batching.config "
        f"--monitoring_config_file=/config/{name}.monitoring.config"
    )


def write_requests(out_dir, name, endpoints, examples):
    """Per endpoint `name.<endpoint>.request.json`: a ready REST body (TF Serving's row format), for
    TF Serving and `python -m zoo.serve` alike; {endpoint: path}."""
    written = {}
    for endpoint in endpoints:
        path = Path(out_dir) / f"{name}.{endpoint}.request.json"
        _atomic_text(path, json.dumps(rest_body(endpoint, examples[endpoint][0])) + "\n")
        written[endpoint] = str(path)
    return written


def write_client_files(out_dir, name, endpoints):
    """`name.curl.sh` (docker run + one curl per endpoint's request body); TF Serving's
    `name.models.config`, `name.batching.config`, `name.monitoring.config` (each parsed back with its
    proto before it is put in place); `name.kserve.yaml`."""
    out_dir = Path(out_dir)
    configs = {}
    for kind, text in tf_serving_configs(name).items():
        parse_config(kind, text)
        path = out_dir / f"{name}.{kind}.config"
        _atomic_text(path, text)
        configs[kind] = str(path)
    lines = [
        "#!/bin/sh",
        f"# Serve the SavedModel in ./{name}/ with TF Serving (run from this folder), then ask each signature:",
        f"#   {docker_line(name)}",
        "# or, without Docker, with the zoo's own server (same REST API, port 8501):",
        f"#   python -m zoo.serve . --name {name} --port 8501",
        "",
    ]
    for endpoint in endpoints:  # the bodies themselves: write_requests, for every export
        lines.append(
            f"curl -s -X POST http://localhost:8501/v1/models/{name}:predict -d @{name}.{endpoint}.request.json"
        )
    _atomic_text(out_dir / f"{name}.curl.sh", "\n".join(lines) + "\n")
    _atomic_text(out_dir / f"{name}.kserve.yaml", kserve_manifest(name))
    return {
        "curl": str(out_dir / f"{name}.curl.sh"),
        "kserve": str(out_dir / f"{name}.kserve.yaml"),
        "tf_serving_configs": configs,
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
