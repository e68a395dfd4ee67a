"""Artefacts as hooks: producers run after the timed part, stored by name, read by reports."""

from __future__ import annotations

import hashlib
import io
import sqlite3
import subprocess
import sys
import warnings

import numpy as np
import pytest

import familybench
from familybench.artefacts import (
    _REGISTRY,
    Artefact,
    ArtefactError,
    get_artefact,
    list_artefacts,
    register_artefact,
)
from familybench.bench.results.record import SCHEMA_VERSION, empty_record
from familybench.bench.results.store import APPLICATION_ID, ResultStore
from familybench.bench.run.driver import execute
from familybench.bench.suite.spec import SuiteError, parse_suite
from familybench.datasets import load_dataset
from familybench.reports._artefacts import plot_grid
from legacy_stores import legacy_store

SMALL = {"n_samples": 200}

EXTERNAL = '''
"""A user's producer and report section, outside familybench."""
import numpy as np

from familybench.artefacts import Artefact, register_artefact
from familybench.reports import Section

ARTEFACTS = ["view", "grid", "test_rows"]


@register_artefact
class TestRows(Artefact):
    name = "test_rows"

    def once_per_dataset(self, context):
        return {"n_rows": np.array([context.dataset.n_rows])}

    def after_fit(self, context):
        pred, _ = context.predict(context.dataset.X.iloc[:5])
        return {"n_test": np.array([context.record["n_test"]]), "first_five": np.asarray(pred, dtype=float)}


def sections(context):
    rows = context.artefacts("test_rows")
    datasets = context.artefacts("test_rows", scope="dataset")
    lines = [f"- {name}: n_rows {int(arrays['n_rows'][0])}" for name, arrays in sorted(datasets.items())]
    for key, arrays in sorted(rows.items()):
        config = context.results.loc[context.results["job_key"] == key, "config"].iloc[0]
        lines.append(f"- {config}: n_test {int(arrays['n_test'][0])}, {len(arrays['first_five'])} predictions")
    return [Section(title="Test rows from my producer", markdown="\\n".join(lines))]
'''


@pytest.fixture
def registry():
    """Producers registered by a test are forgotten after it."""
    before = dict(_REGISTRY)
    yield
    _REGISTRY.clear()
    _REGISTRY.update(before)


@pytest.mark.e2e
@pytest.mark.parametrize("report", ["mymodule", "mymodule.py"])
def test_a_producer_and_a_section_from_outside_the_package_run_under_the_process_executor(tmp_path, registry,
                                                                                         report):
    from familybench.reports import write_report

    # Not on sys.path: the report module is the plug-in file itself, by its stem or its path.
    (tmp_path / "mymodule.py").write_text(EXTERNAL)
    suite = parse_suite({"plugins": ["mymodule.py"], "report": report, "seeds": [0, 1],
                         "datasets": {"moons": {"n_samples": 300}}, "models": ["linear", "lightgbm"]},
                        source="<t>", base=tmp_path)
    assert suite.artefacts == ("view", "grid", "test_rows")  # the built-in report's and the module's
    out = tmp_path / "out"
    _, records = execute(suite, out, jobs=2)  # the default: spawned worker processes
    assert {r["status"] for r in records} == {"ok"} and not any(r["error_detail"] for r in records)
    write_report(out)
    report = (out / "report.md").read_text()
    assert "## Test rows from my producer" in report
    assert "- moons: n_rows 300" in report
    # one line per config, the lowest seed only: 300 rows, test_size 0.2
    assert "- linear: n_test 60, 5 predictions" in report and "- lightgbm: n_test 60, 5 predictions" in report
    assert report.count("n_test 60") == 2
    assert "Report module failed" not in report
    assert list((out / "figures").glob("regions-moons*.png"))  # the built-in pictures still drawn


