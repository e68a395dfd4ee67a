"""An estimator class's parameter names, read from its module's source without importing it.

scikit-learn's ``get_params`` lists the parameters of the class's ``__init__``. Reading that
signature with :mod:`ast` gives the same names while the family's module — and scikit-learn,
LightGBM or torch, which it imports — stays unimported, so a suite's parameters are checked
in milliseconds before the first progress line. This is what lets a built-in family declare
its parameters once, in its own ``__init__``: no list typed again for the registry.

The reading is deliberately narrow. It follows a top-level ``class`` statement to its own
``__init__`` or, without one, to the single ``__init__`` defined among its bases, which it
finds through ``class`` statements and ``from ... import`` / ``import`` bindings of modules
whose package is already imported (so finding them imports nothing new); the bases
scikit-learn defines without an ``__init__`` (``BaseEstimator`` and the mixins) count as
parameterless. Anything else — a decorated class or ``__init__``, ``*args`` or ``**kwargs``,
a base it cannot resolve, more than one candidate ``__init__``, a module without source —
gives ``None``, and the registry builds the estimator to check parameters instead: slower,
never wrong. ``tests/models/test_models.py`` keeps the names equal to ``get_params()`` for every
built-in, so a family that defeats the reading is caught there.
"""

from __future__ import annotations

import ast
import importlib.util
import sys
from functools import cache

#: Classes whose ``__init__`` is ``object.__init__`` (checked for scikit-learn's by a test).
PARAMETERLESS = frozenset({
    ("builtins", "object"),
    ("sklearn.base", "BaseEstimator"),
    ("sklearn.base", "ClassifierMixin"),
    ("sklearn.base", "RegressorMixin"),
    ("sklearn.base", "TransformerMixin"),
    ("sklearn.base", "MultiOutputMixin"),
})


class _Unknown(Exception):
    """The source does not say (for certain) what the parameters are."""


@cache
def init_params(module: str, name: str) -> tuple[str, ...] | None:
    """The ``__init__`` parameter names (without ``self``) of class ``name`` in ``module``,
    read from the source; ``None`` when the source does not say for certain."""
    try:
        found = _inits(module, name, set())
        if len(found) > 1:
            return None  # the MRO decides between them: leave it to the built estimator
        if not found:
            return ()
        (init,) = found.values()
        return _arguments(init)
    except _Unknown:
        return None


def _inits(module: str, name: str, seen: set) -> dict[tuple[str, str], ast.FunctionDef]:
    """The nearest ``__init__`` definitions on every path up the class's bases."""
    module, name = _defining(module, name)
    key = (module, name)
    if key in PARAMETERLESS or key in seen:
        return {}
    seen.add(key)
    cls = _bindings(module).get(name)
    if not isinstance(cls, ast.ClassDef) or cls.decorator_list:
        raise _Unknown
    defined = [stmt for stmt in cls.body if "__init__" in _bound_names(stmt)]
    if defined:
        init = defined[-1]
        if not isinstance(init, ast.FunctionDef):
            raise _Unknown
        return {key: init}
    found: dict = {}
    for base in cls.bases:
        found.update(_inits(*_resolve(module, base), seen))
    return found


def _arguments(init: ast.FunctionDef) -> tuple[str, ...]:
    args = init.args
    if init.decorator_list or args.vararg or args.kwarg:
        raise _Unknown
    names = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
    if not names:
        raise _Unknown
    return tuple(names[1:])


def _defining(module: str, name: str) -> tuple[str, str]:
    """Follow ``from x import name`` re-exports to the module that defines the class."""
    for _ in range(10):
        if (module, name) in PARAMETERLESS:
            return module, name
        binding = _bindings(module).get(name)
        if isinstance(binding, ast.ImportFrom):
            module, name = _from_import(module, binding, name)
        elif binding is None and name == "object":
            return "builtins", "object"
        else:
            return module, name
    raise _Unknown


def _resolve(module: str, expr: ast.expr) -> tuple[str, str]:
    """The (module, class name) a base-class expression of ``module`` names."""
    if isinstance(expr, ast.Name):
        return module, expr.id
    parts = []
    while isinstance(expr, ast.Attribute):
        parts.append(expr.attr)
        expr = expr.value
    if not isinstance(expr, ast.Name) or not parts:
        raise _Unknown
    binding = _bindings(module).get(expr.id)
    if not isinstance(binding, ast.Import):
        raise _Unknown
    alias = next(a for a in binding.names if (a.asname or a.name.partition(".")[0]) == expr.id)
    root = alias.name if alias.asname else expr.id
    *middle, name = reversed(parts)
    return ".".join([root, *middle]), name


def _from_import(module: str, node: ast.ImportFrom, name: str) -> tuple[str, str]:
    alias = next(a for a in node.names if (a.asname or a.name) == name)
    if node.level:
        _, is_package = _parse(module)
        package = module if is_package else module.rpartition(".")[0]
        source = importlib.util.resolve_name("." * node.level + (node.module or ""), package)
    else:
        source = node.module
    return source, alias.name


@cache
def _bindings(module: str) -> dict[str, ast.stmt | None]:
    """Each name bound at the module's top level -> the one statement binding it (``None``
    when it is bound more than once, or inside an ``if``/``try``/``with``)."""
    tree, _ = _parse(module)
    out: dict[str, ast.stmt | None] = {}
    for stmt in tree.body:
        simple = isinstance(stmt, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef, ast.Import,
                                   ast.ImportFrom, ast.Assign, ast.AnnAssign, ast.AugAssign))
        for name in _bound_names(stmt):
            out[name] = stmt if simple and name not in out else None
        if isinstance(stmt, ast.ImportFrom) and any(a.name == "*" for a in stmt.names):
            raise _Unknown  # a star import may bind anything
    return out


def _bound_names(stmt: ast.stmt) -> set[str]:
    names: set[str] = set()
    if isinstance(stmt, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
        return {stmt.name}
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        return {a.asname or a.name.partition(".")[0] for a in stmt.names if a.name != "*"}
    for node in ast.walk(stmt):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {a.asname or a.name.partition(".")[0] for a in node.names if a.name != "*"}
    return names


@cache
def _parse(module: str) -> tuple[ast.Module, bool]:
    """The module's syntax tree and whether it is a package, found without importing it
    (its package must be imported already: finding a submodule imports its package)."""
    package = module.rpartition(".")[0]
    if package and package not in sys.modules:
        raise _Unknown
    try:
        spec = importlib.util.find_spec(module)
        source = spec.loader.get_source(module) if spec is not None and spec.loader is not None else None
    except (ImportError, ValueError, AttributeError, OSError):
        raise _Unknown from None
    if source is None:
        raise _Unknown
    try:
        return ast.parse(source), spec.submodule_search_locations is not None
    except SyntaxError:
        raise _Unknown from None
