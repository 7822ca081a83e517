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

import json
import sys
import uuid
from pathlib import Path

import numpy as np

from zoo.errors import InputError, ZooError
from zoo.serving.endpoints import Endpoint, Input
from zoo.serving.front import Workers, start
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

    def __init__(self, folder, name=None, runtime="savedmodel", threads=0, max_batch=256, max_length=4096, load=True):
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
        self.folder, self.name, self.runtime = folder, name, runtime
        self.max_batch, self.max_length = max_batch, max_length
        try:
            self.report = ExportReport.read(reports[name])
        except ReportError as exc:
            raise ZooError(str(exc)) from None
        self.signatures = list(self.report.endpoints)
        self.output_specs = {k: self.report.outputs(k) for k in self.signatures}  # {endpoint: {output: spec}}
        self._check_runtime(runtime)
        run = self._runner(runtime, threads) if load else (lambda key: None)  # load=False: metadata only
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

    def _check_runtime(self, runtime):
        if runtime not in ("savedmodel", "onnx"):
            raise ZooError(f"unknown runtime '{runtime}'; choose savedmodel or onnx")
        if runtime == "savedmodel" and self.report.savedmodel is None:
            raise ZooError(f"export '{self.name}' has no SavedModel; export it with --format savedmodel")
        if runtime == "onnx" and "onnx" not in self.report:
            raise ZooError(f"export '{self.name}' has no ONNX files; export it with --format onnx")

    def _runner(self, runtime, threads):
        if runtime == "savedmodel":
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
        if isinstance(body, (bytes, str)):  # the raw request, as the front hands it over (any Content-Type)
            import orjson  # strict JSON (no NaN), and fast

            try:
                body = orjson.loads(body)
            except orjson.JSONDecodeError as exc:
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
        for key, value in inputs.items():
            self.check_extent(endpoint, key, _extent(value))
        outputs = self.run(endpoint, {k: _array(v, f"input '{k}'") for k, v in inputs.items()})
        if "instances" in body:
            n = len(next(iter(outputs.values())))
            if len(outputs) == 1:
                return {"predictions": next(iter(outputs.values())).tolist()}
            return {"predictions": [{k: v[i].tolist() for k, v in outputs.items()} for i in range(n)]}
        if len(outputs) == 1:
            return {"outputs": next(iter(outputs.values())).tolist()}
        return {"outputs": {k: v.tolist() for k, v in outputs.items()}}

    def check_extent(self, endpoint, key, shape):
        """A batch over --max-batch, or an input longer than --max-length on a free axis (a forecaster's
        history, say), is refused before its numbers are converted; the declared shape fixes the rest."""
        spec = endpoint.inputs.get(key)
        if shape and shape[0] > self.max_batch:
            raise InputError(f"batch of {shape[0]} is over this server's limit of {self.max_batch} (--max-batch)")
        for axis, (want, got) in enumerate(zip(spec.shape if spec else (), shape)):
            if axis and want is None and got > self.max_length:
                hint = "; send the most recent values" if spec.min_length else ""
                raise InputError(
                    f"input '{key}' has length {got} on axis {axis}; this server takes at most "
                    f"{self.max_length} (--max-length){hint}"
                )

    def infer_v2(self, body, headers, model, signature=None):
        """The Open Inference Protocol (v2) over REST: `body` is the raw request (JSON, or JSON plus
        binary tensors when the inference-header-content-length header is given, as tritonclient
        sends them; any Content-Type). Returns (JSON dict or bytes, JSON length or None)."""
        from kserve.errors import InvalidInput
        from kserve.protocol.infer_type import InferOutput, InferRequest, InferResponse
        from kserve.protocol.rest.v2_datamodels import InferenceRequest

        try:
            length = headers.get("inference-header-content-length")
            if length is not None:
                request = InferRequest.from_bytes(body, int(length), model)
            else:
                request = InferRequest.from_inference_request(InferenceRequest.model_validate_json(body), model)
        except InvalidInput as exc:
            raise InputError(str(exc).strip().splitlines()[0]) from None
        except ValueError as exc:  # pydantic's ValidationError and a bad header value
            first = getattr(exc, "errors", lambda: [])()
            where = ".".join(str(part) for part in (first[0].get("loc", ()) if first else ()))
            detail = first[0].get("msg", "") if first else str(exc).splitlines()[0]
            raise InputError(f"malformed request: {where + ': ' if where else ''}{detail}") from None
        parameters = request.parameters or {}
        signature = parameters.get("signature_name", signature)
        if hasattr(signature, "string_param"):  # a gRPC InferParameter
            signature = signature.string_param
        endpoint = self.endpoint(signature)
        wanted = [o.name for o in request.request_outputs or ()]
        unknown = [n for n in wanted if n not in self.output_specs[endpoint.name]]
        if unknown:
            raise InputError(
                f"unknown output(s) {unknown}; endpoint '{endpoint.name}' returns "
                f"{list(self.output_specs[endpoint.name])}"
            )
        inputs = {}
        for item in request.inputs:
            self.check_extent(endpoint, item.name, item.shape)
            try:
                inputs[item.name] = item.as_numpy()
            except Exception as exc:  # the SDK's own errors for data that does not fit its shape/type
                raise InputError(f"input '{item.name}': {str(exc).strip().splitlines()[0]}") from None
        outputs = self.run(endpoint, inputs)
        answer = []
        for key, value in outputs.items():
            if wanted and key not in wanted:
                continue
            value = np.ascontiguousarray(value)
            output = InferOutput(key, list(value.shape), V2_TYPES.get(str(value.dtype), "FP32"))
            output.set_data_from_numpy(value, binary_data=False)
            answer.append(output)
        response = InferResponse(
            response_id=request.id or str(uuid.uuid4()),
            model_name=model,
            infer_outputs=answer,
            use_binary_outputs=request.use_binary_outputs,
            requested_outputs=request.request_outputs,
        )
        return response.to_rest()

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