def test_a_report_module_that_cannot_be_imported_is_a_suite_error(tmp_path):
    with pytest.raises(SuiteError, match="report module 'no_such_report_module' cannot be imported"):
        parse_suite({"report": "no_such_report_module", "datasets": ["moons"], "models": ["linear"]}, source="<t>")
    with pytest.raises(SuiteError, match="report.*missing.py"):
        parse_suite({"report": "missing.py", "datasets": ["moons"], "models": ["linear"]}, source="<t>",
                    base=tmp_path)
    with pytest.raises(SuiteError, match="cannot be imported"):  # also when the suite lists its artefacts
        parse_suite({"report": "no_such_report_module", "artefacts": [], "datasets": ["moons"], "models": ["linear"]},
                    source="<t>")


def _serial(tmp_path, table):
    suite = parse_suite({"datasets": {"moons": SMALL}, "models": ["linear"], **table}, source="<t>")
    _, records = execute(suite, tmp_path, executor="serial")
    return records


def test_a_raising_producer_leaves_its_artefact_missing_and_the_job_ok(tmp_path, registry):
    @register_artefact
    class Broken(Artefact):
        name = "broken"

        def after_fit(self, context):
            raise RuntimeError("no luck")

    @register_artefact
    class NotArrays(Artefact):
        name = "not_arrays"

        def after_fit(self, context):
            return {"bad": [object()]}

    records = _serial(tmp_path, {"artefacts": ["broken", "not_arrays", "grid"]})
    (record,) = records
    assert record["status"] == "ok" and record["error"] is None
    assert "artefact 'broken' not stored: RuntimeError: no luck" in record["error_detail"]
    assert "artefact 'not_arrays' not stored: TypeError" in record["error_detail"]
    with ResultStore(tmp_path, create=False) as store:
        assert store.artefacts("broken") == {} and store.artefacts("not_arrays") == {}
        assert set(store.artefacts("grid")) == {record["job_key"]}  # the others are still stored


def test_producers_run_after_the_timed_part_with_the_record_complete(tmp_path, registry):
    seen = []

    @register_artefact
    class Spy(Artefact):
        name = "spy"

        def after_fit(self, context):
            seen.append(dict(context.record))
            return None

    (record,) = _serial(tmp_path, {"artefacts": ["spy"]})
    (at_call,) = seen
    assert at_call["status"] == "ok"
    for column in ("fit_seconds", "predict_seconds", "score_seconds", "test_roc_auc", "peak_rss_bytes"):
        assert at_call[column] == record[column] and not np.isnan(at_call[column])  # set before, unchanged after


def test_artefacts_run_only_on_the_jobs_the_reports_draw_and_can_be_switched_off(tmp_path):
    from familybench.bench.plan.jobs import expand

    suite = parse_suite({"seeds": 3, "datasets": {"moons": SMALL}, "models": ["linear"], "artefacts": []},
                        source="<t>")
    assert suite.artefacts == () and not any(job.artefacts for job in expand(suite))
    records = _serial(tmp_path, {"artefacts": []})
    with ResultStore(tmp_path, create=False) as store:
        assert store.artefacts("grid") == {} and store.artefacts("view", "dataset") == {}
    assert records[0]["status"] == "ok"


def test_an_unknown_artefact_is_a_one_line_suite_error_naming_the_known_ones():
    with pytest.raises(SuiteError) as info:
        parse_suite({"datasets": ["moons"], "models": ["linear"], "artefacts": ["grid", "histogram"]}, source="s.toml")
    message = str(info.value)
    assert "\n" not in message and message.startswith("s.toml: artefacts: unknown artefact 'histogram'")
    assert "known: " in message and all(name in message for name in ("first_layer", "grid", "view"))
    with pytest.raises(SuiteError, match=r"artefacts: expected a list of artefact names"):
        parse_suite({"datasets": ["moons"], "models": ["linear"], "artefacts": "grid"}, source="s.toml")
    with pytest.raises(ArtefactError, match="unknown artefact 'nope'"):
        get_artefact("nope")


def test_a_producer_only_the_report_module_registers_is_refused(tmp_path, monkeypatch, registry):
    (tmp_path / "onlyreport.py").write_text(EXTERNAL.replace('"test_rows"', '"report_only_rows"'))
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(SuiteError, match=r"'report_only_rows' is registered by the report module, which workers do "
                                         r"not import; list that module in plugins"):
        parse_suite({"datasets": ["moons"], "models": ["linear"], "report": "onlyreport"}, source="s.toml")


