"""Full training state in one file: model variables (weights and RNG states), every optimizer's
variables, the epoch, and the run's metadata. Written atomically (temp file, fsync, rename), so a
run killed at any moment leaves either the previous checkpoint or the new one, never half of one.

Format: a NumPy .npz (loaded with allow_pickle=False: no code runs from the file) with arrays
"model/00000"…, "<optimizer name>/00000"… and a JSON "__meta__" record.
"""

from __future__ import annotations

import json
import os
import zipfile

import numpy as np

from zoo.atomic import replacing
from zoo.errors import CheckpointError

FORMAT = "zoo-checkpoint-v1"


def _groups(model):
    groups = {"model": model.variables}
    for name, optimizer in model.optimizers.items():
        groups[name] = optimizer.variables
    return groups


def save(path, model, epoch, **meta):
    """Write the full state of `model` (and its optimizers) after `epoch` completed epochs."""
    arrays = {}
    for group, variables in _groups(model).items():
        for i, variable in enumerate(variables):
            arrays[f"{group}/{i:05d}"] = np.asarray(variable)
    record = {
        "format": FORMAT,
        "epoch": int(epoch),
        "architecture": model.architecture,
        "class": type(model).__name__,
        "config": model.get_config(),
        **meta,
    }
    arrays["__meta__"] = np.frombuffer(json.dumps(record).encode(), np.uint8)
    with replacing(path) as tmp, open(tmp, "wb") as f:
        np.savez(f, **arrays)
        f.flush()
        os.fsync(f.fileno())


def read_meta(path):
    """The JSON record of a checkpoint, without touching any model (nor reading its arrays)."""
    return _open(path, arrays=False)[1]


def _open(path, arrays=True):
    if not os.path.isfile(path):
        raise CheckpointError(f"no checkpoint at {path}")
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(bytes(data["__meta__"]).decode())
            arrays = {key: data[key] for key in data.files if key != "__meta__"} if arrays else {}
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError, json.JSONDecodeError) as exc:
        raise CheckpointError(
            f"checkpoint {path} is corrupted or not a zoo checkpoint ({type(exc).__name__})"
        ) from None
    if meta.get("format") != FORMAT:
        raise CheckpointError(f"checkpoint {path} has format {meta.get('format')!r}, expected {FORMAT}")
    return arrays, meta


def restore(path, model):
    """Load a checkpoint written by `save` into `model` (built and compiled); returns its metadata."""
    arrays, meta = _open(path)
    if meta["class"] != type(model).__name__:
        raise CheckpointError(f"checkpoint {path} holds a {meta['class']}, not a {type(model).__name__}")
    mine, stored = model.get_config(), meta["config"]
    differ = sorted(k for k in set(mine) | set(stored) if k != "name" and mine.get(k) != stored.get(k))
    if differ:
        raise CheckpointError(
            f"checkpoint {path} is for another config: "
            + ", ".join(f"{k}={stored.get(k)!r} (model has {mine.get(k)!r})" for k in differ)
        )
    plan = []
    for group, variables in _groups(model).items():
        stored = sorted(k for k in arrays if k.startswith(group + "/"))
        if len(stored) != len(variables):
            raise CheckpointError(
                f"checkpoint {path}: '{group}' has {len(stored)} variables, the model {len(variables)}"
            )
        for key, variable in zip(stored, variables):
            if tuple(arrays[key].shape) != tuple(variable.shape):
                raise CheckpointError(
                    f"checkpoint {path}: variable {variable.path} has shape {tuple(variable.shape)}, stored "
                    f"{arrays[key].shape}"
                )
            plan.append((variable, arrays[key]))
    for variable, value in plan:  # assign only once everything matched: no half-restored model
        variable.assign(value)
    return meta
