"""Driving a running `python -m zoo.serve` from outside, as a client would: start it on a free
loopback port (`running`), load it from several keep-alive connections (`load_test`), probe its
health while that runs (`probe_health`) and read its memory (`rss_mb`). Loopback only, bounded in
count and time; every helper stops by itself."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path

import numpy as np

from zoo.errors import ZooError


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
        cwd=cwd or Path(__file__).resolve().parents[2],
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


def probe_health(url, stop, interval=0.05, time_limit=300.0):
    """GET /v2/health/live every `interval` s until the `stop` event is set (or `time_limit`);
    returns the latencies in ms (a probe that fails or takes over 5 s counts as 5,000 ms)."""
    import time
    import urllib.request

    latencies, deadline = [], time.perf_counter() + time_limit
    while not stop.is_set() and time.perf_counter() < deadline:
        start = time.perf_counter()
        try:
            with urllib.request.urlopen(url + "/v2/health/live", timeout=5) as answer:
                answer.read()
            latencies.append((time.perf_counter() - start) * 1000)
        except OSError:
            latencies.append(5000.0)
        stop.wait(interval)
    return latencies


def rss_mb(pid):
    """Resident memory (MiB) of process `pid` and all its descendants (Linux /proc)."""
    total, todo, seen = 0, [int(pid)], set()
    while todo:
        one = todo.pop()
        if one in seen:
            continue
        seen.add(one)
        try:
            for line in Path(f"/proc/{one}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
            for task in Path(f"/proc/{one}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return total / 1024
