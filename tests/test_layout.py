"""The layout a newcomer can hold (docs/contributing.md): the library's imports run one way, files
stay short enough to read, and `zoo/` does not reach into `train/` or `export/`."""

import ast

from conftest import ROOT

LIMIT = 600


def _modules(package):
    found = {}
    for path in (ROOT / package).rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports(path, known):
    """The modules of `known` that `path` imports anywhere (module level or inside a function):
    `from a import b` counts as importing a.b where that is a module, else a."""
    edges = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            edges |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                edges.add(f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in known else node.module)
    return {edge for edge in edges if edge in known}


def cycles(graph):
    """The strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_the_import_graph_of_zoo_has_no_circle():
    known = _modules("zoo")
    graph = {name: imports(path, known) - {name} for name, path in known.items()}
    assert cycles(graph) == []


def test_cycles_are_found():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == [["a", "b", "c"]]


def test_the_library_does_not_import_the_trainers_or_the_exporter():
    """`zoo/` is the library: `train/` and `export/` use it, never the other way round. The one
    exception is the serve command exporting an entry it is asked to serve (zoo/serving/serve.py)."""
    known = {**_modules("train"), **_modules("export")}
    reaching = {name: imports(path, known) for name, path in _modules("zoo").items() if imports(path, known)}
    assert reaching == {"zoo.serving.serve": {"export"}}


def test_no_source_file_is_longer_than_a_reader_can_hold():
    long = {
        str(path.relative_to(ROOT)): n
        for package in ("zoo", "train", "export")
        for path in (ROOT / package).rglob("*.py")
        if (n := len(path.read_text().splitlines())) > LIMIT
    }
    assert long == {}
