"""The machine in one line: CPU model, the SIMD flags that change which kernels run, cores. Speeds
differ between AVX-512 and AVX2-only CPUs; benchmarks print this with their figures and the
trainer's `--jit auto` keys its cached measurement on it. No TensorFlow here."""

import os
import platform
from pathlib import Path

SIMD = ("avx512f", "avx512_bf16", "avx512_vnni", "amx_tile", "avx2", "fma")


def cpu_flags():
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return f"{platform.processor() or platform.machine()} ({os.cpu_count()} cores)"
    flags = next((line.split(":", 1)[1].split() for line in text.splitlines() if line.startswith("flags")), [])
    model = next((line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("model name")), "")
    simd = [f for f in SIMD if f in flags]
    return f"{model} ({', '.join(simd) or 'no AVX2'}; {os.cpu_count()} cores)"
