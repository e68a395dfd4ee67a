"""Plug-in models reach every worker: suite plugins, in-process registrations, entry points."""

from __future__ import annotations

import sys
import textwrap

import pytest

import familybench
from familybench.bench.execute.process import ProcessExecutor
from familybench.bench.run.driver import execute
from familybench.bench.suite.spec import SuiteError, load_suite, parse_suite
from familybench.models import _plugins, _registry

PLUGIN = textwrap.dedent("""
    from sklearn.linear_model import Ridge
    from familybench.models import register

    class ShrunkRidge(Ridge):
        pass

    register("{name}", ShrunkRidge, family="linear", tasks=("regression",), replace=True)
""")


@pytest.mark.e2e
def test_a_plugin_file_named_by_the_suite_runs_in_process_workers(tmp_path, clean_registry):
    (tmp_path / "myplug.py").write_text(PLUGIN.format(name="shrunk"))
    (tmp_path / "suite.toml").write_text(
        'plugins = ["myplug.py"]\ndatasets = { friedman1 = { n_samples = 80 } }\nmodels = ["shrunk", "linear"]\n')
    suite = load_suite(tmp_path / "suite.toml")
    assert suite.plugins == (str((tmp_path / "myplug.py").resolve()),)
    _, records = execute(suite, tmp_path / "out", executor=ProcessExecutor(n_workers=1))
    assert {r["config"]: r["status"] for r in records} == {"shrunk": "ok", "linear": "ok"}


@pytest.mark.e2e
def test_a_registration_in_this_process_is_replayed_in_workers(tmp_path, clean_registry):
    from sklearn.linear_model import Lasso

    familybench.register("lasso_here", Lasso, family="linear", tasks=("regression",))
    suite = parse_suite({"datasets": {"friedman1": {"n_samples": 80}}, "models": ["lasso_here"]})
    _, records = execute(suite, tmp_path, executor=ProcessExecutor(n_workers=1))
    assert records[0]["status"] == "ok" and records[0]["family"] == "linear"


def test_a_model_registered_from_main_is_refused_before_any_job(tmp_path, clean_registry):
    from sklearn.linear_model import Ridge

    Local = type("Local", (Ridge,), {"__module__": "__main__"})
    familybench.register("from_main", Local, family="linear", tasks=("regression",))
    suite = parse_suite({"datasets": {"friedman1": {"n_samples": 80}}, "models": ["from_main"]})
    with pytest.raises(familybench.FamilybenchError, match="registered from your script .* plugins = \\[...\\]"):
        execute(suite, tmp_path, executor=ProcessExecutor(n_workers=1))
    assert not (tmp_path / "results.sqlite").exists()
    _, records = execute(suite, tmp_path, executor="serial")  # in this process it works
    assert records[0]["status"] == "ok"


def test_a_broken_plugin_is_a_one_line_error_naming_it(tmp_path, clean_registry):
    (tmp_path / "broken.py").write_text("raise ImportError('no such thing\\nmore detail')\n")
    with pytest.raises(SuiteError, match="plugin .*broken.py' failed to import: ImportError: no such thing$"):
        parse_suite({"plugins": [str(tmp_path / "broken.py")], "datasets": ["moons"], "models": ["linear"]})
    with pytest.raises(SuiteError, match="plugins: plugin 'no_such_module_xyz' failed to import"):
        parse_suite({"plugins": ["no_such_module_xyz"], "datasets": ["moons"], "models": ["linear"]})


def test_entry_points_load_on_an_unknown_name_and_on_listing(tmp_path, monkeypatch, clean_registry, capsys):
    (tmp_path / "epmodels.py").write_text(PLUGIN.format(name="from_entry_point"))
    info = tmp_path / "epmodels-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: epmodels\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[familybench.models]\nmine = epmodels\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert _registry.get_spec("from_entry_point").family == "linear"
    monkeypatch.setattr(_plugins, "_ENTRY_POINTS_LOADED", False)
    from familybench.cli import main

    assert main(["list", "models"]) == 0 and "from_entry_point" in capsys.readouterr().out
    (info / "entry_points.txt").write_text("[familybench.models]\nbad = epmodels_missing\n")
    monkeypatch.setattr(_plugins, "_ENTRY_POINTS_LOADED", False)
    sys.modules.pop("epmodels_missing", None)
    with pytest.raises(familybench.FamilybenchError, match="entry point 'bad' .* failed to load"):
        _registry.get_spec("still_unknown")
