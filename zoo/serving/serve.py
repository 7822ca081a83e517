"""python -m zoo.serve NAME_OR_EXPORT_DIR [--port 8501] [--runtime savedmodel|onnx]

Serves zoo models over HTTP with the KServe model server. TARGET is an export folder written by
`python -m export` (every NAME.export.json in it is served, or those --name lists), or a zoo entry
or training run, which is exported first into --exports (default: a temporary folder).
  POST /v1/models/NAME:predict    TF Serving's REST API: {"signature_name": ..., "instances": [...]}
                                  (row format) or {"inputs": ...} (columnar), answered like TF Serving
  POST /v2/models/NAME/infer      the Open Inference Protocol (v2); the signature is the request's
                                  parameters.signature_name, or use the model NAME.ENDPOINT
  GET  /v2/health/live, /v2/health/ready, /v2/models/NAME[.ENDPOINT] (metadata), /metrics (Prometheus)
One signature per endpoint, as in the SavedModel (serving_default is the first). Every request is
checked against the endpoint's declared inputs (names, shape, dtype, range, batch size) before it
runs: a bad request gets HTTP 400 with one line saying what is wrong.
"""

from __future__ import annotations

import contextlib
import json
import sys
import uuid
import warnings
from pathlib import Path

import numpy as np

from zoo.errors import InputError, ZooError
from zoo.serving.endpoints import Endpoint, Input
from zoo.serving.report import ExportReport, ReportError

DEFAULT_SIGNATURE = "serving_default"
V2_TYPES = {
    "float32": "FP32",
    "float64": "FP64",
    "float16": "FP16",
    "int8": "INT8",
    "int16": "INT16",
    "int32": "INT32",
    "int64": "INT64",
    "uint8": "UINT8",
    "bool": "BOOL",
}


def export_reports(folder):
    """{name: report path} of the exports in `folder`."""
    return {p.name[: -len(".export.json")]: p for p in sorted(Path(folder).glob("*.export.json"))}


