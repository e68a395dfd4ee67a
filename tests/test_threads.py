"""Per-job thread budgets: every BLAS/OpenMP pool and torch capped, then restored."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


@pytest.mark.e2e
def test_thread_limits_cap_libraries_loaded_after_the_first_job():
    # The controller is cached between jobs; a library imported later (LightGBM's OpenMP,
    # torch) must still be capped. Run in a fresh process so nothing is loaded up front.
    code = """
import os
from threadpoolctl import threadpool_info
from familybench._threads import thread_limits
import numpy
with thread_limits(1):
    pass
import lightgbm, torch
before = torch.get_num_threads()
with thread_limits(1):
    pools = threadpool_info()
    assert pools and all(p["num_threads"] == 1 for p in pools), pools
    assert {p["user_api"] for p in pools} >= {"blas", "openmp"}, pools
    assert torch.get_num_threads() == 1
    assert os.environ["FAMILYBENCH_THREADS"] == "1"
assert torch.get_num_threads() == before
assert "FAMILYBENCH_THREADS" not in os.environ
"""
    env = {k: v for k, v in os.environ.items() if k != "FAMILYBENCH_THREADS"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
