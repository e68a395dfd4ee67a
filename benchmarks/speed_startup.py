"""Start-up: time from the ``familybench`` command to its first progress line; worker warm-up apart.

    python benchmarks/speed_startup.py [--repeats 5] [--quick] [--smoke]

In rotation, each round runs:

- ``python``: ``python -c pass`` (the interpreter alone: the floor);
- ``phases``: a child that does what ``familybench run`` does before its first line
  (import the CLI and runner, ``resolve_suite``, ``environment.collect``, open the store,
  expand the jobs), timing each phase;
- ``linear``: ``familybench run --models linear --datasets moons --seeds 1``: command to
  its finished-job line (target <= 3 s: only the linear family is imported and warmed,
  while the parent records the run);
- ``cli``: ``familybench run --suite quick --fast --out TMP --fresh`` spawned with
  subprocess: the clock stops at the first stderr line (the progress header); reading
  goes on to the first finished-job line, then the command gets SIGINT and the run's
  stored meta gives ``worker_warm_up_seconds`` (the one-time import-and-exercise of
  each family in the worker, reported separately from start-up).

Then one ``python -X importtime`` of the CLI's imports lists the ten largest cumulative
imports, to show what to make lazy. Target: first progress line <= 2 s.

``--smoke`` (a check that the script runs, not a measurement): one round; ``cli`` runs the
quick suite's linear config on moons only and the warm-up parts warm the linear family
only, so no worker imports torch or LightGBM.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import speed_common as sc

from familybench.bench.results.store import ResultStore

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
TARGET = 2.0
LINEAR_TARGET = 3.0  # a one-job linear run: it warms only the linear family
IMPORTS = "import familybench.cli; from familybench.bench.run.driver import RunOptions, resolve_suite; resolve_suite(RunOptions(suite='quick'))"
PHASES = r"""
import json, sys, tempfile, time
t = [time.perf_counter()]
import familybench.cli; t.append(time.perf_counter())
from familybench.bench.run.hooks import ProgressBar
from familybench.bench.run.driver import RunOptions, default_out, execute, resolve_suite
from familybench.bench.results.store import load_results; t.append(time.perf_counter())
s = resolve_suite(RunOptions(suite='quick', fast=True)); t.append(time.perf_counter())
from familybench.bench.results import provenance as environment; environment.collect(); t.append(time.perf_counter())
from familybench.bench.results.store import ResultStore
ResultStore(tempfile.mkdtemp(), fresh=True).close(); t.append(time.perf_counter())
from familybench.bench.plan.jobs import expand; expand(s); t.append(time.perf_counter())
names = ["import cli", "import runner+store", "resolve_suite", "environment.collect", "open store", "expand jobs"]
print(json.dumps({n: b - a for n, a, b in zip(names, t, t[1:])}))
"""
WARM_STEPS = ("linear", "poly", "import lightgbm", "lightgbm", "import torch", "mlp")
SMOKE_WARM_STEPS = ("linear",)
WARM = r"""
import json, sys, time
t = time.perf_counter(); out = {}
from familybench.bench.execute.worker import JobWorker
r = JobWorker(2); out["import worker"] = time.perf_counter() - t
for step in json.loads(sys.argv[1]):
    t = time.perf_counter()
    if step.startswith("import"):
        __import__(step.split()[1])
    else:
        r.warm_up({step})
    out[step if step.startswith("import") else "fit+predict " + step] = time.perf_counter() - t
