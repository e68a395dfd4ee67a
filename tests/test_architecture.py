"""The stages' import structure, read from the source by grimp: every import, function-level
ones included, goes downwards through the layers ARCHITECTURE.md draws, and no module takes
part in an import circle."""

from __future__ import annotations

import grimp
import pytest

# Top to bottom: a layer may import the layers below it, never one above.
LAYERS = [
    "familybench.cli",
    ("familybench.bench.compare", "familybench.bench.history"),
    "familybench.bench.run",
    "familybench.reports",
    "familybench.bench.execute",
    "familybench.bench.plan",
    "familybench.bench.suite",
    "familybench.bench.results",
    "familybench.artefacts",
    ("familybench.models", "familybench.datasets"),
]
# Packages whose modules must not import each other in a circle.
ACYCLIC = ["familybench"]  # every package: bench, models, datasets, reports, ...


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph("familybench", cache_dir=None)


def _upward(graph):
    layers = [grimp.Layer(*layer) if isinstance(layer, tuple) else grimp.Layer(layer) for layer in LAYERS]
    return graph.find_illegal_dependencies_for_layers(layers=layers, containers=set())


def test_imports_go_down_the_stages(graph):
    broken = _upward(graph)
    described = [f"{d.importer} -> {d.imported}: " + "; ".join(" -> ".join(r.chain) if hasattr(r, "chain")
                                                                 else str(r) for r in d.routes) for d in broken]
    assert not broken, "\n".join(described)


def test_an_upward_import_is_caught():
    graph = grimp.build_graph("familybench", cache_dir=None)
    graph.add_import(importer="familybench.bench.results.select", imported="familybench.bench.run.driver")
    assert [(d.importer, d.imported) for d in _upward(graph)] == [("familybench.bench.results", "familybench.bench.run")]


def test_the_layer_check_sees_function_level_imports(graph):
    # the run driver imports the report writer inside run(): grimp must count it, or the
    # layer test above would pass on hidden upward imports
    assert "familybench.reports" in graph.find_modules_directly_imported_by("familybench.bench.run.driver")


@pytest.mark.parametrize("package", ACYCLIC)
def test_no_import_circle(graph, package):
    modules = sorted(m for m in graph.modules if m == package or m.startswith(package + "."))
    circles = []
    for module in modules:
        for imported in graph.find_modules_directly_imported_by(module):
            if imported in modules and graph.chain_exists(importer=imported, imported=module):
                circles.append(f"{module} -> {' -> '.join(graph.find_shortest_chain(importer=imported, imported=module))}")
    assert not circles, "\n".join(circles)


@pytest.mark.parametrize("old, name, new", [
    ("familybench.bench.runner", "run", "familybench.bench.run.driver"),
    ("familybench.bench.store", "load_results", "familybench.bench.results.store"),
    ("familybench.bench.select", "select_best", "familybench.bench.results.select"),
    ("familybench.bench.dask_executor", "DaskExecutor", "familybench.bench.execute.dask.executor"),
    ("familybench.bench.progress", "Hook", "familybench.bench.run.hooks"),
    ("familybench.bench.executor", "ProcessExecutor", "familybench.bench.execute.process"),
])
def test_an_old_import_path_still_works_with_a_deprecation_warning(old, name, new):
    import importlib
    import sys

    sys.modules.pop(old, None)
    with pytest.warns(DeprecationWarning, match=f"{old} moved to"):
        module = importlib.import_module(old)
    assert getattr(module, name) is getattr(importlib.import_module(new), name)
    with pytest.raises(AttributeError):
        module.no_such_name  # noqa: B018


def test_old_module_names_that_are_now_packages_still_import_their_public_names():
    from familybench.bench.compare import compare_runs
    from familybench.bench.suite import load_suite, parse_suite

    assert callable(compare_runs) and callable(load_suite) and callable(parse_suite)
