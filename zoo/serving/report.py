"""`NAME.export.json`, the export report: the one interface between the exporter, which writes it,
and everything that reads an export folder (`zoo.serve`, `zoo.decoding`, `export/portable_check.py`,
the benchmarks). It is read and written only through `ExportReport`, which says its schema and
version, so a reader never guesses what a field means or which writer produced it.

This module uses the standard library only: `export/portable_check.py`, which must run where the zoo
and TensorFlow cannot be imported, loads it by file path.

Version 2 (this one): every endpoint's inputs are recorded once, as `Input.describe()` specs
({"shape", "dtype", "low", "high", "min_length"}). Version 1 reports (no "version" field) recorded
them twice ("inputs" as [shape, dtype] and "input_specs"); `ExportReport.read` upgrades them, here
and nowhere else.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

SCHEMA = "zoo-export-report"
VERSION = 2


class ReportError(ValueError):
    """An export report that is missing, unreadable, or of a schema or version this code cannot read."""


@dataclass
class ExportReport:
    """What one export wrote and measured. Each format's section is None until that format is written."""

    name: str
    #: {endpoint: {"inputs": {input: spec}, "outputs": {output: {"shape", "dtype"}}, "doc", "meta"?}}
    endpoints: dict
    tolerance: float = 1e-4
    savedmodel: dict = None  # {"path", "version", "parity", "warmup", ...}
    serving: dict = None  # TF Serving / KServe files
    onnx: dict = None  # {endpoint: {"path", "parity", "ort"}}
    litert: dict = None  # {"path", "parity", "ops", ...; recurrent: "fixed_sequence_length", "inputs", "examples"}
    litert_quantized: dict = None  # {variant: {"path", "max_abs_diff", ...} or {"skipped": why}}
    litert_calibration: dict = None  # {endpoint: where the int8 calibration inputs came from}
    examples: str = None  # NAME.examples.npz: the parity inputs and the Keras outputs
    requests: dict = None  # {endpoint: NAME.<endpoint>.request.json}
    schema: str = SCHEMA
    version: int = VERSION
    extra: dict = field(default_factory=dict)  # fields of a newer minor writer, kept as they were

    # --- reading ------------------------------------------------------------------------------------
    @classmethod
    def from_json(cls, record, source="the report"):
        if not isinstance(record, dict) or "endpoints" not in record or "name" not in record:
            raise ReportError(f"{source} is not an export report (no name or endpoints)")
        if record.get("schema", SCHEMA) != SCHEMA:
            raise ReportError(f"{source} is a {record['schema']!r}, not a {SCHEMA!r}")
        version = int(record.get("version", 1))
        if version > VERSION:
            raise ReportError(f"{source} is version {version} of the export report; this code reads up to {VERSION}")
        record = dict(record, endpoints={k: _upgraded(e, version) for k, e in record["endpoints"].items()})
        known = {f.name for f in fields(cls)} - {"extra", "version", "schema"}
        extra = {k: v for k, v in record.items() if k not in known | {"version", "schema"}}
        return cls(**{k: v for k, v in record.items() if k in known}, extra=extra)

    @classmethod
    def read(cls, path):
        path = Path(path)
        if not path.is_file():
            raise ReportError(f"no export report {path}")
        try:
            record = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise ReportError(f"export report {path} is unreadable ({exc})") from None
        return cls.from_json(record, str(path))

    @staticmethod
    def path(folder, name):
        return Path(folder) / f"{name}.export.json"

    # --- writing ------------------------------------------------------------------------------------
    def to_json(self):
        record = {k: v for k, v in asdict(self).items() if v is not None and k != "extra"}
        return {"schema": self.schema, "version": self.version, **record, **self.extra}

    def write(self, folder):
        """Write `folder/NAME.export.json` whole or not at all. A partial re-export (one format) keeps
        the other formats' sections of the report already there."""
        path = self.path(folder, self.name)
        record = self.to_json()
        if path.is_file():
            try:
                record = {**ExportReport.read(path).to_json(), **record}
            except ReportError:
                pass
        tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
        tmp.write_text(json.dumps(record, indent=2) + "\n")
        os.replace(tmp, path)
        return path

    # --- what readers ask ---------------------------------------------------------------------------
    def inputs(self, endpoint):
        """{input: spec} of `endpoint` (`Input.described(spec)` rebuilds the input and its checks)."""
        return self.endpoints[endpoint]["inputs"]

    def outputs(self, endpoint):
        """{output: {"shape", "dtype"}} of `endpoint`."""
        return self.endpoints[endpoint].get("outputs") or {}

    def meta(self, endpoint):
        """What the model attached to `endpoint` for its clients (a vocabulary, a state size...)."""
        return self.endpoints[endpoint].get("meta") or {}

    def __getitem__(self, key):
        """The JSON's own sections by name (`report["onnx"]`), as the file holds them."""
        return self.to_json()[key]

    def __contains__(self, key):
        return key in self.to_json()


def _upgraded(endpoint, version):
    """An endpoint record of `version` in this version's form."""
    if version >= 2:
        return endpoint
    specs = endpoint.get("input_specs") or {
        n: {"shape": spec[0], "dtype": spec[1]} for n, spec in endpoint.get("inputs", {}).items()
    }
    outputs = endpoint.get("outputs")
    upgraded = {k: v for k, v in endpoint.items() if k != "input_specs"}
    return {**upgraded, "inputs": specs, "outputs": outputs if isinstance(outputs, dict) else {}}
