"""Every speed benchmark in one command: the entry point of ``nox -s speed``.

    python benchmarks/speed.py [--only NAME[,NAME]] [--quick | --smoke] [--repeats N] [--fast-suite] [--markdown FILE]

Runs each section as its own subprocess (so one section's imports, threads and memory do
not leak into the next), streaming its output, and collects its headline numbers:

    startup   speed_startup.py    command -> first progress line; worker warm-up
    overhead  speed_overhead.py   (wall - fit - predict - score - warm-up) / wall
    parallel  speed_parallel.py   quick suite --jobs 2 vs --jobs 1
    scaling   speed_scaling.py    fit time vs rows (1k -> 100k) per family, log-log slope
    report    speed_report.py     write_report on a 100-job run
    mlp       mlp_throughput.py   MLP training throughput vs plain torch / sklearn / skorch
    tuning    speed_tuning.py     tuning lightgbm + mlp vs a hand-written loop; --jobs 2 vs 1
    statistics speed_statistics.py statistics across datasets in a 1,000-job report
    dask      speed_dask.py       quick suite on a local Dask cluster vs --jobs 2; 2 vs 1 Dask worker

Every number is a median of runs taken in rotation inside its section; every ratio
compares variants measured in that same process. ``--quick`` is a smoke run (fewer
repeats, smaller sizes), not a measurement; ``--smoke`` passes each section its own
``--smoke`` (tiny sizes, one run, seconds: a check that every section runs). ``--markdown FILE`` writes one table of all
headline numbers with their targets (for docs/performance.md). Exit 1 if a section crashed;
a missed target is reported, not an error.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import speed_common as sc

HERE = Path(__file__).resolve().parent
SECTIONS = {
    "startup": "speed_startup.py",
    "overhead": "speed_overhead.py",
    "parallel": "speed_parallel.py",
    "scaling": "speed_scaling.py",
    "report": "speed_report.py",
    "mlp": "mlp_throughput.py",
    "tuning": "speed_tuning.py",
    "statistics": "speed_statistics.py",
    "dask": "speed_dask.py",
}


def command(name: str, args, json_path: str) -> list[str]:
    cmd = [sys.executable, str(HERE / SECTIONS[name])]
    if name == "mlp":  # its own flags: no --quick / --json
        if args.smoke:
            return cmd + ["--smoke"]
        if args.quick:
            cmd += ["--rows", "5000", "--epochs", "2"]
        repeats = args.repeats or (3 if args.quick else None)
        return cmd + (["--repeats", str(repeats)] if repeats else [])
    cmd += ["--json", json_path] + (["--smoke"] if args.smoke else ["--quick"] if args.quick else [])
    cmd += ["--repeats", str(args.repeats)] if args.repeats else []
    if args.fast_suite and name in ("overhead", "parallel", "dask"):
        cmd.append("--fast-suite")
    return cmd


def mlp_items(output: str, quick: bool) -> list[dict]:
    """Headlines of mlp_throughput.py, read from its `targets:` line and table."""
    items = []
    row = re.search(r"^familybench mlp\s+([\d,]+)\s+[\d.]+x\s+([\d.]+)\s+([\d.]+)%", output, re.M)
    peak = re.search(r"^float32 matmul 2048\^3: ([\d.]+) GFLOP/s", output, re.M)
    if row:
        items.append({"name": "familybench MLP training throughput", "value": float(row.group(1).replace(",", "")),
                      "unit": " samples/s", "target": "", "status": ""})
        items.append({"name": "familybench MLP achieved GFLOP/s (share of matmul peak)", "value": float(row.group(2)),
                      "unit": f" ({row.group(3)}%)", "target": "", "status": ""})
    if peak:
        items.append({"name": "float32 matmul peak, same run", "value": float(peak.group(1)), "unit": " GFLOP/s",
                      "target": "", "status": ""})
    for what, value, target in re.findall(r"(mlp/\w+) = ([\d.]+) \(>= ([\d.]+)\)", output):
        items.append({"name": f"MLP throughput ratio {what}", "value": float(value), "unit": "x",
                      "target": f">= {target}x", "status": "PASS" if float(value) >= float(target) else "MISS"})
    return [{**it, "section": "mlp", "note": "", "quick": quick} for it in items]


def run_section(name: str, args) -> tuple[list[dict], float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        json_path = str(Path(tmp) / f"{name}.json")
        cmd = command(name, args, json_path)
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=HERE.parent)
        lines = []
        for line in proc.stdout:
            print(line, end="", flush=True)
            lines.append(line)
        code = proc.wait()
        seconds = time.perf_counter() - start
        if name == "mlp":
            items = mlp_items("".join(lines), args.quick)
        else:
            try:
                items = json.loads(Path(json_path).read_text())["items"]
            except (OSError, ValueError, KeyError):
                items = []
    return items, seconds, code


def markdown(items: list[dict], args, sections: list[str]) -> str:
    m = sc.machine()
    flag = " --smoke" if args.smoke else " --quick" if args.quick else ""
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    lines = [
        f"Speed benchmarks ({when}; `python benchmarks/speed.py{flag}`"
        f"{' --fast-suite' if args.fast_suite else ''}; sections: {', '.join(sections)}) on {m['cpu']}, "
        f"{m['cores']} cores, torch {m['torch']}, scikit-learn {m['scikit-learn']}, lightgbm {m['lightgbm']}. "
        "Medians of runs taken in rotation; ratios measured in the same process."
        + (f" **Smoke run ({flag.strip()}): not a measurement.**" if flag else ""),
        "",
        "| section | measurement | value | target | result |",
        "|---|---|---:|---|---|",
    ]
    for it in items:
        value = it["value"]
        text = "–" if value is None or value != value else (f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}")
        lines.append(f"| {it['section']} | {it['name']} | {text}{it['unit']} | {it['target'] or '–'} | "
                     f"{it['status'] or '–'} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    p.add_argument("--only", help=f"comma-separated sections: {', '.join(SECTIONS)}")
    p.add_argument("--quick", action="store_true", help="smoke run: fewer repeats, smaller sizes")
    p.add_argument("--smoke", action=sc.SmokeAction, help="every section's --smoke: tiny sizes, 1 run, seconds "
                   "(tests/e2e/test_benchmarks.py); not a measurement")
    p.add_argument("--repeats", type=int, help="runs per variant in every section (default 5; 3 with --quick)")
    p.add_argument("--fast-suite", action="store_true", help="overhead/parallel/dask on quick --fast (24 jobs), not the full quick suite")
    p.add_argument("--markdown", metavar="FILE", help="write one Markdown table of every headline number")
    args = p.parse_args(argv)
    names = [n.strip() for n in args.only.split(",")] if args.only else list(SECTIONS)
    unknown = [n for n in names if n not in SECTIONS]
    if unknown:
        p.error(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    if args.repeats is not None and args.repeats < 5 and not args.quick:  # (--smoke implies --quick)
        print(f"note: --repeats {args.repeats} < 5: medians of fewer than 5 runs are not the documented measurement")
    all_items, timings, failed = [], {}, []
    for name in names:
        print(f"\n######## {name}: {SECTIONS[name]}", flush=True)
        items, seconds, code = run_section(name, args)
        all_items += items
        timings[name] = seconds
        if code != 0:
            failed.append(name)
            print(f"!! section {name} exited with {code}")
    print("\n######## summary (" + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items()) + ")")
    sc.table([[it["section"], it["name"], it["value"], it["unit"].strip(), it["target"], it["status"]]
              for it in all_items], ["section", "measurement", "value", "unit", "target", "result"])
    if failed:
        print(f"sections that crashed: {', '.join(failed)}")
    if args.markdown:
        Path(args.markdown).write_text(markdown(all_items, args, names), encoding="utf-8")
        print(f"markdown: {args.markdown}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