def _extent(value):
    """The shape a JSON value would have, read from its list lengths without converting a number:
    axis 0 and 1 from every row (the longest), deeper axes from the first element."""
    if not isinstance(value, list):
        return ()
    shape = [len(value)]
    rows = [row for row in value if isinstance(row, list)]
    if rows:
        shape.append(max(len(row) for row in rows))
        first = rows[0]
        while first and isinstance(first[0], list):
            first = first[0]
            shape.append(len(first))
    return tuple(shape)


def _array(value, what):
    """A JSON value as a numeric array; nested lists of unequal length and non-numbers are refused."""
    try:
        array = np.asarray(value)
    except ValueError:
        raise InputError(f"{what} is ragged: its nested lists differ in length") from None
    if array.dtype == object or array.dtype.kind in "USV":
        raise InputError(f"{what} must be numbers, got {array.dtype.kind == 'O' and 'mixed or ragged lists' or 'text'}")
    return array


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
    p.add_argument(
        "--max-length",
        type=checks.positive_int,
        default=4096,
        help="longest free axis an input may have (a forecaster's history, in steps); longer: 400",
    )
    p.add_argument(
        "--max-body-mb",
        type=checks.positive_float,
        default=32.0,
        help="largest request body in MiB; larger: 413, refused before it is read",
    )
    p.add_argument(
        "--max-queue",
        type=checks.positive_int,
        default=16,
        help="data requests in flight (queued or running) at most; more: 503 with Retry-After",
    )
    p.add_argument(
        "--workers", type=checks.positive_int, default=1, help="worker processes that run the models (default: 1)"
    )
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
            served = [ServedExport(folder, name, args.runtime, load=False) for name in names]  # metadata
            workers = Workers(
                ServedExport,
                served,
                args.runtime,
                args.threads or 0,
                args.max_batch,
                args.max_length,
                workers=args.workers,
                max_queue=args.max_queue,
                max_body_mb=args.max_body_mb,
            )
            workers.start()  # each worker loads the runtime; the front never does
        except ZooError as exc:
            print(f"error: {exc}", file=sys.stderr)
            sys.exit(2)
        url = f"http://{args.host}:{args.port}"

        def ready():
            for one in served:
                say(f"{one.name}: signatures {', '.join(one.signatures)} ({args.runtime})")
            say(
                f"limits: body {args.max_body_mb:g} MiB (413), batch {args.max_batch} and length {args.max_length} "
                f"(400), {args.max_queue} requests in flight (503); {args.workers} worker process(es)"
            )
            say(
                f"serving at {url}: POST /v1/models/NAME:predict, /v2/models/NAME/infer; "
                f"GET /v2/health/ready, /metrics; Ctrl-C stops"
            )

        start(served, workers, args.host, args.port, args.log_requests, ready=ready)


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
