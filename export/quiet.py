"""Keep the export's output to its own lines: TensorFlow Lite's C++ code prints to fd 2 while it
converts and interprets (XNNPACK "INFO: Created … delegate", "fully_quantize: 0, …") and TensorFlow
warns that tf.lite.Interpreter, which its converter uses internally, is deprecated. Set
ZOO_VERBOSE=1 (or pass --verbose to `python -m export`) to see them."""

import contextlib
import os
import sys
import warnings


@contextlib.contextmanager
def native_quiet():
    """Silence fd 2 and Python warnings for the duration (exceptions still propagate)."""
    if os.environ.get("ZOO_VERBOSE"):
        yield
        return
    sys.stderr.flush()
    saved, null = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 2)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)
