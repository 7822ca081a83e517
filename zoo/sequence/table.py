"""Your own time series from a CSV file: long format (one row per time step, and per series when an
id column names several), as statsforecast and darts read it.

    date,store,sales,price          --time date --target sales --covariates price --id store
    2024-01-01,a,12,1.5
    2024-01-01,b,30,2.0
    ...

Policy for holes (stated, and refused by default): an empty or non-numeric cell, a timestamp that
cannot be read, a timestamp that appears twice in one series, or a missing step at the series'
frequency (a gap) stops the load with the first bad row named (its line in the file, the header
being line 1). `--fill ffill` (last value carried forward), `interpolate` (linear in time) or
`zero` fills empty cells and the missing steps of a gap instead; a row with an unreadable timestamp
or a duplicate is refused whatever the fill. Non-numeric text is never read as a number.

The file is read once, in chunks of 500,000 rows (pandas): what stays in memory is its numbers,
timestamps and id codes, never its text. The recipe records its absolute path and sha256: a model loaded
later reads the same file, and refuses one whose contents changed. No TensorFlow here.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from zoo.choices import SERIES
from zoo.errors import DataError, InputError, UnknownNameError, did_you_mean

FILLS = ("none", "ffill", "interpolate", "zero")
CHUNK_ROWS = 100_000  # rows of a CSV file parsed at a time
#: the seasonal period a frequency implies (pandas offset alias prefix -> steps per season)
PERIODS = {"h": 24, "D": 7, "B": 5, "W": 52, "MS": 12, "ME": 12, "M": 12, "QS": 4, "QE": 4, "Q": 4}


@dataclass
class Table:
    """The series of one CSV: `series[i]` is `[T_i, F]` float64 (the target first, then the
    covariates), `times[i]` its timestamps, `ids[i]` its id ("" without an id column)."""

    path: str
    sha256: str
    time: str
    target: str
    covariates: tuple
    id: str | None
    freq: str
    fill: str
    series: list
    times: list
    ids: list
    filled: int  # cells or steps filled by --fill

    @property
    def columns(self):
        return (self.target, *self.covariates)

    @property
    def period(self):
        return season_of(self.freq)

    def describe(self):
        many = f"{len(self.series)} series by '{self.id}', " if self.id else ""
        cov = f" from {', '.join(self.covariates)}" if self.covariates else ""
        filled = f"; {self.filled} cells filled ({self.fill})" if self.filled else ""
        return f"{Path(self.path).name}: {many}'{self.target}'{cov}, every {self.freq}{filled}"


def season_of(freq):
    """Steps per season of a pandas frequency ('D' -> 7, 'h' -> 24, 'MS' -> 12), None if unknown."""
    import re

    if not freq:
        return None
    match = re.fullmatch(r"(\d*)([A-Za-z]+)(-[A-Z]+)?", str(freq))
    if not match or match.group(1) not in ("", "1"):
        return None
    unit = match.group(2)
    return PERIODS.get(unit) or PERIODS.get(unit.upper()) or PERIODS.get(unit.lower())


def sha256_of(path, chunk=1 << 20):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def numeric_columns(frame, columns, path):
    """float64 `[rows, len(columns)]` of a DataFrame's `columns`; the first empty or non-numeric cell
    is refused naming its line in the file (the header is line 1)."""
    import pandas as pd

    values = frame[list(columns)].apply(pd.to_numeric, errors="coerce")
    bad = values.isna().to_numpy()
    if bad.any():
        row, column = np.argwhere(bad)[0]
        name = list(columns)[column]
        raise DataError(
            f"{Path(path).name} line {row + 2}: column '{name}' holds '{frame[name].iat[row]}', not a number"
        )
    return values.to_numpy(np.float64)


def header(path):
    """The column names of a CSV file (its first line), read without pandas."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise DataError(f"CSV file {path} does not exist or is not a file")
    try:
        with open(path, newline="", encoding="utf-8") as f:
            first = next(csv.reader(f), None)
    except UnicodeDecodeError:
        raise DataError(f"{path} is not a UTF-8 text file (a CSV file was expected)") from None
    if not first:
        raise DataError(f"{path} is empty: a CSV file with a header line was expected")
    return [name.strip() for name in first]


