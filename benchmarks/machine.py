"""The machine a benchmark ran on, in one line: CPU model, the SIMD flags that change speed, cores.
Absolute speeds differ between the AVX-512 and AVX2 machines; every script records this with its figures."""

import os
import platform
from pathlib import Path


def cpu_flags():
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor()
    flags = next((line.split(":", 1)[1].split() for line in text.splitlines() if line.startswith("flags")), [])
    model = next((line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("model name")), "")
    simd = [f for f in ("avx512f", "avx512_vnni", "avx2", "fma") if f in flags]
    return f"{model} ({', '.join(simd)}; {os.cpu_count()} cores)"
