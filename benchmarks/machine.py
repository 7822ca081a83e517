"""The machine a benchmark ran on, in one line (zoo.machine.cpu_flags): CPU model, the SIMD flags that
change speed, cores. Absolute speeds differ between the AVX-512 and AVX2 machines; every script records
this with its figures."""

from zoo.machine import cpu_flags  # noqa: F401