def check_columns(path, time, target, covariates=(), id_column=None, future=()):
    """Refuse a missing file or a column the header does not have, naming the columns it has.
    `future`: the covariates known in advance (--future-covariates)."""
    names = header(path)
    if not time or not target:
        raise InputError("a CSV dataset needs --time COLUMN and --target COLUMN")
    wanted = [("--time", time), ("--target", target), *(("--covariates", c) for c in covariates)]
    wanted += [("--future-covariates", c) for c in future]
    if id_column:
        wanted.append(("--id", id_column))
    for flag, column in wanted:
        if column not in names:
            raise DataError(
                f"{flag} {column}: {Path(path).name} has no column '{column}'; its columns: {', '.join(names)}"
            )
    used = [time, target, *covariates, *future, *([id_column] if id_column else [])]
    twice = sorted({c for c in used if used.count(c) > 1})
    if twice:
        raise InputError(
            f"column {', '.join(repr(c) for c in twice)} is named twice among "
            "--time/--target/--covariates/--future-covariates/--id"
        )
    return names


def _when(stamp):
    """A timestamp as a person writes it: the date alone at midnight."""
    import pandas as pd

    stamp = pd.Timestamp(stamp)
    return str(stamp.date()) if stamp == stamp.normalize() else str(stamp)


def _line(index):
    return int(index) + 2  # the header is line 1, the first row line 2


def read_table(
    path, time, target, covariates=(), id_column=None, freq=None, fill="none", sha256=None, chunk_rows=CHUNK_ROWS
):
    """Read, check and (if asked) fill the series of a CSV file: a `Table`. `sha256`: the digest the
    file must have (a model reading its training file back)."""
    import pandas as pd

    if fill not in FILLS:
        raise InputError(f"unknown fill '{fill}'; choose one of {', '.join(FILLS)}")
    path = Path(path).expanduser().resolve()
    covariates = tuple(covariates or ())
    check_columns(path, time, target, covariates, id_column)
    digest = sha256_of(path)
    if sha256 is not None and digest != sha256:
        raise DataError(f"{path} changed since the model was trained (sha256 {digest[:12]}..., was {sha256[:12]}...)")
    stamps, values, ids, names = _columns(path, time, (target, *covariates), id_column, fill, chunk_rows)
    series, times, filled = [], [], int(sum(np.isnan(v).sum() for v in values.values()))
    by_id = np.argsort(ids, kind="stable")  # the rows of each series, in file order
    bounds = np.concatenate([[0], np.cumsum(np.bincount(ids, minlength=len(names)))])
    steps = freq
    for code in range(len(names)):  # ids in the order they first appear
        name = names[code]
        rows = by_id[bounds[code] : bounds[code + 1]]
        rows = rows[np.argsort(stamps[rows], kind="stable")]
        t = stamps[rows]
        twice = np.flatnonzero(t[1:] == t[:-1])
        if len(twice):
            row = rows[twice[0] + 1]
            where = f" in series '{name}'" if id_column else ""
            raise DataError(f"{path.name} line {_line(row)}: timestamp {_when(t[twice[0]])} appears twice{where}")
        if steps is None:
            steps = _infer_freq(t, path.name, name if id_column else None)
        try:
            grid = _Grid(t[0], t[-1], steps)
        except ValueError as exc:
            raise InputError(f"--freq {steps}: not a pandas frequency ({exc})") from None
        on_grid = grid.holds(t)
        if not on_grid.all():
            row = rows[np.argmin(on_grid)]
            raise DataError(
                f"{path.name} line {_line(row)}: timestamp {_when(t[np.argmin(on_grid)])} is not on the "
                f"{steps} grid that starts at {_when(t[0])}; give the right --freq"
            )
        columns = [values[c][rows] for c in (target, *covariates)]
        if grid.size == len(t) and not any(np.isnan(c).any() for c in columns):  # nothing to fill: no copies
            series.append(np.stack(columns, axis=1))
            times.append(t)
            continue
        block = pd.DataFrame(dict(zip((target, *covariates), columns)), index=pd.DatetimeIndex(t))
        full = grid.stamps()
        if len(full) != len(t):
            if fill == "none":
                present = pd.DatetimeIndex(t)
                first_gap = int(np.argmax(~full.isin(present)))
                before = full[first_gap - 1]
                row = rows[present.get_loc(before) + 1]
                after = pd.Timestamp(t[present.get_loc(before) + 1])
                where = f"series '{name}' " if id_column else ""
                raise DataError(
                    f"{path.name} line {_line(row)}: {where}jumps from {_when(before)} to {_when(after)} "
                    f"({len(full) - len(t)} missing {steps} steps in all); pass --fill ffill, interpolate or zero "
                    "to fill gaps"
                )
            filled += (len(full) - len(t)) * (1 + len(covariates))
            block = block.reindex(full)
        if fill == "ffill":
            block = block.ffill().bfill()
        elif fill == "interpolate":
            block = block.interpolate(method="time").ffill().bfill()
        elif fill == "zero":
            block = block.fillna(0.0)
        series.append(block.to_numpy(np.float64))
        times.append(block.index.to_numpy())
    return Table(str(path), digest, time, target, covariates, id_column, str(steps), fill, series, times, names, filled)


