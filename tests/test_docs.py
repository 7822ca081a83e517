"""The README and the docs/ pages behind it say what the code does: every relative link and image
resolves (anchors included), every flag a documented command passes exists in that command's parser,
and every Python snippet runs as written, pasted into a fresh interpreter."""

import contextlib
import io
import re
import runpy
import subprocess
import sys
from functools import lru_cache

import pytest
from conftest import ROOT

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
COMMAND = re.compile(r"python3? -m ([a-z_][a-z0-9_.]*)((?:[ \t]+[^`;&#|\n]*)?)")
SCRIPT = re.compile(r"python3? ((?:benchmarks|export)/[a-z_]+\.py)((?:[ \t]+[^`;&#|\n]*)?)")
FLAG = re.compile(r"(?<![\w-])(--[a-z][a-z0-9_-]*)")
#: other programs' flags the docs show (ruff's, pytest's; TF Serving's are spelled with underscores)
FOREIGN = ("--help", "--check", "--fix", "--durations")  # ruff's and pytest's


def _rel(path):
    return path.relative_to(ROOT).as_posix()


def _text(page):
    """The page with backslash-continued lines joined (as a shell reads them)."""
    return page.read_text().replace("\\\n", " ")


def slug(heading):
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(page):
    found, in_code = set(), False
    for line in page.read_text().splitlines():
        if line.startswith("```"):
            in_code = not in_code
        elif not in_code and line.startswith("#"):
            found.add(slug(line.lstrip("#")))
    return found


def test_the_front_page_is_short_and_links_every_docs_page():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 250
    assert "**Contents**" in readme and 'pip install -e ".[test]"' in readme
    for page in PAGES[1:]:
        assert f"(docs/{page.name})" in readme, f"README does not link docs/{page.name}"


@pytest.mark.parametrize("page", PAGES, ids=_rel)
def test_every_relative_link_and_image_resolves(page):
    broken = []
    for target in LINK.findall(page.read_text()):
        if re.match(r"[a-z]+:", target):  # http:, mailto: ...
            continue
        path, _, anchor = target.partition("#")
        dest = (page.parent / path).resolve() if path else page
        if not dest.exists():
            broken.append(f"{target} (no such file)")
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            broken.append(f"{target} (no heading '{anchor}')")
    assert not broken, f"{_rel(page)}: " + ", ".join(broken)


@lru_cache(maxsize=None)
def flags_of(module):
    """The option strings `python -m MODULE --help` lists (argparse, without TensorFlow loading)."""
    out = io.StringIO()
    argv = sys.argv
    sys.argv = [module, "--help"]
    try:
        with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
            runpy.run_module(module, run_name="__main__")
    finally:
        sys.argv = argv
    return frozenset(FLAG.findall(out.getvalue()))


def _modules():
    """The zoo's commands: every module of train/ and zoo/ that runs as `python -m`, and the exporter."""
    names = {"export"}
    for folder in ("train", "zoo"):
        for path in (ROOT / folder).glob("*.py"):
            if 'if __name__ == "__main__":' in path.read_text():
                names.add(f"{folder}.{path.stem}")
    return names


def documented_commands():
    """(page, module, flags) for every `python -m MODULE ...` a page shows, for the zoo's modules."""
    known = _modules()
    for page in PAGES:
        for module, rest in COMMAND.findall(_text(page)):
            if module in known:
                yield page, module, sorted(set(FLAG.findall(rest)))


def test_every_documented_command_passes_only_flags_its_parser_has():
    wrong, seen = [], 0
    for page, module, flags in documented_commands():
        seen += 1
        unknown = [f for f in flags if f not in flags_of(module)]
        if unknown:
            wrong.append(f"{_rel(page)}: python -m {module} {' '.join(unknown)}")
    assert seen > 50, f"found only {seen} commands: is the pattern still right?"
    assert not wrong, "flags the command does not have:\n" + "\n".join(wrong)


def test_every_documented_script_passes_only_flags_it_defines():
    """`python benchmarks/X.py --flag` / `python export/X.py`: the script's source defines the flag."""
    wrong = []
    for page in PAGES:
        for script, rest in SCRIPT.findall(_text(page)):
            source = (ROOT / script).read_text()
            wrong += [f"{_rel(page)}: {script} {f}" for f in FLAG.findall(rest) if f'"{f}"' not in source]
    assert not wrong, "\n".join(wrong)


def test_the_flag_tables_name_only_existing_flags():
    """Every `--flag` a page mentions anywhere is a flag of some zoo command or benchmark script
    (catches a renamed or removed flag left in prose)."""
    every = set().union(*(flags_of(m) for m in _modules()))
    sources = "\n".join(p.read_text() for p in (ROOT / "benchmarks").glob("*.py"))
    sources += (ROOT / "export" / "portable_check.py").read_text()
    stale = []
    for page in PAGES:
        for flag in set(FLAG.findall(page.read_text())):
            if flag not in every and f'"{flag}"' not in sources and flag not in FOREIGN and "_" not in flag:
                stale.append(f"{_rel(page)}: {flag}")
    assert not stale, "flags no command has:\n" + "\n".join(sorted(stale))


def python_snippets():
    for page in PAGES:
        for n, block in enumerate(re.findall(r"```python\n(.*?)```", page.read_text(), flags=re.S), 1):
            yield pytest.param(block, id=f"{_rel(page)}#{n}")


@pytest.mark.slow
@pytest.mark.parametrize("code", list(python_snippets()))
def test_every_python_snippet_runs_as_written(code, tmp_path):
    """A reader pasting the block into a fresh interpreter (offline, from any folder) gets no error."""
    r = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=600, env=_env()
    )
    assert r.returncode == 0, r.stderr[-3000:]


def _env():
    import os

    return {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
