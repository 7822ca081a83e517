"""The one way benchmark scripts put their tables into the README: between a pair of markers
`<!-- NAME:start -->` and `<!-- NAME:end -->`, nothing else touched (no hand-typed figures)."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def rewrite(name, block, readme=README):
    """Replace what lies between NAME's markers with `block`; returns False if the markers are absent."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    text = readme.read_text()
    if start not in text:
        return False
    readme.write_text(
        re.sub(re.escape(start) + ".*?" + re.escape(end), lambda _: f"{start}\n{block}\n{end}", text, flags=re.S)
    )
    return True
