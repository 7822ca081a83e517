"""Importing this module loads TensorFlow quietly, once: every zoo module that needs TensorFlow at
import time imports it first, so that `import zoo` and the command lines' --help and argument
checks stay free of TensorFlow's ~9 s start-up.

TensorFlow's C++ runtime prints absl/CUDA-probe lines to fd 2 while it loads, before any log level
applies; on a CPU host they are noise in front of every CLI message. It is loaded with fd 2 pointed
at /dev/null (a failed import still raises, with its message, after restoring)."""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # hide C++ INFO/WARNING/cuInit noise on CPU hosts

if "tensorflow" not in sys.modules:
    _saved, _null = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(_null, 2)
        import tensorflow  # noqa: F401
    finally:
        os.dup2(_saved, 2)
        os.close(_saved)
        os.close(_null)