def test_plot_seeds_is_an_alias_of_artefact_seeds_for_one_release():
    from familybench.bench.plan.jobs import expand

    table = {"seeds": [0, 1], "datasets": ["moons"], "models": {"b": {"model": "linear", "plot_seeds": "all"}}}
    with pytest.warns(DeprecationWarning, match=r"models.b.plot_seeds is deprecated .* artefact_seeds"):
        old = parse_suite(table, source="<t>")
    new = parse_suite({**table, "models": {"b": {"model": "linear", "artefact_seeds": "all"}}}, source="<t>")
    assert [bool(j.artefacts) for j in expand(old)] == [bool(j.artefacts) for j in expand(new)] == [True, True]
    table["models"]["b"]["artefact_seeds"] = "all"
    with pytest.raises(SuiteError, match=r"models.b.plot_seeds: give artefact_seeds only"), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        parse_suite(table, source="<t>")


def test_the_built_in_suites_use_the_new_name():
    from importlib import resources

    for entry in resources.files("familybench.bench.suite.builtin").iterdir():
        if entry.name.endswith(".toml"):
            assert "plot_seeds" not in entry.read_text("utf-8"), entry.name


def test_registering_refuses_a_built_in_name_and_a_non_producer(registry):
    with pytest.raises(ArtefactError, match="'grid' is built in"):
        register_artefact(type("Mine", (Artefact,), {"name": "grid"}))
    with pytest.raises(ArtefactError, match="expected a subclass or instance"):
        register_artefact(object())
    register_artefact(type("Mine", (Artefact,), {}), name="mine")
    assert "mine" in list_artefacts() and get_artefact("mine").name == "mine"


def test_importing_the_artefacts_module_stays_light():
    code = "import sys, familybench.artefacts; print(sorted(m for m in ('numpy', 'pandas', 'sklearn') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# -- the built-in producers


def test_plot_grid_2d_and_1d():
    data = load_dataset("moons", n_noise_features=2, **SMALL)
    grid = plot_grid(data, resolution=20)
    assert grid.shape == (400, 4) and list(grid.columns) == list(data.X.columns)
    assert (grid[["noise_1", "noise_2"]] == 0).all().all()
    span = data.X["x1"].max() - data.X["x1"].min()
    assert np.isclose(grid["x1"].min(), data.X["x1"].min() - 0.05 * span)
    # x1 varies fastest: a reshaped prediction is an image indexed [x2, x1].
    assert grid["x1"].iloc[0] < grid["x1"].iloc[1] and grid["x2"].iloc[0] == grid["x2"].iloc[1]
    curve = plot_grid(load_dataset("sine1d", **SMALL), resolution=25)
    assert curve.shape == (100, 1) and curve["x"].is_monotonic_increasing
    assert plot_grid(load_dataset("friedman1", **SMALL)) is None
    assert plot_grid(load_dataset("apartments", **SMALL)) is None


def test_first_layer_in_input_space_from_the_fitted_pipeline():
    import pandas as pd

    from familybench.models import get_model
    from familybench.reports.lecture._artefacts import first_layer

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(200, 3)) * [10.0, 0.1, 3.0] + [5.0, -2.0, 0.0], columns=["x1", "x2", "x3"])
    y = ((X["x1"] - 5) / 10 + (X["x2"] + 2) * 10 > 0).astype(int)
    model = get_model("mlp", task="binary", hidden_layer_sizes=(3,), max_epochs=3, random_state=0).fit(X, y)

    class Data:
        pass

    data = Data()
    data.X = X
    W, b = first_layer(model, data)
    layer = model.module_[0]
    expected = model.preprocessor_.transform(X) @ layer.weight.detach().numpy().T.astype(float) + layer.bias.detach().numpy()
    np.testing.assert_allclose(X.to_numpy() @ W.T + b, expected, rtol=1e-4, atol=1e-4)
    wedge = load_dataset("wedge", n_samples=300)
    hand = get_model("lecture_wedge", task="binary").fit(wedge.X, wedge.y)
    W, b = first_layer(hand, wedge)
    np.testing.assert_array_equal(W, [[-2, 1], [2, 1]])
    np.testing.assert_array_equal(b, [5, -5])
    assert first_layer(get_model("linear", task="binary").fit(wedge.X, wedge.y), wedge) is None


