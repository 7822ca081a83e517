"""The server's front: request limits, a bounded queue, and worker processes that run the models.

The front process (KServe's FastAPI app under uvicorn) answers health, metadata and metrics; it
never parses a request body or runs a model. A data request — POST /v1/models/NAME:predict or
/v2/models/NAME/infer — is
  1. admitted only while fewer than --max-queue data requests are in flight (else 503, Retry-After);
  2. read up to --max-body-mb (413 past it; a Content-Length over the cap is refused before reading);
  3. handed, as bytes, to a worker process, which parses, checks (--max-batch, --max-length, the
     endpoint's declared inputs), runs and encodes it.
JSON parsing and inference hold the CPU (and Python's GIL) for as long as a request is large; in a
worker they cannot delay /v2/health/* in the front. A worker that dies (out of memory, say) is
replaced; the requests it held get 503.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
import threading
import time

V1 = re.compile(r"^/v1/models/([^/:]+):(\w+)$")
V2 = re.compile(r"^/v2/models/([^/]+)(?:/versions/[^/]+)?/infer$")
_SERVED = {}  # in a worker process: {model name: (ServedExport, signature or None)}
_TRIM_ABOVE = 1 << 20  # bytes of request after which a worker hands freed memory back to the system


def _start_worker(factory, specs, runtime, threads, max_batch, max_length):
    """Worker initializer: load every export's runtime once (`factory` is zoo.serving.serve's
    ServedExport, passed in so that this module never imports the command's)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the process group: the front stops us
    threading.Thread(target=_exit_with, args=(os.getppid(),), daemon=True).start()
    for folder, name in specs:
        served = factory(folder, name, runtime, threads, max_batch, max_length)
        _SERVED[name] = (served, None)
        for key in served.signatures:
            _SERVED[f"{name}.{key}"] = (served, key)


def _exit_with(parent):
    """A worker outlives no front: killed with SIGKILL, the front cannot stop it, so it stops itself."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


def _ready(hold=0.0):
    time.sleep(hold)  # keeps this worker busy so that the pool starts the next one
    return sorted(_SERVED)


def _handle(protocol, model, body, headers):
    """One request in a worker → (status, content type, extra headers, body bytes)."""
    import orjson

    from zoo.errors import InputError

    served, signature = _SERVED[model]
    try:
        if protocol == "v1":
            return 200, "application/json", {}, orjson.dumps(served.predict_v1(body, signature))
        answer, length = served.infer_v2(body, headers, model, signature)
        if length is None:
            return 200, "application/json", {}, orjson.dumps(answer)
        return 200, "application/octet-stream", {"inference-header-content-length": str(length)}, answer
    except InputError as exc:
        return 400, "application/json", {}, orjson.dumps({"error": str(exc)})
    except Exception as exc:  # a runtime failure: one line to the client, the traceback in the worker's log
        import traceback

        traceback.print_exc()
        return 500, "application/json", {}, orjson.dumps({"error": f"{type(exc).__name__}: {exc}".splitlines()[0]})
    finally:
        if len(body) > _TRIM_ABOVE:
            _trim()


def _trim():
    """Return the memory a large request used to the system (glibc keeps freed arenas otherwise)."""
    import ctypes
    import gc

    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


class Workers:
    """The worker processes, the limits and the count of requests in flight."""

    def __init__(
        self, factory, served, runtime, threads, max_batch, max_length, workers=1, max_queue=16, max_body_mb=32
    ):
        self.factory = factory
        self.specs = [(str(one.folder), one.name) for one in served]
        self.models = {one.name for one in served} | {f"{one.name}.{k}" for one in served for k in one.signatures}
        self.settings = (runtime, threads, max_batch, max_length)
        self.workers, self.max_queue, self.max_body = workers, max_queue, int(max_body_mb * 2**20)
        self.max_body_mb = max_body_mb
        self.in_flight = 0
        self.pool = None

    def start(self):
        """Start the workers and wait until each has loaded its models (ZooError if one cannot)."""
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor
        from concurrent.futures.process import BrokenProcessPool

        from zoo.errors import ZooError

        self.pool = ProcessPoolExecutor(
            self.workers,
            mp_context=multiprocessing.get_context("spawn"),  # a clean process: no state copied from the front
            initializer=_start_worker,
            initargs=(self.factory, self.specs, *self.settings),
        )
        try:
            for future in [self.pool.submit(_ready, 0.5 if self.workers > 1 else 0) for _ in range(self.workers)]:
                future.result()
        except BrokenProcessPool:
            raise ZooError("a model worker could not start (its error is above)") from None

    def stop(self):
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)

    async def run(self, protocol, model, body, headers):
        from concurrent.futures.process import BrokenProcessPool

        try:
            return await asyncio.wrap_future(self.pool.submit(_handle, protocol, model, body, headers))
        except BrokenProcessPool:
            _log("error", "a model worker stopped (out of memory?); starting new workers")
            broken, self.pool = self.pool, None
            broken.shutdown(wait=False, cancel_futures=True)
            await asyncio.get_running_loop().run_in_executor(None, self.start)
            return 503, "application/json", {"retry-after": "1"}, _error("the model worker stopped; retry")


class Front:
    """ASGI middleware in front of KServe's app: takes the data routes of the served models."""

    def __init__(self, app, workers):
        self.app, self.workers = app, workers

    async def __call__(self, scope, receive, send):
        route = self._route(scope) if scope["type"] == "http" else None
        if route is None:
            return await self.app(scope, receive, send)
        protocol, model = route
        workers = self.workers
        if scope["method"] != "POST":
            return await _send(send, 405, _error(f"{scope['path']} takes POST"), headers={"allow": "POST"})
        if workers.in_flight >= workers.max_queue:
            await _send(
                send, 503, _error(f"busy: {workers.in_flight} requests in flight (--max-queue)"), {"retry-after": "1"}
            )
            return _log("warning", f"503 POST {scope['path']}: queue full ({workers.max_queue})")
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > workers.max_body:
            await _drain(receive)  # read first: once answered, uvicorn stops reading and the client sees a reset
            return await self._too_large(send, scope, int(declared))
        workers.in_flight += 1
        try:
            body = await _read(receive, workers.max_body)
            if body is None:
                await _drain(receive)
                return await self._too_large(send, scope, None)
            started = time.perf_counter()
            status, kind, extra, payload = await workers.run(protocol, model, body, headers)
            _observe(model, time.perf_counter() - started)
        finally:
            workers.in_flight -= 1
        if status >= 400:
            _log("warning" if status < 500 else "error", f"{status} POST {scope['path']}: {_message(payload)}")
        await _send(send, status, payload, extra, kind)

    def _route(self, scope):
        path = scope["path"]
        match = V1.match(path)
        if match and match.group(2) == "predict" and match.group(1) in self.workers.models:
            return "v1", match.group(1)
        match = V2.match(path)
        if match and match.group(1) in self.workers.models:
            return "v2", match.group(1)
        return None

    async def _too_large(self, send, scope, size):
        limit = self.workers.max_body_mb
        said = f"{size / 2**20:.1f} MiB" if size is not None else "more"
        await _send(
            send, 413, _error(f"request body of {said} is over this server's limit of {limit:g} MiB (--max-body-mb)")
        )
        _log("warning", f"413 POST {scope['path']}: body over {limit:g} MiB")