class ServedExport:
    """An export folder's endpoints, run by one runtime, with the zoo's input checks in front.

    `endpoints` are `zoo.serving.endpoints.Endpoint`s rebuilt from the export report (shapes, dtypes, value
    ranges, least lengths), whose functions call the SavedModel signature or the ONNX Runtime session.
    """

    def __init__(self, folder, name=None, runtime="savedmodel", threads=0, max_batch=256):
        folder = Path(folder)
        reports = export_reports(folder)
        if not reports:
            raise ZooError(f"{folder} holds no export (no NAME.export.json); write one with: python -m export NAME")
        if name is None:
            if len(reports) > 1:
                raise ZooError(f"{folder} holds {len(reports)} exports ({', '.join(reports)}); pick one with --name")
            name = next(iter(reports))
        if name not in reports:
            raise ZooError(f"{folder} has no export named '{name}'; it holds {', '.join(reports)}")
        self.folder, self.name, self.runtime, self.max_batch = folder, name, runtime, max_batch
        try:
            self.report = ExportReport.read(reports[name])
        except ReportError as exc:
            raise ZooError(str(exc)) from None
        self.signatures = list(self.report.endpoints)
        self.output_specs = {k: self.report.outputs(k) for k in self.signatures}  # {endpoint: {output: spec}}
        run = self._runner(runtime, threads)
        self.endpoints = {
            key: Endpoint(
                key,
                fn=run(key),
                inputs={n: Input.described(spec) for n, spec in self.report.inputs(key).items()},
                doc=self.report.endpoints[key].get("doc", ""),
                outputs=tuple(self.output_specs[key]),
            )
            for key in self.signatures
        }

    def _runner(self, runtime, threads):
        if runtime == "savedmodel":
            if self.report.savedmodel is None:
                raise ZooError(f"export '{self.name}' has no SavedModel; export it with --format savedmodel")
            import zoo._tensorflow  # noqa: F401  (TensorFlow, loaded quietly)

            import tensorflow as tf

            if threads:
                tf.config.threading.set_intra_op_parallelism_threads(threads)
                tf.config.threading.set_inter_op_parallelism_threads(threads)
            version = self.folder / self.name / str(self.report.savedmodel["version"])
            loaded = tf.saved_model.load(str(version))
            self._loaded = loaded  # keeps the signatures' variables alive

            def runner(key):
                signature = loaded.signatures[key]
                return lambda **x: {
                    k: v.numpy() for k, v in signature(**{n: tf.constant(a) for n, a in x.items()}).items()
                }

            return runner
        if runtime == "onnx":
            if "onnx" not in self.report:
                raise ZooError(f"export '{self.name}' has no ONNX files; export it with --format onnx")
            import onnxruntime as ort

            options = ort.SessionOptions()
            if threads:
                options.intra_op_num_threads = threads
                options.inter_op_num_threads = 1
            sessions = {
                key: ort.InferenceSession(
                    str(self.folder / Path(item["path"]).name), options, providers=["CPUExecutionProvider"]
                )
                for key, item in self.report.onnx.items()
            }

            def runner(key):
                session = sessions[key]
                names = [o.name for o in session.get_outputs()]
                return lambda **x: dict(zip(names, session.run(names, x)))

            return runner
        raise ZooError(f"unknown runtime '{runtime}'; choose savedmodel or onnx")

    # --- requests ----------------------------------------------------------------------------------
    def endpoint(self, signature):
        if signature in (None, "", DEFAULT_SIGNATURE):
            return self.endpoints[self.signatures[0]]
        if not isinstance(signature, str) or signature not in self.endpoints:
            raise InputError(
                f"unknown signature_name {json.dumps(signature)}; this model serves "
                f"{', '.join([DEFAULT_SIGNATURE, *self.signatures])}"
            )
        return self.endpoints[signature]

    def run(self, endpoint, inputs):
        """Checked inputs → {output: np.ndarray} (InputError for anything the endpoint refuses)."""
        sizes = {k: len(v) for k, v in inputs.items() if np.ndim(v) > 0}
        if sizes and max(sizes.values()) > self.max_batch:
            raise InputError(
                f"batch of {max(sizes.values())} is over this server's limit of {self.max_batch} (--max-batch)"
            )
        return endpoint(**inputs)

    def predict_v1(self, body, signature=None):
        """TF Serving's REST predict: row format ("instances") or columnar ("inputs")."""
        if isinstance(body, (bytes, str)):  # sent without a JSON content type (curl -d): KServe passes it raw
            try:
                body = json.loads(body)
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise InputError(f"the request body is not JSON ({exc})") from None
        if not isinstance(body, dict):
            raise InputError('the request body must be a JSON object with "instances" or "inputs"')
        unknown = set(body) - {"signature_name", "instances", "inputs"}
        if unknown:
            raise InputError(
                f"unknown request field(s) {sorted(unknown)}; expected signature_name, instances or inputs"
            )
        if ("instances" in body) == ("inputs" in body):
            raise InputError('the request must hold exactly one of "instances" (row format) or "inputs" (columnar)')
        endpoint = self.endpoint(body.get("signature_name", signature))
        names = list(endpoint.inputs)
        if "instances" in body:
            rows = body["instances"]
            if not isinstance(rows, list) or not rows:
                raise InputError('"instances" must be a non-empty list')
            if all(isinstance(row, dict) for row in rows):
                inputs = {n: [row.get(n) for row in rows] for n in {k for row in rows for k in row}}
                missing = [n for n in names if any(n not in row for row in rows)]
                if missing:
                    raise InputError(f"every instance needs the input(s) {names}; missing {missing} in some")
            elif len(names) == 1 and not any(isinstance(row, dict) for row in rows):
                inputs = {names[0]: rows}
            else:
                raise InputError(f"instances must be objects naming the inputs {names}")
        else:
            columns = body["inputs"]
            inputs = columns if isinstance(columns, dict) else {names[0]: columns} if len(names) == 1 else None
            if inputs is None:
                raise InputError(f'"inputs" must be an object naming the inputs {names}')
        outputs = self.run(endpoint, {k: _array(v, f"input '{k}'") for k, v in inputs.items()})
        if "instances" in body:
            n = len(next(iter(outputs.values())))
            if len(outputs) == 1:
                return {"predictions": next(iter(outputs.values())).tolist()}
            return {"predictions": [{k: v[i].tolist() for k, v in outputs.items()} for i in range(n)]}
        if len(outputs) == 1:
            return {"outputs": next(iter(outputs.values())).tolist()}
        return {"outputs": {k: v.tolist() for k, v in outputs.items()}}

    def types(self, signature, kind):
        """v2 metadata: [{name, datatype, shape}] of an endpoint's inputs or outputs."""
        endpoint = self.endpoint(signature)
        if kind == "inputs":
            return [
                {
                    "name": n,
                    "datatype": V2_TYPES.get(s.dtype, s.dtype.upper()),
                    "shape": [-1 if d is None else d for d in s.shape],
                }
                for n, s in endpoint.inputs.items()
            ]
        return [
            {"name": n, "datatype": V2_TYPES.get(s["dtype"], s["dtype"].upper()), "shape": s["shape"]}
            for n, s in self.output_specs[endpoint.name].items()
        ]


