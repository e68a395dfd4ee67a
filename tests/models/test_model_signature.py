"""Reading an estimator's parameter names from its source (``models/_signature.py``): the
cases it answers, and the ones it leaves to building the estimator (``None``)."""

from __future__ import annotations

import importlib
import itertools
import sys
import textwrap

import pytest

from familybench.models._signature import PARAMETERLESS, init_params

_COUNTER = itertools.count()


@pytest.fixture
def write(tmp_path, monkeypatch):
    """Write modules on a fresh path; each call gets a unique module name (the reader caches)."""
    monkeypatch.syspath_prepend(str(tmp_path))

    def write(source: str, name: str | None = None) -> str:
        name = name or f"sigmod_{next(_COUNTER)}_{tmp_path.name}"
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
        importlib.invalidate_caches()
        return name

    return write


def test_own_and_inherited_init(write):
    base = write('''
        class Base:
            def __init__(self, a=1, *, b=2):
                self.a, self.b = a, b
    ''')
    module = write(f'''
        from {base} import Base as Renamed


        class Mixin:
            def __init__(self, alpha=1.0, preprocessor=None):
                pass


        class Own(Renamed):
            def __init__(self, c=3):
                pass


        class FromMixin(Mixin, Renamed):
            def fit(self, X, y):
                def __init__(self, wrong):  # a nested function is not the class's __init__
                    pass


        class FromOtherModule(Renamed):
            pass
    ''')
    assert init_params(module, "Own") == ("c",)
    assert init_params(module, "FromOtherModule") == ("a", "b")
    # two paths up the bases reach an __init__ (Mixin's, which the MRO picks, and Base's):
    # the reader declines rather than reimplement the MRO, and the registry builds instead
    assert init_params(module, "FromMixin") is None
    assert module not in sys.modules and base not in sys.modules  # read, never imported


def test_scikit_learn_bases_count_as_parameterless(write):
    module = write('''
        import sklearn.base as skbase
        from sklearn.base import BaseEstimator, ClassifierMixin


        class Bare(ClassifierMixin, BaseEstimator):
            def fit(self, X, y):
                return self


        class Dotted(skbase.RegressorMixin, skbase.BaseEstimator):
            pass


        class Mixin:
            def __init__(self, k=5):
                pass


        class WithMixin(Mixin, ClassifierMixin, BaseEstimator):
            pass
    ''')
    assert init_params(module, "Bare") == ()
    assert init_params(module, "Dotted") == ()
    assert init_params(module, "WithMixin") == ("k",)


def test_the_parameterless_bases_are_so():
    for module, name in PARAMETERLESS:
        cls = getattr(importlib.import_module(module), name)
        assert all("__init__" not in vars(k) for k in cls.__mro__[:-1]), (module, name)


@pytest.mark.parametrize("source", [
    "class X:\n    def __init__(self, a=1, **kwargs):\n        pass\n",
    "class X:\n    def __init__(self, *args):\n        pass\n",
    "from dataclasses import dataclass\n\n\n@dataclass\nclass X:\n    a: int = 1\n",
    "import functools\n\n\nclass X:\n    @functools.wraps(object)\n    def __init__(self, a=1):\n        pass\n",
    "class X:\n    __init__ = object.__init__\n",
    "class X:\n    if True:\n        def __init__(self, a=1):\n            pass\n",
    "from not_imported_pkg_xyz.sub import Base\n\n\nclass X(Base):\n    pass\n",
    "from typing import Generic, TypeVar\nT = TypeVar('T')\n\n\nclass X(Generic[T]):\n    pass\n",
    "class X:\n    pass\n\n\nX = dict\n",
    "from os.path import *\n\n\nclass X:\n    pass\n",
])
def test_what_the_source_does_not_say_for_certain_is_none(write, source):
    assert init_params(write(source), "X") is None
    assert "not_imported_pkg_xyz" not in sys.modules


def test_a_missing_module_or_class_is_none(write):
    assert init_params("no_such_module_xyz", "X") is None
    assert init_params(write("class Y:\n    pass\n"), "X") is None
