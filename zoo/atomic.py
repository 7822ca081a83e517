"""Write-then-rename: what the zoo writes (checkpoints, weights, cards, images, exports) appears whole
or not at all, so a crash, Ctrl-C or a full disk never leaves half a file where a reader looks."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from pathlib import Path


@contextlib.contextmanager
def replacing(path, suffix=""):
    """A temporary path beside `path` (ending in `suffix`, for writers that check the name, e.g.
    Keras' ".weights.h5"); when the block ends without an error it replaces `path` in one rename,
    otherwise it is removed and `path` is left as it was."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}{suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        elif tmp.exists():
            tmp.unlink()


def cache_dir():
    """Where the zoo keeps what it can measure or derive again (floors, --jit timings, encoded text):
    `$ZOO_CACHE_DIR`, default ~/.cache/keras-zoo. Deleting it loses nothing but time."""
    return Path(os.environ.get("ZOO_CACHE_DIR") or Path.home() / ".cache" / "keras-zoo")


def write_text(path, text):
    with replacing(path) as tmp:
        tmp.write_text(text)


def write_json(path, record):
    write_text(path, json.dumps(record, indent=2) + "\n")


def save_weights(model, path):
    """`model.save_weights(path)`, whole or not at all."""
    with replacing(path, ".weights.h5") as tmp:
        model.save_weights(str(tmp))
