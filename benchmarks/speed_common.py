"""Shared helpers of the speed_*.py scripts: arguments, rotation, medians, tables, verdicts.

Every speed script measures its variants in rotation (A B A B ...) in one process, takes
the median of each, prints ratios of medians measured in that same run, states the
machine and the targets with PASS/MISS, and with ``--json FILE`` writes its headline
numbers for ``benchmarks/speed.py --markdown``.

``--smoke`` (every script under ``benchmarks/`` has it; ``tests/e2e/test_benchmarks.py`` runs
them all with it) runs the same code on tiny sizes, once, in seconds: it checks that the
script still runs and prints its results, and measures nothing. It implies ``--quick``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import statistics
import sys
import time
from collections.abc import Callable
from importlib import metadata


class SmokeAction(argparse.Action):
    """``--smoke``: sets ``smoke`` and ``quick`` (a smoke run is a quick run, smaller still)."""

    def __init__(self, option_strings, dest, **kwargs):
        kwargs.setdefault("help", SMOKE_HELP)
        super().__init__(option_strings, dest, nargs=0, default=False, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        namespace.smoke = True
        if hasattr(namespace, "quick"):
            namespace.quick = True


SMOKE_HELP = "check that the script runs: tiny sizes, 1 run, seconds (tests/e2e/test_benchmarks.py); not a measurement"


def parser(doc: str, repeats: int = 5) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=doc.strip().splitlines()[0])
    p.add_argument("--quick", action="store_true", help="smoke run: fewer repeats, smaller sizes")
    p.add_argument("--smoke", action=SmokeAction)
    p.add_argument("--repeats", type=int, default=None, help=f"runs per variant (default {repeats}; 3 with --quick)")
    p.add_argument("--json", metavar="FILE", help="write the headline numbers here (for speed.py)")
    p.set_defaults(default_repeats=repeats)
    return p


def repeats(args) -> int:
    if args.repeats is not None:
        return args.repeats
    if getattr(args, "smoke", False):
        return 1
    return 3 if args.quick else args.default_repeats


def machine() -> dict:
    from familybench.bench.results.provenance import cpu_model

    cpu = cpu_model() or "unknown"
    versions = {}
    for pkg in ("torch", "scikit-learn", "lightgbm", "familybench"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = "-"
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return {"cpu": cpu, "cores": cores, "python": platform.python_version(), "load1": load, **versions}


def header(title: str, args, n: int, what: str = "") -> None:
    m = machine()
    print(f"== {title} ==")
    print("command: " + " ".join(shlex.quote(a) for a in [os.path.relpath(sys.argv[0])] + sys.argv[1:]))
    print(f"machine: {m['cpu']}, {m['cores']} cores, load avg {m['load1']:.2f}; python {m['python']}, "
          f"torch {m['torch']}, scikit-learn {m['scikit-learn']}, lightgbm {m['lightgbm']}")
    print(f"method: median of {n} runs per variant, taken in rotation" + (f"; {what}" if what else "")
          + ("  [--smoke: checks the script runs; not a measurement]" if getattr(args, "smoke", False)
             else "  [--quick smoke run: not a measurement]" if args.quick else ""))


def rotate(variants: dict[str, Callable[[], dict | float]], n: int, log: bool = True) -> dict[str, list]:
    """Run each variant ``n`` times in rotation A B C A B C...; a variant returns a dict or seconds."""
    out: dict[str, list] = {name: [] for name in variants}
    for i in range(n):
        for name, fn in variants.items():
            start = time.perf_counter()
            value = fn()
            if not isinstance(value, dict):
                value = {"seconds": time.perf_counter() - start if value is None else float(value)}
            value["load1"] = os.getloadavg()[0]  # 1-minute load average after the run: how busy the machine was
            out[name].append(value)
            if log:
                print(f"  round {i + 1}/{n} {name}: " + ", ".join(f"{k}={_fmt(v)}" for k, v in value.items()
                                                             if isinstance(v, (int, float))), flush=True)
    return out


def median(samples: list[dict], key: str) -> float:
    values = [s[key] for s in samples if s.get(key) is not None]
    return statistics.median(values) if values else float("nan")


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.3g}" if abs(v) < 1000 else f"{v:,.0f}"
    return str(v)


def table(rows: list[list], head: list[str]) -> None:
    cells = [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(str(h)), *(len(r[i]) for r in cells)) for i, h in enumerate(head)]
    print("  ".join(str(h).ljust(w) if i == 0 else str(h).rjust(w) for i, (h, w) in enumerate(zip(head, widths, strict=True))))
    for r in cells:
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))))


class Headlines:
    """Headline numbers and target verdicts; printed at the end and written with ``--json``."""

    def __init__(self, section: str, args):
        self.section, self.args, self.items = section, args, []

    def add(self, name: str, value: float, unit: str = "", target: str = "", ok: bool | None = None,
            note: str = "") -> None:
        status = "" if ok is None else ("PASS" if ok else "MISS")
        self.items.append({"section": self.section, "name": name, "value": value, "unit": unit,
                           "target": target, "status": status, "note": note,
                           "quick": bool(self.args.quick), "smoke": bool(getattr(self.args, "smoke", False))})

    def finish(self) -> None:
        print("targets:" + ("" if any(it["target"] for it in self.items) else " none (informational)"))
        for it in self.items:
            if it["target"]:
                print(f"  {it['status']:<4}  {it['name']} = {_fmt(it['value'])}{it['unit']}  (target {it['target']})")
        if self.args.json:
            with open(self.args.json, "w") as f:
                json.dump({"machine": machine(), "items": self.items}, f, indent=1, default=str)
