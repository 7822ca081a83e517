"""Measuring models: feature networks (`features`), the metrics computed in them (`metrics`: FID,
KID, precision/recall, IS), and the evaluation protocol and its command (`evaluate`,
`python -m zoo.evaluate`). Importing this package loads nothing heavy."""
