"""Every script under ``benchmarks/`` runs in its smoke mode, so a published figure can be
reproduced from main (issue 21).

A script is a ``benchmarks/*.py`` with a ``__main__`` block; the other files there are
helpers the scripts import (``speed_common.py``, ``timed_executor.py``). Each script runs
as ``python benchmarks/X.py --smoke`` in a subprocess (tiny sizes, one run: it checks that
the script runs and prints what it publishes, and measures nothing): exit 0, its result
lines printed with numbers, no job failed, no traceback. A new script without an entry in
``SMOKE`` fails ``test_every_script_has_a_smoke_run``. ``benchmarks/perf/`` (pytest-benchmark)
runs with ``--benchmark-disable`` (each benchmark once, untimed).

A smoke run takes 5-30 s on 2 cores (worker or Dask cluster start-ups with torch and
LightGBM warm-ups, two ``pip install`` of familybench): all but ``IN_TESTS`` are marked
``slow``, and CI runs them in a step of their own (``.ci/run``).
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "benchmarks"
TIMEOUT = 600  # seconds per script; a smoke run takes seconds to tens of seconds on 2 busy cores
NUMBER = r"-?[\d,]+(?:\.\d+)?"
VERDICT = r"\s+(?:PASS|MISS)\s+"

# script -> (arguments after --smoke, with {tmp} for a temporary directory; lines it must print)
SMOKE: dict[str, tuple[list[str], list[str]]] = {
    "speed.py": (
        # one section (each runs as its own script below; speed.py's reading of mlp's printed
        # table is checked on mlp_throughput.py's smoke output), its --json, the summary, --markdown
        ["--only", "scaling", "--markdown", "{tmp}/speed.md"],
        [r"^######## scaling: speed_scaling\.py$", rf"^######## summary \(scaling {NUMBER} s\)$",
         r"^section\s+measurement\s+value\s+unit\s+target\s+result$",
         rf"^scaling\s+lightgbm fit time log-log slope \(200-400 rows\)\s+{NUMBER}",
         rf"^scaling\s+mlp fit seconds at 400 rows\s+{NUMBER}\s+s",
         r"^markdown: .*speed\.md$"],
    ),
    "adapter_cost.py": ([], [
        r"^== adapter cost: 200 rows x 9 columns, 1 thread, 1 rounds in rotation ==$",
        *(rf"^{member}\s+{NUMBER}\s+{NUMBER}\s+{NUMBER}x  identical$" for member in ("catboost", "realmlp", "tabm")),
        rf"^{VERDICT}adapter fit time, worst member = {NUMBER}x the direct call  \(target <= 1\.05x\)$",
    ]),
    "ensemble_cost.py": ([], [
        rf"^== ensemble cost: 16 trials in run; the run took {NUMBER} s ==$",
        r"^step\s+count\s+seconds\s+peak MiB$", rf"^read\s+20\s+{NUMBER}\s+{NUMBER}$",  # 16 trials, 4 plot jobs
        rf"^config\s+4\s+{NUMBER}\s+{NUMBER}$", rf"^family\s+4\s+{NUMBER}\s+{NUMBER}$",
        rf"^portfolio\s+2\s+{NUMBER}\s+{NUMBER}$",
        rf"^{VERDICT}ensembling, all scopes = {NUMBER} s = {NUMBER}% of the run's wall time  \(target <= 5%\)$",
    ]),
    "gpu_check.py": ([], [
        r"^== GPU check: 300 training rows, 75 test rows; CUDA: (yes|no) ==$",
        *(rf"^{model}\s+cpu\s+{NUMBER}\s+{NUMBER}" for model in ("mlp", "realmlp", "tabm", "xgboost", "catboost")),
        r"^(no CUDA device: the GPU figures are unmeasured|every GPU path agrees with its CPU path)",
    ]),
    "speed_startup.py": ([], [
        r"^== start-up ==$", r"^measure \(median\)\s+seconds\s+x python$",
        rf"^familybench: first progress line\s+{NUMBER}\s+{NUMBER}$",
        rf"^{VERDICT}command to first progress line = {NUMBER} s  \(target <= 2 s\)$",
        rf"^{VERDICT}linear-only run \(.*\): command to first finished job = {NUMBER} s  \(target <= 3 s\)$",
        rf"^fit\+predict linear\s+{NUMBER}$", r"^heaviest third-party packages",
    ]),
    "speed_overhead.py": (["--profile"], [
        r"^== harness overhead ==$",
        r"^workload\s+jobs\s+wall s\s+warm-up s\s+model s\s+overhead\s+in-worker\s+start\s+dispatch\s+tail$",
        rf"^quick\s+4\s+{NUMBER}", rf"^tiny\s+2\s+{NUMBER}",
        rf"^harness seconds per job: quick {NUMBER} ms, tiny {NUMBER} ms$",
        rf"^{VERDICT}harness overhead, quick \(smoke: .*\) = {NUMBER}%  \(target <= 5%\)$",
        r"^profile of the tiny grid in-process \(2 jobs\)",
    ]),
    "speed_parallel.py": ([], [
        r"^== parallel throughput ==$", rf"^jobs 1\s+4\s+{NUMBER}", rf"^jobs 2\s+4\s+{NUMBER}",
        rf"^speed-up \(wall jobs1 / wall jobs2\): {NUMBER}x; per-round paired ratios: {NUMBER}$",
        rf"^linear\s+{NUMBER}\s+{NUMBER}\s+{NUMBER}$",
        rf"^{VERDICT}--jobs 2 vs --jobs 1 wall speed-up, quick \(smoke: .*\) = {NUMBER}x  \(target >= 1\.3x\)$",
    ]),
    "speed_scaling.py": ([], [
        r"^== fit-time scaling ==$", r"^family\s+200 s\s+400 s\s+rows/s @max\s+slope\s+slope top 2\s+max/min$",
        *(rf"^{family}\s+{NUMBER}\s+{NUMBER}\s+{NUMBER}\s+{NUMBER}" for family in ("linear", "poly", "lightgbm", "mlp")),
        r"^targets: none \(informational\)$",
    ]),
    "speed_report.py": ([], [
        r"^== report generation ==$", r"^built 10 jobs in .* \(0 not ok\)$",
        rf"^write_report \(md \+ figures \+ html\)\s+{NUMBER}\s+1$",
        r"^cProfile of one write_report",
        rf"^{VERDICT}write_report, 10-job run = {NUMBER} s  \(target <= 10 s\)$",
        rf"^{VERDICT}familybench report \(fresh process\), 10-job run = {NUMBER} s  \(target <= 10 s\)$",
    ]),
    "mlp_throughput.py": ([], [
        rf"^float32 matmul 2048\^3: {NUMBER} GFLOP/s$",
        *(rf"^{name}\s+{NUMBER}\s+{NUMBER}x\s+{NUMBER}\s+{NUMBER}%\s+{NUMBER}$"
          for name in ("plain torch loop", "familybench mlp", "DataLoader loop", "sklearn MLPRegressor")),
        rf"^targets: mlp/plain = {NUMBER} \(>= 0\.9\), mlp/sklearn = {NUMBER} \(>= 0\.9\)",
        r"^what lifts the share of the matmul peak",
        rf"^fused\s+4096\s+{NUMBER}\s+{NUMBER}x\s+{NUMBER}\s+{NUMBER}%\s+{NUMBER}$",
    ]),
    "speed_tuning.py": ([], [
        r"^== tuning: familybench vs a hand-written loop ==$",
        rf"^hand loop\s+{NUMBER}\s+{NUMBER}$",
        r"^largest metric difference familybench vs loop, lightgbm: ",
        r"^largest metric difference familybench vs loop, mlp: ",
        rf"^{VERDICT}tuning wall, familybench --jobs 1 / hand loop = {NUMBER}x  \(target <= 1\.10\)$",
        rf"^{VERDICT}tuning speed-up --jobs 2 vs --jobs 1 = {NUMBER}x  \(target >= 1\.6\)$",
    ]),
    "speed_statistics.py": ([], [
        r"^== statistics across datasets ==$",
        rf"^statistics section: {NUMBER} s of a {NUMBER} s report",
        rf"^{VERDICT}statistics added to a 80-job report = {NUMBER} s  \(target <= 2 s\)$",
    ]),
    "speed_dask.py": ([], [
        r"^== Dask executor ==$",
        *(rf"^{mode}\s+4\s+0\s+{NUMBER}" for mode in ("process 2", "dask 2", "dask 1", "process 1", "dask 1 x1")),
        rf"^wall dask 2 / process 2: {NUMBER}x \(bootstrap 95% interval",
        rf"^dask 2\s+{NUMBER}\s+{NUMBER}\s+{NUMBER}\s+{NUMBER}$",  # steady jobs' dispatch overhead
        rf"^{VERDICT}--executor dask --jobs 2 vs process --jobs 2 wall, .* = {NUMBER}x  \(target <= 1\.15x\)$",
        rf"^{VERDICT}Dask 2 workers vs 1 wall speed-up, .* = {NUMBER}x  \(target >= 1\.6x\)$",
    ]),
    "dataset_selection.py": ([], [
        r"^\| dataset \| task \| rows \| features \| linear \| hist_gbm \| mlp \| relative gap \| passes \|$",
        rf"^\| quakes \| regression \| 200 \| 4 \|( {NUMBER} ± {NUMBER} \|){{3}} {NUMBER}% \| (yes|no) \|$",
    ]),
    "false_alarms.py": (["--history"], [
        r"^apart\s+[0-3]/3 comparisons flagged", r"^interleaved\s+[01]/1 comparisons flagged",
        r"^history\s+[0-2]/2 flat histories of 4 commits raised an alarm \(\d+%; 6 series each\)",
        rf"^\s+linear\s+median \|change\|\s+{NUMBER}%, 90th percentile\s+{NUMBER}%",
    ]),
    "perf_ab.py": ([], [
        r"^baseline HEAD \([0-9a-f]{10}\) vs working tree, 1 rounds each, alternating$",
        rf"^noise \(sd of log round medians, pooled\): {NUMBER}; threshold: \+{NUMBER}%$",
        rf"^fit/test_fit\[linear\]\s+{NUMBER}\s+{NUMBER}\s+{NUMBER}x  (ok|faster|REGRESSION)$",
        rf"^predict/test_predict\[linear\]\s+{NUMBER}\s+{NUMBER}\s+{NUMBER}x  (ok|faster|REGRESSION)$",
        r"^\d+ regression\(s\)$",
    ]),
}


# Run in `nox -s tests` (a few seconds): the orchestrator with its cheapest section. Every
# other smoke run is marked slow, so `nox -s tests` stays under 5 minutes on 2 cores; CI runs
# them all (.ci/run: `nox -s tests -- -m slow tests/e2e tests/bench tests/reports`), as does `nox -s slow`.
IN_TESTS = {"speed.py"}
SLOW = {script.name for script in (ROOT / "benchmarks").glob("*.py")} - IN_TESTS


def scripts() -> list[str]:
    """The runnable scripts: ``benchmarks/*.py`` with a ``__main__`` block."""
    return sorted(p.name for p in BENCH.glob("*.py") if 'if __name__ == "__main__":' in p.read_text())


def env(**extra) -> dict:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in [str(ROOT / "src"), os.environ.get("PYTHONPATH", "")] if p), "MPLBACKEND": "Agg", **extra}


def run(args: list[str], timeout: float = TIMEOUT, **extra_env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env(**extra_env), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=timeout)


def test_every_script_has_a_smoke_run():
    found = scripts()
    assert len(found) >= 13, found  # the glob found the scripts
    assert sorted(SMOKE) == found, "a script under benchmarks/ without a smoke run here (or one gone)"
    assert IN_TESTS <= set(found), IN_TESTS - set(found)
    helpers = sorted(p.name for p in BENCH.glob("*.py") if p.name not in found)
    assert helpers == ["speed_common.py", "timed_executor.py"]
    sources = "\n".join(p.read_text() for p in BENCH.glob("*.py"))
    for helper in helpers:  # a helper is imported by a script, not a script missing its __main__
        assert re.search(rf"^\s*(import|from) {Path(helper).stem}\b", sources, re.M), helper
    for name in found:  # and each script takes --smoke
        assert "--smoke" in (BENCH / name).read_text(), name


@pytest.mark.parametrize("script", [pytest.param(s, marks=[pytest.mark.slow] if s in SLOW else [])
                                    for s in sorted(SMOKE)])
def test_smoke_run(script, tmp_path):
    args, lines = SMOKE[script]
    result = run([str(BENCH / script), "--smoke", *(a.format(tmp=tmp_path) for a in args)])
    out = result.stdout
    assert result.returncode == 0, f"{script} --smoke exited {result.returncode}:\n{out[-6000:]}"
    assert "Traceback" not in out, out[-6000:]
    assert not re.search(r"failed[= ][1-9]", out), f"jobs failed in {script} --smoke:\n{out[-6000:]}"
    missing = [line for line in lines if not re.search(line, out, re.M)]
    assert not missing, f"{script} --smoke did not print {missing}:\n{out[-6000:]}"
    if script == "speed.py":
        md = (tmp_path / "speed.md").read_text()
        assert "**Smoke run (--smoke): not a measurement.**" in md
        assert re.search(r"^\| scaling \| linear fit time log-log slope .* \| -?[\d.]+ \|", md, re.M), md
    if script == "mlp_throughput.py":  # what speed.py reads from it (it has no --json)
        items = {it["name"]: it for it in speed_module().mlp_items(out, quick=True)}
        assert set(items) == {
            "familybench MLP training throughput", "familybench MLP achieved GFLOP/s (share of matmul peak)",
            "float32 matmul peak, same run", "MLP throughput ratio mlp/plain", "MLP throughput ratio mlp/sklearn",
        }, items
        assert all(it["value"] > 0 for it in items.values()), items


def speed_module():
    """benchmarks/speed.py as a module (it imports speed_common from its folder)."""
    sys.path.insert(0, str(BENCH))
    try:
        spec = importlib.util.spec_from_file_location("benchmarks_speed", BENCH / "speed.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(BENCH))
    return module


@pytest.mark.slow  # a long scenario: CI runs it in a step of its own
def test_perf_micro_benchmarks_run():
    """benchmarks/perf (pytest-benchmark): every benchmark once, untimed, on one thread (OpenMP's
    two threads on two cores that other work also uses can make a 0.2 s LightGBM fit take 20 s)."""
    assert list((BENCH / "perf").glob("test_*.py"))
    result = run(["-m", "pytest", str(BENCH / "perf"), "-q", "-p", "no:cacheprovider", "-o", "addopts=",
                  "--benchmark-disable"], FAMILYBENCH_THREADS="1", OMP_NUM_THREADS="1")
    assert result.returncode == 0, result.stdout[-6000:]
    summary = result.stdout.strip().splitlines()[-1]
    assert re.match(r"\d+ passed", summary) and not re.search("failed|error|skipped", summary), summary
