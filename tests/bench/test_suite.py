"""Suite files are validated up front, with errors naming the file, key and problem."""

from __future__ import annotations

import pytest

from familybench.bench.plan.jobs import expand
from familybench.bench.suite.spec import SuiteError, apply_fast, load_suite, parse_suite, select


def _write(tmp_path, text):
    path = tmp_path / "suite.toml"
    path.write_text(text)
    return path


BASE = """
seeds = 2
datasets = ["moons", "sine1d"]
[models.gbm]
model = "lightgbm"
params = { n_estimators = 20 }
grid = { num_leaves = [7, 15] }
[models.linear]
"""


def test_grid_expands_into_named_configs_and_jobs(tmp_path):
    suite = load_suite(_write(tmp_path, BASE))
    assert [m.config for m in suite.models] == ["gbm[num_leaves=7]", "gbm[num_leaves=15]", "linear"]
    assert suite.models[1].params == {"n_estimators": 20, "num_leaves": 15}
    jobs = expand(suite)
    assert len(jobs) == 3 * 2 * 2
    assert len({j.key for j in jobs}) == len(jobs)


def test_job_keys_are_stable_and_follow_content(tmp_path):
    a = {j.describe(): j.key for j in expand(load_suite(_write(tmp_path, BASE)))}
    b = {j.describe(): j.key for j in expand(load_suite(_write(tmp_path, BASE + "\n")))}
    assert a == b
    changed = {j.describe(): j.key for j in expand(load_suite(_write(tmp_path, BASE.replace("20", "21"))))}
    assert changed["linear on moons seed 0"] == a["linear on moons seed 0"]
    assert changed["gbm[num_leaves=7] on moons seed 0"] != a["gbm[num_leaves=7] on moons seed 0"]
    timeout = {j.describe(): j.key for j in expand(load_suite(_write(tmp_path, "timeout = 5\n" + BASE)))}
    assert timeout == a  # the time limit does not change what a job computes


def test_kfold_and_train_sizes_multiply_jobs(tmp_path):
    suite = load_suite(_write(tmp_path, "split = { kfold = 3 }\ntrain_sizes = [50, 100]\n" + BASE))
    jobs = expand(suite)
    assert len(jobs) == 3 * 2 * 2 * 3 * 2
    assert {j.fold for j in jobs} == {0, 1, 2} and {j.train_size for j in jobs} == {50, 100}


@pytest.mark.parametrize(
    "text, message",
    [
        ("seeds = 2\ndatasets = [", r"suite.toml: not valid TOML"),
        ("colour = 1\n" + BASE, r"suite.toml: colour: unknown key"),
        ('seeds = "three"\ndatasets = ["moons"]\nmodels = ["linear"]', r"suite.toml: seeds: expected an integer"),
        ('datasets = ["moons"]\nmodels = ["lightgmb"]', r"models.lightgmb.model: unknown model 'lightgmb' \(did you mean 'lightgbm'\?\)"),
        ('datasets = ["mons"]\nmodels = ["linear"]', r"datasets.mons: unknown dataset 'mons' \(did you mean 'moons'"),
        ('datasets = ["moons"]\n[models.x]\nmodel = "lightgbm"\nparams = { n_trees = 3 }', r"models.x.params: .*n_trees"),
        ('datasets = { moons = { n_sample = 10 } }\nmodels = ["linear"]', r"datasets.moons.n_sample: dataset 'moons' has no such parameter"),
        ('split = "random"\ndatasets = ["moons"]\nmodels = ["linear"]', r"split: expected \"holdout\" or"),
        ('device = "tpu"\ndatasets = ["moons"]\nmodels = ["linear"]', r"device: 'tpu' is not one of"),
        ('timeout = -1\ndatasets = ["moons"]\nmodels = ["linear"]', r"timeout: must be > 0"),
        ('datasets = { h = { path = "nope.csv", target = "y" } }\nmodels = ["linear"]', r"datasets.h.path: file not found"),
        ('models = ["linear"]', r"datasets: no datasets given"),
        ('datasets = ["moons"]\n[models.x]\nmodel = "linear"\ngrid = { C = 1 }', r"models.x.grid: expected a table of parameter = \[values"),
    ],
)
def test_malformed_suites_fail_with_one_line_naming_file_and_key(tmp_path, text, message):
    with pytest.raises(SuiteError, match=message) as info:
        load_suite(_write(tmp_path, text))
    assert "\n" not in str(info.value)
    assert str(info.value).startswith(str(tmp_path / "suite.toml"))


def test_missing_file_and_unknown_builtin_are_named(tmp_path):
    with pytest.raises(SuiteError, match="nope.toml: suite file not found"):
        load_suite(tmp_path / "nope.toml")
    with pytest.raises(SuiteError, match="unknown suite 'quik'; built-in suites: .*quick"):
        load_suite("quik")


