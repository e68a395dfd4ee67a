"""Run the micro-benchmarks on a baseline ref and on the working tree in one job.

    python benchmarks/perf_ab.py --baseline-ref origin/main [--rounds 3] [--json-dir DIR]
    python benchmarks/perf_ab.py --smoke [--baseline-ref HEAD]

Each side is installed into its own directory (`pip install --no-deps --target`) and the
same benchmark file runs against it, alternating A B B A ... so machine drift hits both.
A benchmark is flagged when current/baseline exceeds 1 + threshold, the threshold being
derived from this job's own spread: max(5%, 3 x the standard deviation of log round
medians, pooled over both sides). Exit 1 on a regression.

``--smoke`` (a check that the script runs, not a measurement): the baseline is ``HEAD``
unless ``--baseline-ref`` says otherwise; both sides are installed as in a real run, then
1 round (A B) of the linear family's two benchmarks with a minimal time budget, JSON
in a temporary directory; the verdict table is printed as usual. A regression flagged there
is noise (1 round, tiny timings), so ``--smoke`` exits 0 on one; it exits non-zero on a
crash (install, pytest or a benchmark failing).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks" / "perf"


# --smoke: one family's benchmarks, each timed for as short as pytest-benchmark allows
SMOKE_PYTEST = ("-k", "linear", "--benchmark-max-time=0", "--benchmark-min-rounds=1", "--benchmark-warmup=off")


def run_side(env_dir: Path, json_path: Path, extra=()) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in [str(env_dir), os.environ.get("PYTHONPATH", "")] if p)}
    subprocess.run(
        [sys.executable, "-m", "pytest", str(BENCH), "-q", "-p", "no:cacheprovider", "--benchmark-only",
         f"--benchmark-json={json_path}", "--benchmark-disable-gc", "-o", "addopts=", *extra],
        cwd=tempfile.gettempdir(), env=env, check=True, stdout=subprocess.DEVNULL,
    )
    data = json.loads(json_path.read_text())
    return {f"{b['group']}/{b['name']}": b["stats"]["median"] for b in data["benchmarks"]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline-ref", help="the git ref to compare against (required; HEAD with --smoke)")
    parser.add_argument("--rounds", type=int, default=None, help="rounds per side (default 3; 1 with --smoke)")
    parser.add_argument("--json-dir", type=Path, default=None,
                        help="pytest-benchmark JSON per side and round (default .benchmarks/ab; a temporary "
                             "directory with --smoke)")
    parser.add_argument("--smoke", action="store_true",
                        help="check that the script runs: HEAD vs the working tree, 1 round of the linear "
                             "benchmarks at minimal time (not a measurement)")
    args = parser.parse_args(argv)
    if args.baseline_ref is None:
        if not args.smoke:
            parser.error("--baseline-ref is required (or --smoke, which defaults it to HEAD)")
        args.baseline_ref = "HEAD"
    if args.rounds is None:
        args.rounds = 1 if args.smoke else 3
    if args.json_dir is None and args.smoke:
        with tempfile.TemporaryDirectory(prefix="familybench-perf-json-") as json_dir:
            args.json_dir = Path(json_dir)
            return compare(args)
    if args.json_dir is None:
        args.json_dir = ROOT / ".benchmarks" / "ab"
    return compare(args)


def compare(args) -> int:
    sys.path.insert(0, str(ROOT / "src"))
    from familybench.bench.compare.interleave import _git, _install

    commit = _git("rev-parse", "--verify", f"{args.baseline_ref}^{{commit}}", cwd=ROOT)
    args.json_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="familybench-perf-") as tmp:
        tmp = Path(tmp)
        src = tmp / "baseline-src"
        src.mkdir()
        archive = subprocess.run(["git", "archive", commit], cwd=ROOT, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(src)], input=archive, check=True)
        envs = {"baseline": tmp / "env-baseline", "current": tmp / "env-current"}
        _install(src, envs["baseline"])
        _install(ROOT, envs["current"])
        medians: dict[str, dict[str, list[float]]] = {"baseline": {}, "current": {}}
        for round_ in range(args.rounds):
            order = ("baseline", "current") if round_ % 2 == 0 else ("current", "baseline")
            for side in order:
                result = run_side(envs[side], args.json_dir / f"{side}-{round_}.json",
                                  SMOKE_PYTEST if args.smoke else ())
                for name, value in result.items():
                    medians[side].setdefault(name, []).append(value)
                print(f"round {round_ + 1}/{args.rounds}: {side} done", file=sys.stderr, flush=True)
    logs = [
        math.log(v) - statistics.mean(map(math.log, values))
        for side in medians.values() for values in side.values() for v in values
    ]
    spread = statistics.stdev(logs) if len(logs) > 2 else 0.0
    threshold = max(0.05, 3 * spread)
    print(f"baseline {args.baseline_ref} ({commit[:10]}) vs working tree, {args.rounds} rounds each, alternating")
    print(f"noise (sd of log round medians, pooled): {spread:.3f}; threshold: +{threshold:.1%}")
    print(f"{'benchmark':<32} {'baseline s':>11} {'current s':>11} {'ratio':>7}  verdict")
    regressions = 0
    for name in sorted(medians["current"]):
        if name not in medians["baseline"]:
            print(f"{name:<32} {'–':>11} {statistics.median(medians['current'][name]):>11.5f} {'new':>7}")
            continue
        base = statistics.median(medians["baseline"][name])
        cur = statistics.median(medians["current"][name])
        ratio = cur / base
        verdict = "REGRESSION" if ratio > 1 + threshold else ("faster" if ratio < 1 / (1 + threshold) else "ok")
        regressions += verdict == "REGRESSION"
        print(f"{name:<32} {base:>11.5f} {cur:>11.5f} {ratio:>6.2f}x  {verdict}")
    print(f"{regressions} regression(s)")
    if args.smoke:
        print("(--smoke: not a measurement; exit 0 whatever the verdicts)")
        return 0
    return 1 if regressions else 0


if __name__ == "__main__":
    sys.exit(main())
