"""A run folder (`--out`): checked and locked before any work, written whole or not at all.

checkpoint.npz          full state after the last completed epoch (what --resume reads)
samples/epoch_NNN.png   fixed-seed sample grid per epoch
tensorboard/            scalars (losses per epoch) and the sample images
log.csv                 one row per epoch
model.weights.h5        final weights;   card.json   how they were made
export/                 SavedModel (TF Serving layout), ONNX, LiteRT, parity report
"""

from __future__ import annotations

import shlex
from pathlib import Path

from train.flags import UsageError
from zoo import checkpoint
from zoo.atomic import save_weights, write_json  # noqa: F401  (the run folder's writers)

_LOCKS = []  # open lock files of the runs this process is writing (held until it exits)


def prepare_out(out, resume):
    """Check the output folder before any work: writable, not being written by another process
    (an exclusive lock on OUT/.lock, held until this process ends), and never clobbering a run."""
    import fcntl

    out = Path(out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} is a file, not a folder")
    if resume:
        resumable(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        lock = open(out / ".lock", "a+")
    except OSError as exc:
        raise UsageError(f"cannot write to --out {out}: {exc.strerror or exc}") from None
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        lock.close()
        raise UsageError(f"another training process is writing to {out}; wait for it or choose another --out") from None
    _LOCKS.append(lock)
    if not resume:
        existing = [f for f in ("checkpoint.npz", "card.json", "model.weights.h5") if (out / f).exists()]
        if existing:
            raise UsageError(
                f"{out} already holds a run ({', '.join(existing)}); pass --resume to continue it, or choose "
                f"another --out"
            )
    return out


def resumable(out):
    """The checkpoint `--resume` continues from in `out`; UsageError where there is none."""
    ckpt = Path(out) / "checkpoint.npz"
    if not ckpt.is_file():
        raise UsageError(f"--resume: no checkpoint in {out} (nothing to resume)")
    return ckpt


def command_line(model, argv):
    return " ".join(["python", "-m", f"train.{model}", *map(shlex.quote, argv)])


def check_resume_early(args, rules):
    """--resume's refusals that need only the flags and the checkpoint's record, before TensorFlow
    loads (the run checks again, under the run folder's lock)."""
    from train.flags import check_resume

    if args.resume:
        record = checkpoint.read_meta(resumable(args.out))
        check_resume(record.get("args", {}), args, Path(args.out), rules.may_change, record.get("dataset"))


def code_revision():
    """The git commit the code was run from (+ "-dirty" with uncommitted changes), if known."""
    import subprocess

    here = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=here,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if head.returncode != 0:
        return None
    return head.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def tf_version():
    import tensorflow as tf

    return tf.__version__