def _array(value, what):
    """A JSON value as a numeric array; nested lists of unequal length and non-numbers are refused."""
    try:
        array = np.asarray(value)
    except ValueError:
        raise InputError(f"{what} is ragged: its nested lists differ in length") from None
    if array.dtype == object or array.dtype.kind in "USV":
        raise InputError(f"{what} must be numbers, got {array.dtype.kind == 'O' and 'mixed or ragged lists' or 'text'}")
    return array


def kserve_models(served):
    """KServe models: NAME (every signature; v2 picks with parameters.signature_name) and NAME.ENDPOINT."""
    import kserve
    from kserve.errors import InvalidInput
    from kserve.protocol.infer_type import InferOutput, InferRequest, InferResponse

    class ZooServedModel(kserve.Model):
        def __init__(self, name, signature=None):
            super().__init__(name)
            self.signature = signature
            self.ready = True

        def load(self):
            self.ready = True
            return True

        def get_input_types(self):
            return served.types(self.signature, "inputs")

        def get_output_types(self):
            return served.types(self.signature, "outputs")

        def predict(self, payload, headers=None, response_headers=None):
            try:
                if isinstance(payload, InferRequest):
                    return self.infer_v2(payload)
                return served.predict_v1(payload, self.signature)
            except InputError as exc:
                raise InvalidInput(str(exc)) from None

        def infer_v2(self, request):
            signature = (request.parameters or {}).get("signature_name", self.signature)
            if hasattr(signature, "string_param"):  # a gRPC InferParameter
                signature = signature.string_param
            endpoint = served.endpoint(signature)
            inputs = {}
            for item in request.inputs:
                try:
                    inputs[item.name] = item.as_numpy()
                except Exception as exc:  # the SDK's own errors for data that does not fit its shape/type
                    raise InputError(f"input '{item.name}': {str(exc).strip().splitlines()[0]}") from None
            outputs = served.run(endpoint, inputs)
            answer = []
            for key, value in outputs.items():
                value = np.ascontiguousarray(value)
                output = InferOutput(key, list(value.shape), V2_TYPES.get(str(value.dtype), "FP32"))
                output.set_data_from_numpy(value, binary_data=False)
                answer.append(output)
            return InferResponse(
                model_name=self.name, infer_outputs=answer, response_id=request.id or str(uuid.uuid4())
            )

    return [ZooServedModel(served.name)] + [ZooServedModel(f"{served.name}.{k}", k) for k in served.signatures]