class _Grid:
    """The timestamps from `start` to `stop` at the frequency `steps`: its size and which stamps lie
    on it by arithmetic for fixed steps (days, hours, minutes...), without listing them; by lookup
    for calendar steps (months, weeks). ValueError for a frequency pandas does not know."""

    def __init__(self, start, stop, steps):
        import pandas as pd

        self.start, self.stop, self.steps = start, stop, steps
        offset = pd.tseries.frequencies.to_offset(steps)
        self.tick = offset.nanos if isinstance(offset, pd.offsets.Tick) else None
        self.listed = None
        self.listed = None if self.tick else self.stamps()
        self.size = (int((stop - start).astype(np.int64)) // self.tick + 1) if self.tick else len(self.listed)

    def stamps(self):
        import pandas as pd

        if self.listed is not None:  # a calendar grid is listed once, in __init__
            return self.listed
        return pd.date_range(self.start, self.stop, freq=self.steps)

    def holds(self, t):
        import pandas as pd

        if self.tick:
            return (t - self.start).astype(np.int64) % self.tick == 0
        return pd.DatetimeIndex(t).isin(self.listed)


def _lines(path, block=1 << 22):
    """The number of line ends in a file, plus one: at least its number of CSV rows."""
    count = 1
    with open(path, "rb") as f:
        while data := f.read(block):
            count += data.count(b"\n")
    return count


def _stamps(text):
    """datetime64[ns] of stripped timestamp strings (NaT where unreadable): ISO 8601 at C speed,
    anything else (e.g. "03/01/2024") by pandas' per-value parser."""
    import pandas as pd

    stamps = pd.to_datetime(text, errors="coerce", format="ISO8601")
    slow = stamps.isna() & (text != "")
    if slow.any():
        stamps = stamps.where(~slow, pd.to_datetime(text.where(slow), errors="coerce", format="mixed"))
    return stamps


def _columns(path, time, numeric, id_column, fill, chunk_rows):
    """(timestamps datetime64[ns] [rows], {column: float64 [rows], NaN where empty}, id codes int32
    [rows], id names in order of first appearance) of a CSV file, read `chunk_rows` rows at a time:
    only the numbers, timestamps and id codes of the whole file are held, never its text. The first
    bad cell is refused naming its line."""
    import pandas as pd

    usecols = [time, *numeric, *([id_column] if id_column else [])]
    rows = _lines(path)  # filled chunk by chunk, then cut to the rows read: no second copy
    stamps, ids = np.empty(rows, "datetime64[ns]"), np.empty(rows, np.int32)
    values, codes, first = {c: np.empty(rows, np.float64) for c in numeric}, {}, 0
    try:
        reader = pd.read_csv(
            path, usecols=usecols, dtype=str, keep_default_na=False, skipinitialspace=True, chunksize=chunk_rows
        )
        for frame in reader:
            at = slice(first, first + len(frame))
            frame.index = pd.RangeIndex(at.start, at.stop)  # rows of the whole file (line = row + 2)
            first = at.stop
            text = frame[time].str.strip()
            chunk_stamps = _stamps(text)
            bad = chunk_stamps.isna()
            if bad.any():
                row = bad.idxmax()
                raise DataError(
                    f"{path.name} line {_line(row)}: cannot read '{frame[time][row]}' in column '{time}' as a timestamp"
                )
            stamps[at] = chunk_stamps.to_numpy("datetime64[ns]")
            for column in numeric:
                text = frame[column].str.strip()
                numbers = pd.to_numeric(text.where(text != ""), errors="coerce")
                wrong = numbers.isna() & (text != "")
                if wrong.any():
                    row = wrong.idxmax()
                    raise DataError(
                        f"{path.name} line {_line(row)}: column '{column}' holds '{text[row]}', not a number"
                    )
                missing = text == ""
                if missing.any() and fill == "none":
                    row = missing.idxmax()
                    raise DataError(
                        f"{path.name} line {_line(row)}: column '{column}' is empty; pass --fill ffill, interpolate "
                        "or zero to fill missing values"
                    )
                values[column][at] = numbers.to_numpy(np.float64)
            local, uniques = pd.factorize(frame[id_column].str.strip()) if id_column else (np.zeros(len(frame)), [""])
            for name in uniques:
                codes.setdefault(str(name), len(codes))
            ids[at] = np.asarray([codes[str(name)] for name in uniques], np.int32)[np.asarray(local, np.int64)]
    except (ValueError, pd.errors.ParserError) as exc:
        raise DataError(f"{path.name}: cannot be read as CSV ({str(exc).splitlines()[0]})") from None
    if not first:
        raise DataError(f"{path.name} has a header but no rows")
    return stamps[:first], {c: v[:first] for c, v in values.items()}, ids[:first], list(codes)


def _infer_freq(t, file, name):
    import pandas as pd

    if len(t) < 3:
        raise DataError(f"{file}: series {name or ''} has {len(t)} rows; too few to forecast".replace("  ", " "))
    guess = pd.infer_freq(pd.DatetimeIndex(t[: min(len(t), 64)]))
    if guess is None:  # gaps break pandas' inference: the most common step, if it is a whole unit
        diffs = pd.Series(np.diff(t)).value_counts()
        step = pd.Timedelta(diffs.index[0])
        for unit, alias in (
            (pd.Timedelta(days=1), "D"),
            (pd.Timedelta(hours=1), "h"),
            (pd.Timedelta(minutes=1), "min"),
        ):
            if step == unit:
                return alias
        raise DataError(
            f"{file}: cannot tell the series' frequency from its timestamps; give --freq (D, h, W, MS, ...)"
        )
    return guess


#: bundled CSV series (zoo.sequence.forecast reads them): the file in its package and its columns
TABLES = {
    "seattle-weather": {
        "package": ("vega_datasets", "_data/seattle-weather.csv"),
        "columns": {"time": "date", "target": "temp_max", "covariates": ["precipitation", "temp_min", "wind"]},
        "description": "daily Seattle weather 2012-2015 (vega_datasets): max temperature (C), precipitation (mm), "
        "min temperature, wind (m/s)",
    },
    "stocks": {
        "package": ("vega_datasets", "_data/stocks.csv"),
        "columns": {"time": "date", "target": "price", "id": "symbol"},
        "description": "monthly closing prices of AAPL, AMZN, GOOG, IBM and MSFT 2000-2010 (vega_datasets)",
    },
}
COLUMN_KEYS = ("time", "target", "covariates", "future_covariates", "id", "freq", "fill")


def table_path(name):
    """The file of a bundled table, or the path of `csv:PATH`."""
    if name in TABLES:
        from importlib.resources import files

        package, inside = TABLES[name]["package"]
        return files(package).joinpath(inside)
    if str(name).startswith("csv:"):
        return Path(name[len("csv:") :]).expanduser().resolve()
    raise UnknownNameError(
        f"unknown series '{name}'{did_you_mean(name, [*SERIES, *TABLES])}; bundled series: "
        f"{', '.join(sorted([*SERIES, *TABLES]))}, or csv:FILE for your own"
    )


def table_columns(name, columns=None):
    """The columns a table is read with: the bundled table's own, overridden by any given."""
    chosen = {"covariates": [], "future_covariates": [], "id": None, "freq": None, "fill": "none"}
    chosen.update(TABLES.get(name, {}).get("columns", {}))
    chosen.update({k: v for k, v in (columns or {}).items() if v not in (None, "", ()) and k in COLUMN_KEYS})
    chosen["covariates"] = list(chosen["covariates"] or [])
    chosen["future_covariates"] = list(chosen["future_covariates"] or [])
    return chosen


def load_table(name, columns=None, sha256=None):
    c = table_columns(name, columns)
    covariates = [*c["covariates"], *c["future_covariates"]]  # the known-future ones last
    return read_table(
        table_path(name), c["time"], c["target"], covariates, c["id"], c["freq"], c["fill"], sha256=sha256
    )


def led(values, known, horizon):
    """`values` [T, F] with its last `known` columns (covariates known in advance) read `horizon`
    steps early: row t holds them at t + horizon, so a window of history that ends at an origin also
    holds their values over the horizon after it (what `Forecaster.network_input` builds from
    `history` and `future`). The last `horizon` rows repeat the final values; no window reads them."""
    if not known:
        return values
    out = values.copy()
    out[:-horizon, -known:] = values[horizon:, -known:]
    out[-horizon:, -known:] = values[-1, -known:]
    return out
