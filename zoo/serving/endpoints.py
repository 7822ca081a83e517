"""Endpoints: the deployable functions a model declares, with named, typed inputs.

A model's `endpoints()` returns `{name: Endpoint}`. The exporter turns each endpoint into a
SavedModel signature, an ONNX graph and a LiteRT signature, and checks them against `fn`. Randomness
never lives inside `fn`: latents and noise are inputs, so every runtime computes the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np

from zoo import checks
from zoo.errors import InputError


@dataclass(frozen=True)
class Input:
    """One named input: shape with None for free dimensions (the first is the batch), a dtype,
    and how to draw a realistic example (for parity checks and warm-up requests)."""

    shape: tuple
    dtype: str = "float32"
    example: Optional[Callable] = None  # (np.random.Generator, shape) -> array
    low: Optional[float] = None  # inclusive bounds checked on every call, if given
    high: Optional[float] = None
    min_length: Optional[int] = None  # least size of axis 1 (e.g. a forecaster's history), if free
    at_most_axis: Optional[tuple] = None  # (input, axis): values at most that input's size there (lengths <= T)

    def describe(self):
        """What an export report records of this input: a server rebuilds the checks from it."""
        at_most = list(self.at_most_axis) if self.at_most_axis else None
        limits = {"low": self.low, "high": self.high, "min_length": self.min_length, "at_most_axis": at_most}
        return {"shape": list(self.shape), "dtype": self.dtype, **{k: v for k, v in limits.items() if v is not None}}

    @classmethod
    def described(cls, record):
        """The input an export report describes (`describe`); old reports held [shape, dtype]."""
        if isinstance(record, list):
            record = {"shape": record[0], "dtype": record[1]}
        keys = ("low", "high", "min_length")
        limits = {k: record[k] for k in keys if k in record}
        if record.get("at_most_axis"):
            limits["at_most_axis"] = tuple(record["at_most_axis"])
        return cls(tuple(record["shape"]), record["dtype"], **limits)

    def draw(self, rng, batch):
        shape = (batch,) + tuple(8 if d is None else d for d in self.shape[1:])
        if self.example is not None:
            return np.asarray(self.example(rng, shape), dtype=self.dtype)
        if np.issubdtype(np.dtype(self.dtype), np.integer):
            return rng.integers(self.low or 0, (self.high or 1) + 1, size=shape).astype(self.dtype)
        return rng.standard_normal(shape).astype(self.dtype)


def unit_interval(rng, shape):
    """Example draw for image inputs in [0, 1]."""
    return rng.random(shape, dtype=np.float32)


@dataclass(frozen=True)
class Endpoint:
    """A named, deployable function: `fn(**inputs) -> {output_name: tensor}`."""

    name: str
    fn: Callable
    inputs: dict
    doc: str = ""
    outputs: tuple = field(default=())  # output names, for documentation and checks
    meta: dict = field(default_factory=dict)  # what a client needs besides tensors (e.g. a vocabulary), JSON

    def tensor_specs(self):
        import tensorflow as tf

        return [tf.TensorSpec(spec.shape, spec.dtype, name=key) for key, spec in self.inputs.items()]

    def compiled(self):
        """`fn` as a tf.function over the declared input signature (positional, as TF requires): one
        trace serves every batch size and free length. The exporter's signature and the NumPy API's
        compiled call are this function."""
        import tensorflow as tf

        keys, fn = list(self.inputs), self.fn

        def call(*args):
            return fn(**dict(zip(keys, args)))

        return tf.function(call, input_signature=self.tensor_specs(), autograph=False)

    def example_inputs(self, batch=4, seed=0):
        rng = np.random.default_rng(seed)
        return {key: spec.draw(rng, batch) for key, spec in self.inputs.items()}

    def validate(self, inputs):
        """Check names, dtypes, shapes and values; return the inputs as arrays of the declared dtype."""
        unknown = set(inputs) - set(self.inputs)
        missing = set(self.inputs) - set(inputs)
        if unknown or missing:
            raise InputError(
                f"endpoint '{self.name}' takes inputs {sorted(self.inputs)}; "
                f"got {sorted(inputs)}" + (f" (missing {sorted(missing)})" if missing else "")
            )
        out = {}
        for key, spec in self.inputs.items():
            where = f"endpoint '{self.name}' input '{key}'"
            value = checks.array(inputs[key], where)
            want_int = np.issubdtype(np.dtype(spec.dtype), np.integer)
            if want_int and not np.issubdtype(value.dtype, np.integer):
                raise InputError(f"{where} must be integer ({spec.dtype}), got {value.dtype}")
            if not want_int and not (np.issubdtype(value.dtype, np.floating) or np.issubdtype(value.dtype, np.integer)):
                raise InputError(f"{where} must be numeric ({spec.dtype}), got {value.dtype}")
            if value.ndim != len(spec.shape) or any(
                want is not None and got != want for got, want in zip(value.shape, spec.shape)
            ):
                pretty = _pretty(spec.shape)
                raise InputError(f"{where} must have shape {pretty}, got {list(value.shape)}")
            if value.shape[0] == 0:
                raise InputError(f"{where} is an empty batch")
            if spec.min_length is not None and value.shape[1] < spec.min_length:
                raise InputError(f"{where} has length {value.shape[1]} on axis 1; at least {spec.min_length} needed")
            if want_int and np.issubdtype(value.dtype, np.integer):
                info = np.iinfo(spec.dtype)
                if value.min() < info.min or value.max() > info.max:
                    raise InputError(f"{where} holds values outside {spec.dtype}'s range")
            with np.errstate(over="ignore", invalid="ignore"):
                cast = value.astype(spec.dtype)  # checked after the cast: float64 1e40 is inf in float32
            if not want_int and not np.all(np.isfinite(cast)):
                raise InputError(f"{where} contains NaN or infinite values (in {spec.dtype})")
            if spec.low is not None and cast.min() < spec.low or spec.high is not None and cast.max() > spec.high:
                hint = (
                    " (8-bit images: divide by 255)"
                    if spec.high == 1.0 and np.issubdtype(value.dtype, np.integer) and cast.max() <= 255
                    else ""
                )
                raise InputError(
                    f"{where} must lie in [{spec.low}, {spec.high}], got [{cast.min()}, {cast.max()}]{hint}"
                )
            out[key] = cast
        sizes = {key: len(value) for key, value in out.items()}
        if len(set(sizes.values())) > 1:
            raise InputError(f"endpoint '{self.name}' inputs must share one batch size, got {sizes}")
        for key, spec in self.inputs.items():
            if spec.at_most_axis and out[key].size:
                other, axis = spec.at_most_axis
                bound = out[other].shape[axis]
                if out[key].max() > bound:
                    raise InputError(
                        f"endpoint '{self.name}' input '{key}' must lie in [{spec.low}, {bound}] (the size of "
                        f"'{other}' on axis {axis}), got {out[key].max()}"
                    )
        return out

    def batched(self, batch_size=500, **inputs):
        """`__call__` run `batch_size` examples at a time: memory bounded and time linear in N."""
        valid = self.validate(inputs)
        n = len(next(iter(valid.values())))
        parts = [self.fn(**{k: v[i : i + batch_size] for k, v in valid.items()}) for i in range(0, n, batch_size)]
        return self._finite({k: np.concatenate([np.asarray(part[k]) for part in parts]) for k in parts[0]})

    def __call__(self, **inputs):
        """Validate, run eagerly, return `{output_name: np.ndarray}`."""
        result = self.fn(**self.validate(inputs))
        return self._finite({k: np.asarray(v) for k, v in result.items()})

    def _finite(self, outputs):
        """Finite, in-range inputs whose result overflows float32 are refused rather than answered with NaN."""
        for key, value in outputs.items():
            if np.issubdtype(value.dtype, np.floating) and not np.all(np.isfinite(value)):
                raise InputError(
                    f"endpoint '{self.name}' output '{key}' overflows float32 for these inputs (values too large?)"
                )
        return outputs


def _pretty(shape):
    """A declared shape in words: N for the batch, T for a free length (T1, T2 ... if several)."""
    free = [i for i, d in enumerate(shape) if d is None and i > 0]
    names = {i: "T" if len(free) == 1 else f"T{k + 1}" for k, i in enumerate(free)}
    return "[" + ", ".join("N" if i == 0 and d is None else names.get(i, str(d)) for i, d in enumerate(shape)) + "]"