def start(served, host="127.0.0.1", port=8501, log_requests=False, ready=None):
    """Run the KServe REST server (v1 + v2, health, metrics) for the ServedExports `served` on
    host:port until interrupted."""
    import logging

    from kserve import ModelServer
    from kserve.logging import logger
    from kserve.protocol.rest.server import RESTServer

    server = ModelServer(http_port=port, enable_grpc=False, enable_latency_logging=log_requests)
    level = logging.INFO if log_requests else logging.WARNING  # set after KServe configured its logging
    for name in (logger.name, "kserve.trace", "uvicorn.access", "uvicorn.error"):
        logging.getLogger(name).setLevel(level)
    warnings.filterwarnings("ignore", message="ORJSONResponse is deprecated")
    for one in served:
        for model in kserve_models(one):
            server.register_model(model)
    rest = RESTServer(
        "kserve.model_server:app",
        server.dataplane,
        server.model_repository_extension,
        port,
        grace_period=5,
    )
    rest.config.host = host  # KServe binds 0.0.0.0; the zoo serves loopback unless told otherwise
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse
    from kserve.model_server import app

    async def malformed(_, exc):  # FastAPI answers a body that is not a v2 request with 422 and a list
        first = (exc.errors() or [{}])[0]
        where = ".".join(str(part) for part in first.get("loc", ())[1:3])
        return JSONResponse(status_code=400, content={"error": f"malformed request: {where}: {first.get('msg', '')}"})

    app.add_exception_handler(RequestValidationError, malformed)
    if ready:
        ready()
    rest.run()


@contextlib.contextmanager
def running(*args, port=None, wait=180, cwd=None):
    """`python -m zoo.serve ARGS --port PORT` in a child process, yielded as (url, process) once
    /v2/health/ready answers; terminated on exit. ZooError if it exits or is not ready in `wait` s."""
    import os
    import socket
    import subprocess
    import time
    import urllib.request

    if port is None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "zoo.serve", *map(str, args), "--port", str(port)],
        cwd=cwd or Path(__file__).resolve().parents[1],
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + wait
        while True:
            if process.poll() is not None:
                raise ZooError(f"zoo.serve exited {process.returncode}: {process.stderr.read()[-2000:]}")
            try:
                with urllib.request.urlopen(url + "/v2/health/ready", timeout=2) as answer:
                    if json.loads(answer.read()).get("ready"):
                        break
            except OSError:
                pass
            if time.time() > deadline:
                raise ZooError(f"zoo.serve was not ready after {wait} s")
            time.sleep(0.5)
        yield url, process
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()


def load_test(url, body, requests=2000, clients=8, time_limit=120.0):
    """POST `body` (JSON) to `url` `requests` times from `clients` threads, each on its own keep-alive
    connection; stops by itself after `time_limit` seconds. Returns counts, requests/s and latency
    percentiles (ms); a request fails unless it is answered 200."""
    import http.client
    import threading
    import time
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    payload = json.dumps(body).encode()
    latencies, statuses, lock = [], {}, threading.Lock()
    issued = [0]
    deadline = time.perf_counter() + time_limit

    def client():
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=time_limit)
        try:
            while time.perf_counter() < deadline:
                with lock:
                    if issued[0] >= requests:
                        return
                    issued[0] += 1
                start = time.perf_counter()
                try:
                    connection.request("POST", parts.path, payload, {"Content-Type": "application/json"})
                    response = connection.getresponse()
                    response.read()
                    status = response.status
                except OSError as exc:
                    status = type(exc).__name__
                    connection.close()
                    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=time_limit)
                with lock:
                    latencies.append(time.perf_counter() - start)
                    statuses[status] = statuses.get(status, 0) + 1
        finally:
            connection.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(time_limit + 30)
    seconds = time.perf_counter() - began
    ms = np.asarray(latencies) * 1000
    return {
        "requests": len(latencies),
        "failed": len(latencies) - statuses.get(200, 0),
        "statuses": {str(k): v for k, v in statuses.items()},
        "clients": clients,
        "seconds": round(seconds, 2),
        "requests_per_s": round(len(latencies) / seconds, 1),
        "p50_ms": round(float(np.percentile(ms, 50)), 2) if len(ms) else None,
        "p99_ms": round(float(np.percentile(ms, 99)), 2) if len(ms) else None,
        "stopped_by_time_limit": len(latencies) < requests,
    }


