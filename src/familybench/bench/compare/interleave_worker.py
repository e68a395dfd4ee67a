"""One side of an interleaved comparison: runs jobs on request, over a pipe.

Started by :mod:`familybench.bench.compare.interleave` with the side's own familybench on
``PYTHONPATH``. Protocol: one JSON object per line on stdin; replies the same way on the
original stdout (anything a model prints goes to stderr instead).
"""

from __future__ import annotations

import json
import os
import sys


def main() -> int:
    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # stray prints (ours, a model's, native code's) must not corrupt replies
    sys.stdout = sys.stderr

    from familybench._threads import cpu_count
    from familybench.bench.execute.worker import JobWorker, job_record
    from familybench.bench.plan.jobs import expand
    from familybench.bench.run.driver import RunOptions, resolve_suite

    jobs, job_worker = {}, None
    for line in sys.stdin:
        message = json.loads(line)
        if message["op"] == "load":
            suite = resolve_suite(RunOptions(suite=message["suite"], fast=message.get("fast", False)))
            jobs = {job.describe(): job for job in expand(suite)}
            job_worker = JobWorker(threads=cpu_count())
            warm = job_worker.warm_up({job.model for job in jobs.values()})
            reply = {
                "jobs": [[name, job.timeout] for name, job in jobs.items()],
                "suite": suite.to_dict(), "warm_up_seconds": warm,
                # what a record of each job says before it runs: the parent records a job
                # that hangs or crashes this side with it
                "skeletons": {name: job_record(job) for name, job in jobs.items()},
            }
        elif message["op"] == "run":
            job = jobs.get(message["job"])
            reply = {"record": job_worker.run(job).record} if job else {"missing": message["job"]}
        else:
            break
        protocol.write(json.dumps(reply, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
