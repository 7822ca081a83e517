"""The one way benchmark scripts put their tables into the docs: between a pair of markers
`<!-- NAME:start -->` and `<!-- NAME:end -->`, nothing else touched (no hand-typed figures). Each
table lives in one page (README.md or a page under docs/); `rewrite` finds the page that holds it."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def pages():
    """README.md and every page under docs/: where generated tables may live."""
    return [README, *sorted((ROOT / "docs").glob("*.md"))]


def rewrite(name, block, readme=None):
    """Replace what lies between NAME's markers with `block` in the one page that holds them (or in
    `readme` when given); returns False if no page has the markers."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    holders = [p for p in ([readme] if readme else pages()) if start in p.read_text()]
    if not holders:
        return False
    if len(holders) > 1:
        raise RuntimeError(f"table {name} appears in {len(holders)} pages; a figure lives in one place")
    page = holders[0]
    text = page.read_text()
    page.write_text(
        re.sub(re.escape(start) + ".*?" + re.escape(end), lambda _: f"{start}\n{block}\n{end}", text, flags=re.S)
    )
    return True


def kept_runs(results, runs, read):
    """The candidates kept in the JSON file `results` (by run folder name), with each folder of `runs`
    read by `read(folder)` and added or replaced; the file is written back."""
    import json

    found = json.loads(results.read_text()) if results.is_file() else {}
    for run in runs:
        found[Path(run).name] = read(run)
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(json.dumps(found, indent=2) + "\n")
    return found