def main(argv=None):
    from zoo import checks
    from zoo.errors import cli_parser

    p = cli_parser(prog="python -m zoo.serve", description=__doc__.split("\n\n")[1])
    p.add_argument("target", help="export folder, pretrained entry name or training output folder")
    p.add_argument(
        "--name",
        type=lambda text: [part.strip() for part in text.split(",") if part.strip()],
        default=None,
        help="which exports of the folder to serve, a comma list (default: all of them); for an entry or run, "
        "the model name to serve it under",
    )
    p.add_argument("--runtime", choices=("savedmodel", "onnx"), default="savedmodel", help="what runs the model")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0: every interface)")
    p.add_argument("--port", type=_port, default=8501, help="HTTP port (TF Serving's REST port is 8501)")
    p.add_argument("--max-batch", type=checks.positive_int, default=256, help="largest batch a request may send")
    p.add_argument("--threads", type=checks.positive_int, default=None, help="runtime threads (default: all cores)")
    p.add_argument(
        "--exports", default=None, help="where a NAME or run is exported first (default: a temporary folder)"
    )
    p.add_argument("--log-requests", action="store_true", help="log every request with its latency")
    args = p.parse_args(argv)
    target = Path(args.target)
    reports = export_reports(target) if target.is_dir() else {}
    if args.exports:
        checks.flag(p, checks.output_folder, args.exports, what="--exports")
    if reports and args.name:
        unknown = [n for n in args.name if n not in reports]
        if unknown:
            p.error(f"{target} has no export named {', '.join(unknown)}; it holds {', '.join(reports)}")
    if not reports and args.name and len(args.name) > 1:
        p.error(f"--name takes one name when serving an entry or run, got {', '.join(args.name)}")
    _check_port_free(p, args.host, args.port)
    sys.argv = sys.argv[:1]  # kserve parses the process's arguments when imported

    def say(text):
        print(f"... {text}", file=sys.stderr, flush=True)

    import tempfile

    with tempfile.TemporaryDirectory(prefix="zoo-serve-") as scratch:
        try:
            if reports:
                folder, names = target, args.name or list(reports)
            else:
                folder = Path(args.exports or scratch)
                names = [export_first(args.target, folder, args.runtime, args.name[0] if args.name else None)]
            served = [
                ServedExport(folder, name, args.runtime, threads=args.threads or 0, max_batch=args.max_batch)
                for name in names
            ]
        except ZooError as exc:
            print(f"error: {exc}", file=sys.stderr)
            sys.exit(2)
        url = f"http://{args.host}:{args.port}"

        def ready():
            for one in served:
                say(f"{one.name}: signatures {', '.join(one.signatures)} ({args.runtime})")
            say(
                f"serving at {url}: POST /v1/models/NAME:predict, /v2/models/NAME/infer; "
                f"GET /v2/health/ready, /metrics; Ctrl-C stops"
            )

        start(served, args.host, args.port, args.log_requests, ready=ready)


def export_first(target, folder, runtime, name=None):
    """Export an entry or run in this process, as `python -m export TARGET --format RUNTIME` does (its
    stage lines shown), into `folder`; the exported name. The serve command is the one place in zoo/
    that calls the exporter, and only when asked to serve what is not exported yet."""
    import export  # the serving command's own step, not the library's: zoo/ never imports export/ otherwise

    say = lambda text: print(f"... {text}", file=sys.stderr, flush=True)  # noqa: E731
    return export.export_entry(target, folder, (runtime,), name, progress=say).name


def _check_port_free(parser, host, port):
    import socket

    try:
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as exc:
        parser.error(f"cannot listen on {host}:{port}: {exc.strerror or exc}")


def _port(text):
    import argparse

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got '{text}'") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be in 1..65535, got {text}")
    return value


if __name__ == "__main__":
    main()
