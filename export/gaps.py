"""How far a quantized file's outputs are from Keras': NumPy only, so that export/portable_check.py
(which must not import the zoo or TensorFlow) loads this file by its path and measures exactly as
the exporter does."""

import numpy as np


def gaps(expected, got):
    """({output: max abs diff}, {output: share of integer values changed}), as the export measures them
    (export.writers uses this function): a uint8 pixel changes when it is off by more than one step,
    a label or token when it differs at all."""
    diffs, changed = {}, {}
    for key, want in expected.items():
        gap = np.abs(want.astype(np.float64) - np.asarray(got[key], np.float64))
        if np.issubdtype(want.dtype, np.integer):
            changed[key] = float(np.mean(gap > (1 if want.dtype == np.uint8 else 0)))
        else:
            diffs[key] = float(gap.max()) if gap.size else 0.0
    return diffs, changed