async def _read(receive, limit):
    """The request body, or None as soon as it passes `limit` bytes."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"".join(chunks)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _drain(receive, limit=1 << 30):
    """Read and drop the rest of a refused body (up to 1 GiB; memory stays flat), so that the client,
    still sending, reads the answer instead of a reset connection."""
    size = 0
    while size < limit:
        message = await receive()
        size += len(message.get("body", b""))
        if message["type"] == "http.disconnect" or not message.get("more_body", False):
            return


async def _send(send, status, body, headers=None, kind="application/json"):
    fields = [(b"content-type", kind.encode()), (b"content-length", str(len(body)).encode())]
    fields += [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": fields})
    await send({"type": "http.response.body", "body": body})


def _error(text):
    return json.dumps({"error": text}).encode()


def _message(payload):
    try:
        return json.loads(payload).get("error", "")
    except (ValueError, AttributeError):
        return ""


def _observe(model, seconds):
    from kserve.metrics import PREDICT_HIST_TIME

    PREDICT_HIST_TIME.labels(model_name=model).observe(seconds)


def _log(level, text):
    from kserve.logging import logger

    getattr(logger, level)(text)


def kserve_models(served):
    """KServe models for metadata and readiness: NAME (every signature; v2 picks with
    parameters.signature_name) and NAME.ENDPOINT. Their requests never reach KServe's handlers: the
    front (zoo.serving.front) reads them and a worker process runs them."""
    import kserve

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

    return [ZooServedModel(served.name)] + [ZooServedModel(f"{served.name}.{k}", k) for k in served.signatures]


def start(served, workers, host="127.0.0.1", port=8501, log_requests=False, ready=None):
    """Serve the ServedExports `served` (metadata only in this process) with the started `workers`
    on host:port until interrupted (Ctrl-C, SIGTERM): KServe's REST server (v1 + v2, health,
    metrics) behind the Front."""
    import logging
    import warnings

    from kserve import ModelServer
    from kserve.logging import logger
    from kserve.protocol.rest.server import RESTServer

    server = ModelServer(http_port=port, enable_grpc=False, enable_latency_logging=log_requests)
    for name in ("kserve.trace", "uvicorn.access", "uvicorn.error"):
        logging.getLogger(name).setLevel(logging.INFO if log_requests else logging.WARNING)
    logger.setLevel(logging.INFO if log_requests else logging.WARNING)  # client errors: one WARNING line each
    warnings.filterwarnings("ignore", message="ORJSONResponse is deprecated")
    for one in served:
        for model in kserve_models(one):
            server.register_model(model)
    rest = RESTServer(
        "kserve.model_server:app", server.dataplane, server.model_repository_extension, port, grace_period=5
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
    app.add_middleware(Front, workers=workers)
    if ready:
        ready()
    import signal

    def stopping(signum, frame):  # uvicorn shuts down gracefully, then raises the signal again: stop here
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stopping)
    try:
        rest.run()
    except KeyboardInterrupt:
        pass
    finally:
        workers.stop()
    print("... stopped", file=sys.stderr, flush=True)