# -- storage


def _encode(arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


def _v2_store(directory):
    """A store as schema 2 wrote it: predictions and dataset_views tables of their own."""
    db = legacy_store(directory, 2, dict(job_key="k1", config="mlp2", model="mlp", dataset="wedge", status="ok",
                                         seed=0, fold=0, test_accuracy=0.9), plan=True)
    db.execute("INSERT INTO predictions VALUES (?, ?)", ("k1", _encode(
        {"proba": np.full((4, 2), 0.5, np.float32), "first_layer_weights": np.eye(2), "first_layer_bias": np.ones(2)})))
    db.execute("INSERT INTO dataset_views VALUES (?, ?)", ("wedge", _encode({"grid": np.zeros((4, 2))})))
    db.execute("PRAGMA user_version = 2")
    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    db.commit()
    db.close()
    return directory


def _read_all(directory):
    from familybench.reports import load_context

    context = load_context(directory)
    return (context.artefacts("grid"), context.artefacts("first_layer"), context.artefacts("view", "dataset"))


def _check_legacy(grid, lines, views):
    assert set(grid) == {"k1"} and list(grid["k1"]) == ["proba"] and grid["k1"]["proba"].shape == (4, 2)
    np.testing.assert_array_equal(lines["k1"]["weights"], np.eye(2))
    np.testing.assert_array_equal(lines["k1"]["bias"], np.ones(2))
    assert views["wedge"]["grid"].shape == (4, 2)


def test_a_v2_store_is_read_by_name_without_being_changed(tmp_path):
    directory = _v2_store(tmp_path / "old")
    before = hashlib.sha256((directory / "results.sqlite").read_bytes()).hexdigest()
    _check_legacy(*_read_all(directory))
    assert hashlib.sha256((directory / "results.sqlite").read_bytes()).hexdigest() == before
    assert sorted(p.name for p in directory.iterdir()) == ["results.sqlite"]


def test_a_writer_moves_a_v2_stores_artefacts_into_the_artefacts_table(tmp_path):
    directory = _v2_store(tmp_path / "old")
    with ResultStore(directory) as store:
        store.write(empty_record(job_key="k2", config="linear", model="linear", dataset="wedge", status="ok"),
                    {"grid": {"proba": np.zeros((4, 2))}})
    db = sqlite3.connect(directory / "results.sqlite")
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    rows = sorted(db.execute("SELECT scope, key, name FROM artefacts").fetchall())
    db.close()
    assert "predictions" not in tables and "dataset_views" not in tables
    assert rows == [("dataset", "wedge", "view"), ("job", "k1", "first_layer"), ("job", "k1", "grid"),
                    ("job", "k2", "grid")]
    grid, lines, views = _read_all(directory)
    _check_legacy({"k1": grid["k1"]}, lines, views)
    assert familybench.load_results(directory).set_index("job_key").loc["k1", "schema_version"] == SCHEMA_VERSION


def test_a_job_written_again_loses_the_artefacts_of_its_earlier_run(tmp_path):
    with ResultStore(tmp_path) as store:
        store.write(empty_record(job_key="k", status="ok"), {"grid": {"values": np.ones(3)}, "extra": {"a": np.ones(1)}})
        store.write(empty_record(job_key="k", status="ok"), {"grid": {"values": np.zeros(3)}})
        assert store.artefacts("extra") == {}
        np.testing.assert_array_equal(store.artefacts("grid")["k"]["values"], np.zeros(3))
        store.write_dataset_artefacts("moons", {"view": {"grid": np.ones((2, 2))}})
        store.write_dataset_artefacts("moons", {"view": {"grid": np.zeros((2, 2))}})
        assert store.artefacts("view", "dataset")["moons"]["grid"].sum() == 0