print(json.dumps(out))
"""


def bare_python() -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return time.perf_counter() - start


def phases() -> dict:
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", PHASES], check=True, capture_output=True, text=True, cwd=ROOT)
    total = time.perf_counter() - start
    return {"total": total, **json.loads(out.stdout)}


LINEAR_ONLY = ["--models", "linear", "--datasets", "moons", "--seeds", "1"]
QUICK_FAST = ("--suite", "quick", "--fast")
SMOKE_QUICK = ("--suite", "quick", "--fast", "--models", "linear", "--datasets", "moons")


def linear_run() -> dict:
    """The first impression: a one-job linear run, command to its finished-job line."""
    return cli_run(LINEAR_ONLY)


def cli_run(selection=QUICK_FAST) -> dict:
    exe = BIN / "familybench"
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        proc = subprocess.Popen([str(exe), "run", *selection, "--out", out, "--fresh"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                                start_new_session=True)
        try:
            proc.stderr.readline()
            first_line = time.perf_counter() - start
            job_line = proc.stderr.readline()
            first_job = time.perf_counter() - start if job_line.startswith("[") else float("nan")
            proc.send_signal(signal.SIGINT)  # the CLI records the run (and its warm-up) and exits 130
            proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        warm = float("nan")
        try:
            with ResultStore(out, create=False) as store:
                warm = store.runs()[-1]["meta"].get("worker_warm_up_seconds") or float("nan")
        except (FileNotFoundError, IndexError):
            pass
    return {"first_line": first_line, "first_job_line": first_job, "warm_up": warm}


def import_times(top: int = 10) -> None:
    """Print the ``top`` cumulative imports, then the heaviest third-party packages and who imports them."""
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", IMPORTS], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    rows = []
    for line in out.stderr.splitlines():
        if line.startswith("import time:") and "self [us]" not in line:
            self_us, cum_us, name = line[len("import time:"):].split("|")
            rows.append((name.strip(), (len(name) - len(name.lstrip()) - 1) // 2, int(cum_us) / 1e6, int(self_us) / 1e6))
    # -X importtime lists a module after its children: the importer is the next row one level up.
    importer = {}
    for i, (_, depth, _, _) in enumerate(rows):
        parents, level = [], depth
        for r in rows[i + 1:]:
            if r[1] < level:
                parents.append(r[0])
                level = r[1]
        fb = next((p for p in parents if p.startswith("familybench")), None)
        importer[i] = fb or (parents[0] if parents else "(a call at run time, not an import)")
    total = sum(r[2] for r in rows if r[1] == 0)
    print(f"\npython -X importtime -c \"{IMPORTS}\": {total:.2f} s of imports (one run); top {top} cumulative:")
    order = sorted(range(len(rows)), key=lambda i: -rows[i][2])
    sc.table([[rows[i][0], rows[i][1], rows[i][2], rows[i][3]] for i in order[:top]],
             ["module", "depth", "cumulative s", "self s"])
    print("heaviest third-party packages and the familybench module whose import (or call) loads them:")
    seen, table = set(), []
    for i in order:
        pkg = rows[i][0].split(".")[0]
        if pkg != "familybench" and pkg not in seen and rows[i][2] > 0.02:
            seen.add(pkg)
            table.append([pkg, rows[i][2], importer[i]])
    sc.table(table[:top], ["package", "cumulative s", "loaded by"])


def warm_up_parts(steps=WARM_STEPS) -> dict:
    """Time the worker's warm-up family by family in a fresh process (what a spawned worker does)."""
    out = subprocess.run([sys.executable, "-c", WARM, json.dumps(list(steps))], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    args = sc.parser(__doc__).parse_args(argv)
    n = sc.repeats(args)
    selection, steps = (SMOKE_QUICK, SMOKE_WARM_STEPS) if args.smoke else (QUICK_FAST, WARM_STEPS)
    sc.header("start-up", args, n, f"A = python -c pass, B = pre-run phases, C = familybench run {' '.join(selection)}, "
              "D = warm-up parts")
    samples = sc.rotate({"python": bare_python, "phases": phases, "cli": lambda: cli_run(selection),
                         "linear": linear_run, "warm-up": lambda: warm_up_parts(steps)}, n)
    py = sc.median(samples["python"], "seconds")
    first = sc.median(samples["cli"], "first_line")
    warm = sc.median(samples["cli"], "warm_up")
    job = sc.median(samples["cli"], "first_job_line")
    linear = sc.median(samples["linear"], "first_job_line")
    linear_warm = sc.median(samples["linear"], "warm_up")
    print()
    sc.table([
        ["python -c pass", py, 1.0],
        ["familybench: first progress line", first, first / py],
        ["familybench: first job finished", job, job / py],
        ["worker warm-up (run meta)", warm, warm / py],
        ["linear-only run: first job finished", linear, linear / py],
        ["linear-only run: worker warm-up", linear_warm, linear_warm / py],
    ], ["measure (median)", "seconds", "x python"])
    print("\nwhere the time before the first line goes (child process, median seconds):")
    names = [k for k in samples["phases"][0] if k not in ("total", "load1")]
    total = sc.median(samples["phases"], "total")
    sc.table([[k, sc.median(samples["phases"], k), sc.median(samples["phases"], k) / total] for k in names]
             + [["(interpreter start + exit)", py, py / total], ["total child wall", total, 1.0]],
             ["phase", "seconds", "share"])
    print("\nworker warm-up, family by family in a fresh process (median seconds):")
    parts = samples["warm-up"]
    steps = [k for k in parts[0] if k != "load1"]
    sc.table([[k, sc.median(parts, k)] for k in steps] + [["sum", sum(sc.median(parts, k) for k in steps)]],
             ["step", "seconds"])
    import_times()
    h = sc.Headlines("startup", args)
    h.add("command to first progress line", first, " s", f"<= {TARGET:g} s", first <= TARGET)
    h.add("worker warm-up (separate)", warm, " s")
    h.add("command to first finished job", job, " s")
    h.add("linear-only run (" + " ".join(LINEAR_ONLY) + "): command to first finished job", linear, " s",
          f"<= {LINEAR_TARGET:g} s", linear <= LINEAR_TARGET)
    h.finish()


if __name__ == "__main__":
    main()