def test_builtin_quick_suite_and_its_fast_variant():
    suite = load_suite("quick")
    assert {m.model for m in suite.models} == {"linear", "poly", "lightgbm", "mlp"}
    assert len(suite.seeds) == 3
    fast = apply_fast(suite)
    assert fast.seeds == (0,)
    assert dict((d.name, d.params) for d in fast.datasets)["diamonds"]["n_samples"] < 10000
    assert len(expand(fast)) < len(expand(suite))


def test_select_filters_by_config_or_model_name_and_rejects_unknowns(tmp_path):
    suite = load_suite(_write(tmp_path, BASE))
    assert [m.config for m in select(suite, models=["gbm"]).models] == ["gbm[num_leaves=7]", "gbm[num_leaves=15]"]
    assert [d.name for d in select(suite, datasets=["sine1d"]).datasets] == ["sine1d"]
    with pytest.raises(SuiteError, match="--models: 'mlp' not in this suite"):
        select(suite, models=["mlp"])


def test_file_datasets_resolve_relative_to_the_suite(tmp_path):
    (tmp_path / "houses.csv").write_text("a,b,price\n1,2,3\n2,3,4\n")
    suite = load_suite(_write(tmp_path, 'datasets = { houses = { path = "houses.csv", target = "price" } }\nmodels = ["linear"]'))
    [source] = suite.datasets
    assert source.loader == "file" and source.path == str(tmp_path / "houses.csv")
    assert len(source.identity()["sha256"]) == 16


def test_parse_suite_list_shorthand():
    suite = parse_suite({"datasets": ["moons"], "models": ["linear", "mlp"], "seeds": [3, 7]})
    assert suite.seeds == (3, 7) and [m.config for m in suite.models] == ["linear", "mlp"]


def test_per_model_seeds_and_train_sizes_override_the_suite(tmp_path):
    text = BASE + '\n[models.curve]\nmodel = "linear"\nseeds = [0, 1, 2, 3, 4]\ntrain_sizes = [100, 50]\n'
    suite = load_suite(_write(tmp_path, text))
    jobs = [j for j in expand(suite) if j.config == "curve"]
    assert len(jobs) == 2 * 5 * 2
    assert {j.train_size for j in jobs} == {50, 100} and {j.seed for j in jobs} == set(range(5))
    assert [m for m in suite.models if m.config == "curve"][0].train_sizes == (50, 100)
    with pytest.raises(SuiteError, match="models.bad.seeds: expected"):
        load_suite(_write(tmp_path, BASE + '\n[models.bad]\nmodel = "linear"\nseeds = -1\n'))


def test_the_gate_suite_gives_every_pair_seeds_to_judge_time():
    from familybench.bench.plan.jobs import expand
    from familybench.bench.run.driver import RunOptions, resolve_suite

    suite = resolve_suite(RunOptions(suite="gate"))
    assert len(suite.seeds) >= 3  # the compare gate judges time on seed pairs only
    assert {m.model for m in suite.models} == {"linear", "poly", "lightgbm", "mlp"}
    assert len(expand(suite)) == 4 * 4 * 3


def test_artefacts_are_planned_for_the_lowest_seed_unless_a_model_asks_for_all():
    from familybench.bench.plan.jobs import expand

    table = {"seeds": [3, 1, 2], "datasets": ["moons"],
             "models": {"a": {"model": "linear"}, "b": {"model": "linear", "artefact_seeds": "all"}}}
    jobs = expand(parse_suite(table, source="<t>"))
    plotted = {(j.config, j.seed) for j in jobs if j.artefacts}
    assert plotted == {("a", 1), ("b", 1), ("b", 2), ("b", 3)}
    assert {j.artefacts for j in jobs if j.artefacts} == {("view", "grid")}  # the built-in report's
    table["models"]["b"]["artefact_seeds"] = "some"
    with pytest.raises(SuiteError, match=r"models.b.artefact_seeds: expected"):
        parse_suite(table, source="<t>")
    from familybench.bench.run.driver import RunOptions, resolve_suite

    lecture = resolve_suite(RunOptions(suite="lecture", fast=True))
    assert [m.artefact_all_seeds for m in lecture.models if m.config == "mlp2"] == [True]  # the wedge's best seed
    assert lecture.artefacts == ("view", "grid", "first_layer")  # the lecture report adds its lines


def test_a_data_files_digest_is_read_once_and_follows_its_content(tmp_path, monkeypatch):
    import os

    from familybench.bench.suite import spec as suite_module

    path = tmp_path / "t.csv"
    path.write_text("x,y\n1,2\n3,4\n5,7\n")
    reads = []
    real_open = open
    monkeypatch.setattr(suite_module, "open", lambda p, *a, **k: reads.append(p) or real_open(p, *a, **k),
                        raising=False)
    first = suite_module._file_digest(str(path))
    assert suite_module._file_digest(str(path)) == first and len(reads) == 1  # every job key asks; one read
    path.write_text("x,y\n1,2\n3,4\n5,8\n")
    os.utime(path, ns=(1, 10**18))  # a new content, whatever the clock's resolution
    assert suite_module._file_digest(str(path)) != first and len(reads) == 2
