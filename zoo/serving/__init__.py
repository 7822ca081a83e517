"""Serving models: the endpoints every model declares (`endpoints`), the KServe model server
(`serve`, `python -m zoo.serve`) and the TensorFlow-free clients of exported step functions
(`decoding`, `python -m zoo.decoding`). Importing this package loads nothing heavy."""
