"""Interleaved A/B runs: the baseline ref and the working tree, alternating job by job.

Runs taken at different times on shared machines differ by ~25% from drift alone; jobs
alternated A B A B inside one process tree see the same drift, so their paired ratios are
comparable to well under that. Both sides are installed (``pip install --no-deps
--target``) into their own directory and share this interpreter's dependencies, so the
only difference between them is familybench itself.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from familybench._errors import FamilybenchError, exit_description
from familybench.bench.results import provenance as environment
from familybench.bench.results.record import FAILED, TIMEOUT
from familybench.bench.results.store import ResultStore

SIDES = ("baseline", "current")


def _git(*args: str, cwd: Path) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        raise FamilybenchError(f"git {' '.join(args)}: {result.stderr.strip().splitlines()[-1] if result.stderr.strip() else 'failed'}")
    return result.stdout.strip()


def _install(source: Path, target: Path) -> None:
    """Install familybench from ``source`` into ``target`` without its dependencies."""
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(source)]
    try:
        import setuptools  # noqa: F401

        command.insert(4, "--no-build-isolation")  # offline-friendly when setuptools is here
    except ImportError:
        pass
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise FamilybenchError(f"installing {source} failed: {result.stderr.strip().splitlines()[-1]}")


class _Side:
    def __init__(self, name: str, env_dir: Path, cwd: Path):
        self.name, self.env_dir, self.cwd = name, env_dir, cwd
        self.process = None

    def start(self, suite: str, fast: bool) -> dict:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in [str(self.env_dir), os.environ.get("PYTHONPATH", "")] if p)}
        self.stderr_path = self.env_dir.parent / f"{self.name}.stderr"
        self._stderr = open(self.stderr_path, "ab")  # noqa: SIM115 - kept while the side runs
        self.process = subprocess.Popen(
            [sys.executable, "-m", "familybench.bench.compare.interleave_worker"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr, text=True, cwd=self.cwd, env=env,
        )
        self.suite, self.fast = suite, fast
        reply = self.ask({"op": "load", "suite": suite, "fast": fast}, timeout=600)
        if reply is None:
            raise FamilybenchError(f"the {self.name} side could not load suite {suite!r} (does that ref have interleave support?)")
        return reply

    def ask(self, message: dict, timeout: float) -> dict | None:
        try:
            self.process.stdin.write(json.dumps(message) + "\n")
            self.process.stdin.flush()
        except BrokenPipeError:
            return None
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        if not ready:
            return None
        line = self.process.stdout.readline()
        return json.loads(line) if line else None

    def stderr_tail(self, limit: int = 2048) -> str:
        """The last ``limit`` bytes this side wrote to stderr (what a crash left behind)."""
        try:
            self._stderr.flush()
            data = self.stderr_path.read_bytes()
        except OSError:
            return ""
        return data[-limit:].decode("utf-8", "replace")

    def restart(self):
        self.stop()
        self.start(self.suite, self.fast)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        if getattr(self, "_stderr", None) is not None:
            self._stderr.close()
            self._stderr = None


def run_interleaved(ref: str, suite: str, *, fast: bool = False, out: str | Path | None = None,
                    repo: str | Path | None = None) -> tuple[Path, Path]:
    """Run ``suite`` on ``ref`` and on the working tree, alternating jobs; return both result dirs."""
    repo = Path(_git("rev-parse", "--show-toplevel", cwd=Path(repo or Path.cwd())))
    commit = _git("rev-parse", "--verify", f"{ref}^{{commit}}", cwd=repo)
    out = Path(out) if out else repo / "reports" / "interleave"
    suite_arg = str(Path(suite).resolve()) if Path(suite).suffix == ".toml" else suite
    workdir = Path(tempfile.mkdtemp(prefix="familybench-ab-"))
    sides: dict[str, _Side] = {}
    try:
        baseline_src = workdir / "baseline-src"
        baseline_src.mkdir()
        archive = subprocess.run(["git", "archive", commit], cwd=repo, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(baseline_src)], input=archive, check=True)
        _install(baseline_src, workdir / "env-baseline")
        _install(repo, workdir / "env-current")
        sides = {name: _Side(name, workdir / f"env-{name}", repo) for name in SIDES}
        loaded = {name: side.start(suite_arg, fast) for name, side in sides.items()}
        names = [name for name, _ in loaded["current"]["jobs"]]
        timeouts = dict(loaded["current"]["jobs"])
        skeletons = loaded["current"].get("skeletons", {})
        stores = {name: ResultStore(out / name, fresh=True) for name in SIDES}
        run_id = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S") + "-ab"
        meta = environment.collect()
        for name in SIDES:
            side_meta = {**meta, "git_commit": commit if name == "baseline" else meta.get("git_commit"),
                         "interleaved_with": ref, "worker_warm_up_seconds": loaded[name]["warm_up_seconds"]}
            stores[name].start_run(run_id, meta_time(), loaded[name]["suite"], side_meta)
            # both sides plan the current side's jobs: one without a record is "missing now"
            stores[name].write_plan(run_id, [(r["config"], r["dataset"], r["seed"], r["fold"], r["train_size"])
                                             for r in skeletons.values()])
        start = time.perf_counter()
        for index, job_name in enumerate(names):
            order = SIDES if index % 2 == 0 else SIDES[::-1]  # A B, B A: drift within a pair cancels too
            for name in order:
                started = time.perf_counter()
                reply = sides[name].ask({"op": "run", "job": job_name}, timeout=timeouts[job_name])
                if reply is None:  # timed out or crashed: recorded as such, then a fresh side
                    crashed = sides[name].process.poll() is not None
                    detail = sides[name].stderr_tail()
                    code = sides[name].process.returncode
                    sides[name].restart()
                    if job_name in skeletons:
                        status, error = ((FAILED, f"the {name} side's process crashed ({exit_description(code)}) while "
                                          "running this job") if crashed else
                                         (TIMEOUT, f"stopped after the {timeouts[job_name]:g} s timeout"))
                        stores[name].write({**skeletons[job_name], "status": status, "error": error,
                                            "error_detail": detail or None, "run_id": run_id,
                                            "job_seconds": time.perf_counter() - started})
                    continue
                if "record" in reply:
                    stores[name].write({**reply["record"], "run_id": run_id})
            print(f"[{index + 1}/{len(names)}] {job_name}", file=sys.stderr, flush=True)
        for name in SIDES:
            stores[name].finish_run(run_id, meta_time(), time.perf_counter() - start)
            stores[name].close()
    finally:
        for side in sides.values():
            side.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return out / "baseline", out / "current"


def meta_time() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


__all__ = ["run_interleaved"]
