"""The runner: records, resume, failures, timeouts, crashes and parallel determinism."""

from __future__ import annotations

import json
import sqlite3

import numpy as np
import pytest

import familybench
from familybench.bench.execute.inprocess import InProcessExecutor
from familybench.bench.execute.process import ProcessExecutor
from familybench.bench.results.record import COLUMNS, SCHEMA_VERSION
from familybench.bench.results.store import export_results, load_results
from familybench.bench.run.driver import RunOptions, execute, resolve_suite
from familybench.bench.suite.spec import parse_suite

TINY_DATA = {"moons": {"n_samples": 200}, "sine1d": {"n_samples": 200}}
TINY_MODELS = {
    "linear": {"model": "linear"},
    "gbm": {"model": "lightgbm", "params": {"n_estimators": 15}},
    "mlp": {"model": "mlp", "params": {"hidden_layer_sizes": [8], "max_epochs": 5}},
}


def tiny_suite(models=None, datasets=None, **extra):
    table = {"seeds": 2, "datasets": datasets or TINY_DATA, "models": models or TINY_MODELS, **extra}
    return parse_suite(table, source="<test>", default_name="tiny")


HOG_BYTES = 64 * 2**20  # above glibc's largest mmap threshold (32 MiB): always fresh pages


class _RssHog:
    """Touches HOG_BYTES inside its fit and frees them before returning (the RSS at exit is
    back where it started: only a peak probe sees them)."""

    def __init__(self, **params):
        from sklearn.linear_model import LinearRegression

        self.model = LinearRegression(**params)

    def get_params(self, deep=True):
        return self.model.get_params(deep)

    def fit(self, X, y, sample_weight=None):
        block = np.ones(HOG_BYTES // 8)
        assert block.sum() == block.size
        del block
        self.model.fit(X, y, sample_weight=sample_weight)
        self.n_params_ = self.model.coef_.size + 1
        return self

    def predict(self, X):
        return self.model.predict(X)


def test_peak_rss_bytes_is_the_peak_of_the_fit_above_its_start(tmp_path, clean_registry):
    """A probe that reports 0, or the RSS after the fit, gives far less than HOG_BYTES here."""
    from familybench.models import register

    register("rss_hog", lambda task, **p: _RssHog(**p), family="linear", tasks=("regression",), replace=True)
    suite = parse_suite({"seeds": 1, "datasets": {"sine1d": {"n_samples": 100}}, "models": ["rss_hog"]},
                        source="<test>", default_name="hog")
    execute(suite, tmp_path, executor="serial")
    frame = load_results(tmp_path)
    assert len(frame) == 1 and frame["status"].eq("ok").all(), frame["error"].tolist()
    peak = int(frame["peak_rss_bytes"].iloc[0])
    assert 0.9 * HOG_BYTES <= peak < 4 * HOG_BYTES, peak  # (pages freed elsewhere meanwhile)


def test_serial_run_writes_one_complete_record_per_job(tmp_path):
    run_id, records = execute(tiny_suite(), tmp_path, executor="serial")
    assert len(records) == 3 * 2 * 2
    frame = load_results(tmp_path)
    assert list(frame.columns) == list(COLUMNS)
    assert (frame["status"] == "ok").all(), frame["error"].dropna().tolist()
    assert (frame["schema_version"] == SCHEMA_VERSION).all() and (frame["run_id"] == run_id).all()
    moons = frame[frame["dataset"] == "moons"]
    assert len(moons) == 6 and moons["task"].eq("binary").all()
    assert moons["test_roc_auc"].between(0.0, 1.0).all() and moons["test_rmse"].isna().all()
    assert moons.loc[moons["config"] != "mlp", "test_roc_auc"].gt(0.7).all()  # the 5-epoch MLP is untrained
    sine = frame[frame["dataset"] == "sine1d"]
    assert len(sine) == 6 and sine["test_r2"].notna().all() and sine["test_accuracy"].isna().all()
    assert (frame["n_train"] == 160).all() and (frame["n_test"] == 40).all()
    assert (frame["fit_seconds"] > 0).all() and (frame["predict_rows_per_second"] > 0).all()
    assert frame["fit_seconds_samples"].map(len).eq(1).all()
    # above each fit's start: a tiny fit may add nothing, so 0 is fine here; the probe itself is
    # held to a fit of known size in test_peak_rss_bytes_is_the_peak_of_the_fit_above_its_start
    assert frame["peak_rss_bytes"].notna().all() and (frame["peak_rss_bytes"] >= 0).all()
    linear = frame[(frame["config"] == "linear") & (frame["dataset"] == "sine1d")]
    assert len(linear) == 2 and (linear["n_params"] == 2).all()
    assert frame.loc[frame["config"] == "mlp", "n_epochs"].eq(5).all()
    assert set(frame["family"]) == {"linear", "boosting", "mlp"}


def test_rerun_resumes_and_fresh_starts_over(tmp_path):
    suite = tiny_suite(models={"linear": {"model": "linear"}})
    _, first = execute(suite, tmp_path, executor="serial")
    _, second = execute(suite, tmp_path, executor="serial")
    assert len(first) == 4 and second == []
    _, fresh = execute(suite, tmp_path, executor="serial", fresh=True)
    assert len(fresh) == 4
    assert len(load_results(tmp_path)) == 4


@pytest.mark.e2e
def test_same_seed_same_metrics_and_seeds_change_splits(tmp_path):
    suite = tiny_suite(models={"gbm": TINY_MODELS["gbm"]})
    execute(suite, tmp_path / "a", executor="serial")
    execute(suite, tmp_path / "b", executor="serial")
    a, b = load_results(tmp_path / "a"), load_results(tmp_path / "b")
    np.testing.assert_array_equal(a["test_r2"].to_numpy(), b["test_r2"].to_numpy())
    by_seed = a[a["dataset"] == "sine1d"].set_index("seed")["test_r2"]
    assert by_seed[0] != by_seed[1]


@pytest.mark.e2e
def test_failures_are_recorded_and_the_rest_continue(tmp_path):
    suite = tiny_suite(
        models={"boom": {"model": "badmodels:Boom"}, "diverge": {"model": "badmodels:diverging_mlp"}, "linear": {}},
        datasets={"sine1d": {"n_samples": 200}},
    )
    execute(suite, tmp_path, executor="serial")
    frame = load_results(tmp_path).set_index(["config", "seed"])
    assert frame.loc[("boom", 0), "status"] == "failed"
    assert frame.loc[("boom", 0), "error"] == "RuntimeError: boom: this model always fails"
    assert "second line of detail" in frame.loc[("boom", 0), "error_detail"]
    assert frame.loc[("diverge", 0), "status"] == "failed"
    assert frame.loc[("diverge", 0), "error"].startswith("FloatingPointError: MLP training loss became")
    assert (frame.xs("linear")["status"] == "ok").all()
    # retry_failed runs only the failures again
    _, again = execute(suite, tmp_path, executor="serial", retry_failed=True)
    assert sorted({r["config"] for r in again}) == ["boom", "diverge"]


def test_model_task_mismatch_is_skipped_not_failed(tmp_path):
    from sklearn.linear_model import Ridge

    from familybench.models import register

    register("ridge_only", Ridge, family="linear", tasks=("regression",), replace=True)
    suite = tiny_suite(models={"ridge_only": {}}, datasets={"moons": {"n_samples": 100}})
    execute(suite, tmp_path, executor="serial")
    frame = load_results(tmp_path)
    assert (frame["status"] == "skipped").all()
    assert frame["error"].iloc[0] == "model 'ridge_only' does not support task 'binary'"


@pytest.mark.e2e
def test_process_executor_kills_hanging_jobs_survives_crashes_and_keeps_going(tmp_path):
    suite = tiny_suite(
        models={
            "hang": {"model": "badmodels:Hang", "timeout": 2},
            "crash": {"model": "badmodels:Crash"},
            "linear": {},
        },
        datasets={"sine1d": {"n_samples": 100}},
        seeds=1,
    )
    _, records = execute(suite, tmp_path, executor=ProcessExecutor(n_workers=2))
    frame = load_results(tmp_path).set_index("config")
    assert frame.loc["hang", "status"] == "timeout"
    assert frame.loc["hang", "error"] == "stopped after the 2 s timeout"
    assert 2 <= frame.loc["hang", "job_seconds"] < 30
    assert frame.loc["crash", "status"] == "failed"
    assert frame.loc["crash", "error"] == "worker process crashed (exit code 3) while running this job"
    assert frame.loc["linear", "status"] == "ok"
    assert frame.loc["linear", "threads"] == 1  # 2 CPUs split over 2 workers (on this machine)


@pytest.mark.e2e
def test_parallel_workers_give_the_same_metrics_as_serial(tmp_path):
    suite = tiny_suite(models={"gbm": TINY_MODELS["gbm"], "mlp": TINY_MODELS["mlp"]}, datasets={"moons": {"n_samples": 200}})
    execute(suite, tmp_path / "serial", executor=InProcessExecutor(threads=1))
    execute(suite, tmp_path / "parallel", executor=ProcessExecutor(n_workers=2, threads=1))
    cols = ["config", "seed", "test_roc_auc", "test_log_loss", "n_params"]
    a = load_results(tmp_path / "serial")[cols]
    b = load_results(tmp_path / "parallel")[cols]
    assert a.equals(b)


def test_store_never_duplicates_and_exports(tmp_path):
    suite = tiny_suite(models={"linear": {}})
    execute(suite, tmp_path, executor="serial")
    execute(suite, tmp_path, executor="serial", retry_failed=True)
    with sqlite3.connect(tmp_path / "results.sqlite") as db:
        assert db.execute("SELECT COUNT(*), COUNT(DISTINCT job_key) FROM results").fetchone() == (4, 4)
        runs = db.execute("SELECT meta, suite FROM runs").fetchall()
    meta, suite_json = json.loads(runs[0][0]), json.loads(runs[0][1])
    assert meta["versions"]["scikit-learn"] and meta["cpu_count"] >= 1 and "python" in meta
    assert suite_json["seeds"] == [0, 1]
    csv = export_results(tmp_path, tmp_path / "out.csv")
    parquet = export_results(tmp_path, tmp_path / "out.parquet")
    import pandas as pd

    assert len(pd.read_csv(csv)) == 4 and len(pd.read_parquet(parquet)) == 4


def test_grid_predictions_and_dataset_views_are_stored(tmp_path):
    from familybench.bench.results.store import ResultStore

    execute(tiny_suite(models={"linear": {}}), tmp_path, executor="serial")
    with ResultStore(tmp_path) as store:
        views, predictions = store.artefacts("view", "dataset"), store.artefacts("grid")
    assert set(views) == {"moons", "sine1d"}
    assert views["moons"]["grid"].shape[1] == 2 and "true_curve" in views["sine1d"]
    frame = load_results(tmp_path)
    key = frame.loc[(frame["dataset"] == "moons") & (frame["seed"] == 0), "job_key"].iloc[0]
    assert predictions[key]["proba"].shape == (len(views["moons"]["grid"]), 2)
    # The reports draw the lowest seed: the other seeds' grids are not predicted nor stored.
    assert set(predictions) == set(frame.loc[frame["seed"] == frame["seed"].min(), "job_key"])


@pytest.mark.e2e
def test_python_api_mirrors_the_cli(tmp_path):
    frame = familybench.run(
        models=["linear"], datasets=["sine1d"], seeds=1, out=tmp_path, executor="serial", progress=False
    )
    assert len(frame) == 1 and frame["status"].iloc[0] == "ok"
    assert (tmp_path / "report.md").read_text().startswith("# familybench report")


def test_resolve_suite_needs_models_and_data():
    with pytest.raises(familybench.FamilybenchError, match="give a suite"):
        resolve_suite(RunOptions(models=["linear"]))


def test_progress_eta_leaves_out_the_first_jobs_warm_up(monkeypatch):
    import io

    from familybench.bench.run import hooks as progress

    clock = iter([0.0, 10.0, 11.0, 12.0])  # start; job 1 ends after a 9 s warm-up; then 1 s per job
    monkeypatch.setattr(progress.time, "perf_counter", lambda: next(clock))
    stream = io.StringIO()
    bar = progress.ProgressBar(stream=stream)
    bar.on_run_start(10, 0, "s", "out")
    for seed in range(3):
        bar.on_job_end({"status": "ok", "config": "c", "dataset": "d", "seed": seed, "job_seconds": 1.0})
    lines = stream.getvalue().splitlines()
    assert "ETA 0:09" in lines[1]  # 1 s (the job's own time) x 9 left, not 10 s x 9
    assert "ETA 0:07" in lines[3]  # 1 s per job since the first x 7 left
    assert "failed 0" in lines[3] and "3/10" in lines[3]


_MIB = 2**20


def test_peak_memory_sees_a_freed_allocation_and_runs_no_thread():
    import threading

    from familybench.bench.execute.worker import _PeakMemory, _reset_peak_rss

    if not _reset_peak_rss():
        pytest.skip("this kernel refuses to reset the peak RSS (/proc/self/clear_refs)")
    memory = _PeakMemory()
    threads = threading.active_count()
    with memory:
        block = np.ones(200 * _MIB // 8)  # written, so resident
        assert threading.active_count() == threads  # nothing samples beside the fit
        del block  # gone before the block ends: only a peak measurement sees it
    assert memory.peak_above_start >= 150 * _MIB
    with memory:  # a second fit of the same job: the first one's peak is kept, not reset away
        pass
    assert memory.peak_above_start >= 150 * _MIB


def test_peak_memory_without_the_kernels_reset_still_sees_what_the_fit_holds(monkeypatch):
    from familybench.bench.execute import worker

    monkeypatch.setattr(worker, "_reset_peak_rss", lambda: False)  # as on macOS
    memory = worker._PeakMemory()
    with memory:
        block = np.ones(100 * _MIB // 8)
    assert memory.peak_above_start >= 80 * _MIB
    del block


def test_environment_probe_unpickles_without_importing_torch():
    """The probe travels from a job process to its Dask worker and the client: a
    ``TorchVersion`` in it would import torch (a second of CPU) wherever it is read."""
    import pickle
    import subprocess
    import sys

    import torch  # noqa: F401  (the probe asks torch only when the warm-up imported it)

    from familybench.bench.execute.worker import environment_probe

    info = environment_probe()
    assert isinstance(info["torch"], str) and info["torch"]
    code = "import pickle, sys; pickle.loads(sys.stdin.buffer.read()); print('torch' in sys.modules)"
    read = subprocess.run([sys.executable, "-c", code], input=pickle.dumps(info), capture_output=True, check=True)
    assert read.stdout.strip() == b"False"


def test_a_crashed_process_is_described_by_its_signal_or_exit_code():
    from familybench._errors import exit_description

    assert exit_description(-9) == "signal SIGKILL"
    assert exit_description(3) == "exit code 3"
    assert exit_description(-200) == "signal 200"  # no such signal: its number, not a ValueError
