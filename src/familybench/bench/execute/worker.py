"""Running one job: load (cached) data, split, fit, predict, score — the worker's clock.

Timing, scoring and error capture live here and nowhere else: model adapters only fit and
predict. A job never raises; whatever goes wrong becomes a ``failed`` record with a
one-line message (and the traceback kept apart in ``error_detail``).

After the timed part, with the record complete, the producers the job names
(:mod:`familybench.artefacts`) make its extra outputs for the reports; one that fails
leaves its artefact missing and a note in ``error_detail``, never a failed job.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
import traceback
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timezone

import numpy as np

from familybench._devices import CPU
from familybench._errors import FeatureCapError, one_line
from familybench._hooks import transfer_receiver
from familybench._tasks import REGRESSION
from familybench._threads import thread_limits
from familybench.bench.execute.bagging import bag, stack, union_classes
from familybench.bench.plan.jobs import Job
from familybench.bench.results.metrics import score
from familybench.bench.results.predictions import PREDICTIONS, predictions_payload
from familybench.bench.results.provenance import provenance
from familybench.bench.results.record import FAILED, SKIPPED, Status, empty_record
from familybench.datasets import DatasetError

_WARM_UP_TIMEOUT = 60.0  # seconds per family; past it the warm-up is abandoned (a cold start)


def _warm_up_limit() -> float:
    return float(os.environ.get("FAMILYBENCH_WARM_UP_TIMEOUT", _WARM_UP_TIMEOUT))


class _WarmUpTimeout(BaseException):
    pass


class _time_limit:
    """SIGALRM after ``seconds`` in the main thread (elsewhere, no limit).

    Inside a running alarm (the serial executor's job timeout) it arms nothing: that outer
    limit bounds the block and must not be cancelled.
    """

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.armed = (hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
                      and signal.getitimer(signal.ITIMER_REAL)[0] == 0)

    def __enter__(self):
        if self.armed:
            def on_alarm(signum, frame):
                raise _WarmUpTimeout

            self.previous = signal.signal(signal.SIGALRM, on_alarm)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
        return self

    def __exit__(self, *exc):
        if self.armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous)


@dataclass
class Outcome:
    """What a job sends back: its record and its artefacts (name -> arrays).

    ``artefacts`` are the job's own (stored under its key); ``dataset_artefacts`` those of
    its dataset, sent by the first job of each dataset a worker runs.
    """

    job: Job
    record: dict
    artefacts: dict = field(default_factory=dict, repr=False)
    dataset_artefacts: dict = field(default_factory=dict, repr=False)


class _PeakMemory:
    """This process's peak RSS while inside the block, above the RSS at the start (bytes).

    No sampling thread runs beside the timed fit. On Linux the kernel keeps the peak
    (``VmHWM`` in ``/proc/self/status``); writing ``5`` to ``/proc/self/clear_refs`` at
    each entry resets it to the current RSS, so it covers only the block (workers are
    reused: the process's lifetime maximum would belong to earlier jobs). Where that reset
    is refused (not Linux, a locked-down container) the peak is the RSS at exit, or
    ``getrusage``'s lifetime maximum when that rose inside the block: a brief peak below an
    earlier one is then missed.
    """

    def __init__(self):
        import psutil

        self._process = psutil.Process()
        self.start_rss = self.peak_rss = self._process.memory_info().rss

    def __enter__(self):  # entered once per fit when a job fits k inner-fold models
        self._maxrss_before = _max_rss()
        self._reset = _reset_peak_rss()
        return self

    def __exit__(self, *exc):
        peak = _status_bytes("VmHWM") if self._reset else None
        if peak is None:
            maxrss = _max_rss()
            peak = maxrss if maxrss > self._maxrss_before else 0
        self.peak_rss = max(self.peak_rss, peak, self._process.memory_info().rss)

    @property
    def peak_above_start(self) -> int:
        return int(self.peak_rss - self.start_rss)


def _reset_peak_rss() -> bool:
    """Reset the kernel's peak RSS of this process to its current RSS (Linux >= 4.0)."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def _status_bytes(field: str) -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024  # "VmHWM:  123456 kB"
    except (OSError, ValueError, IndexError):
        pass
    return None


def _max_rss() -> int:
    """``getrusage``'s lifetime peak RSS of this process in bytes (0 where unknown)."""
    try:
        import resource
    except ImportError:  # Windows
        return 0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)  # bytes on macOS, KiB elsewhere


def _synchronize():
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available() and torch.cuda.is_initialized():
        torch.cuda.synchronize()


def _clock() -> float:
    _synchronize()  # on a GPU, queued kernels finish before the clock is read
    return time.perf_counter()


def job_record(job: Job, **values) -> dict:
    """A record with what the job itself says (identity, params, tuning columns, provenance);
    the worker fills in the outcome. Used for results and for the executor's failures."""
    return empty_record(
        job_key=job.key, config=job.config, model=job.model, dataset=job.dataset.name,
        params=json.dumps(job.params, sort_keys=True, default=str), seed=job.seed, fold=job.fold,
        train_size=job.train_size, trial=job.trial, role=job.role,
        search_params=json.dumps(job.search_params, sort_keys=True, default=str)
        if job.search_params is not None else None,
        **(job.tune or {}), **provenance(), **values,
    )


def _n_params(model) -> int | None:
    """The fitted model's parameter count, or None for one that does not count them (any
    scikit-learn estimator may run; ``check_family`` holds familybench's own to it)."""
    try:
        return getattr(model, "n_params_", None)
    except NotImplementedError:
        return None


class JobWorker:
    """Runs jobs in this process; keeps loaded datasets so a worker reads each once.

    Parameters
    ----------
    threads : int
        Thread budget for BLAS, OpenMP and torch during each job.
    """

    def __init__(self, threads: int):
        self.threads = threads
        self._datasets: dict[str, object] = {}
        self._caches: dict[int, dict] = {}  # id(dataset) -> producers' memo for it (ArtefactContext.cache)
        self._split_cache: dict[tuple, list] = {}
        self._dataset_artefacts_sent: set[tuple[str, str]] = set()  # (dataset name, artefact name)
        self.cold: list[str] = []  # models whose warm-up failed or overran: their first job starts cold
        self._warm_tried: set[str] = set()

    # -- data

    def dataset(self, source):
        key = json.dumps(source.identity(), sort_keys=True, default=str)
        if key not in self._datasets:
            from familybench.datasets import Dataset, load_dataset

            if source.loader == "file":
                data = Dataset.from_file(source.path, target=source.target, task=source.task)
            else:
                data = load_dataset(source.loader, **source.params)
            if len(self._datasets) >= 8:  # bound memory: forget the oldest
                old = id(self._datasets.pop(next(iter(self._datasets))))
                self._caches.pop(old, None)
                self._split_cache = {k: v for k, v in self._split_cache.items() if k[0] != old}
            self._datasets[key] = data
        return self._datasets[key]

    def _splits(self, data, job: Job):
        """The dataset's splits for this job's seed, computed once for all of its models."""
        from familybench.datasets import make_splits

        key = (id(data), job.seed, json.dumps(job.split, sort_keys=True, default=str), job.test_size, job.train_size)
        if key not in self._split_cache:
            if len(self._split_cache) >= 64:
                self._split_cache.pop(next(iter(self._split_cache)))
            self._split_cache[key] = make_splits(
                data, seed=job.seed, split=job.split, test_size=job.test_size, train_size=job.train_size
            )
        return self._split_cache[key]

    # -- artefacts

    def _artefacts(self, job: Job, outcome: Outcome, data, model, task):
        """Run the job's producers, outside every clock; a failing one is only noted."""
        from familybench.artefacts import ArtefactContext, as_payload, get_artefact

        context = ArtefactContext(job=job, dataset=data, task=task, model=model, record=dict(outcome.record),
                                  cache=self._caches.setdefault(id(data), {}),
                                  predict=lambda X: self._predict(model, task, X))
        notes = []
        for name in job.artefacts:
            try:
                producer = get_artefact(name)
                seen = (job.dataset.name, name)
                if seen not in self._dataset_artefacts_sent:
                    self._dataset_artefacts_sent.add(seen)
                    payload = as_payload(producer.once_per_dataset(context))
                    if payload is not None:
                        outcome.dataset_artefacts[name] = payload
                payload = as_payload(producer.after_fit(context))
                if payload is not None:
                    outcome.artefacts[name] = payload
            except Exception as exc:
                notes.append(f"artefact {name!r} not stored: {one_line(exc)}\n{traceback.format_exc(limit=8)}")
        if notes:
            outcome.record["error_detail"] = "\n".join(filter(None, [outcome.record.get("error_detail"), *notes]))

    # -- warm-up

    def warm_up(self, models: set[str]) -> float:
        """Run each model's declared warm-up once, before any clock starts; seconds spent.

        A fresh process pays seconds importing torch/LightGBM and for its first fit; a
        model spec's ``warm_up`` (``register(..., warm_up=...)``) pays them here instead of
        in the first job's fit time. Models without one are not touched: a user's model may
        crash or hang, and must do so inside its own job, where the worker records it. Each
        warm-up is bounded (``FAMILYBENCH_WARM_UP_TIMEOUT``, default 60 s); one that fails
        or overruns is noted in :attr:`cold`, never raised. A model this process does not
        know yet (a suite's plug-in, imported with its first job) is warmed just before
        that job instead.
        """
        start = time.perf_counter()
        for name in sorted(models):
            self._warm_up_one(name, _warm_up_limit(), unknown_later=True)
        return time.perf_counter() - start

    def _warm_up_one(self, name: str, limit: float, *, unknown_later: bool = False) -> None:
        from familybench.models._registry import ModelError, run_warm_up

        if name in self._warm_tried:
            return
        with thread_limits(self.threads), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                with _time_limit(limit):
                    run_warm_up(name)
            except ModelError:
                if unknown_later:
                    return  # not registered here yet: tried again before its first job
                # still unknown (or not importable) before its job: that job fails, naming
                # it; no cold start to report for a model that never runs
            except (Exception, _WarmUpTimeout):  # a broken model fails in its own job, with its message
                self.cold.append(name)
        self._warm_tried.add(name)

    # -- one job

    def run(self, job: Job) -> Outcome:
        started = time.perf_counter()
        record = job_record(job, threads=self.threads, worker=str(os.getpid()))
        outcome = Outcome(job, record)
        try:
            if job.plugins or job.registrations:
                from familybench.models._plugins import load_plugins, replay

                load_plugins(job.plugins)  # once per process; a broken one fails this job, naming it
                replay(job.registrations)
            # a plug-in's model is known only now: its warm-up runs before the first fit here,
            # with at most half the job's time
            self._warm_up_one(job.model, min(_warm_up_limit(), job.timeout / 2))
            with thread_limits(self.threads), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self._run(job, outcome)
        except (DatasetError, FeatureCapError) as exc:
            # Not a failure of the model: this job cannot be run as asked (too few rows of a
            # class for the validation split, an expansion past the feature cap).
            prefix = "feature cap: " if isinstance(exc, FeatureCapError) else ""
            record.update(status=SKIPPED, error=prefix + str(exc).strip().splitlines()[0])
        except Exception as exc:
            record.update(status=FAILED, error=one_line(exc), error_detail=traceback.format_exc(limit=20))
        record["job_seconds"] = time.perf_counter() - started
        record["finished_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
        return outcome

    def _run(self, job: Job, outcome: Outcome):
        from familybench.models import get_model, get_spec

        record = outcome.record
        spec = get_spec(job.model)
        record["family"] = spec.family
        data = self.dataset(job.dataset)
        task = data.task
        record["task"] = task
        if task not in spec.tasks:
            record.update(status=SKIPPED, error=f"model {job.model!r} does not support task {task!r}")
            return
        if job.skip_reason:
            record.update(status=SKIPPED, error=job.skip_reason)
            return
        split = self._splits(data, job)[job.fold]
        if job.validation is not None:
            from familybench.datasets import make_inner_splits

            # Trials fit on the inner-train rows and are chosen on the validation rows;
            # the test rows are only ever scored.
            parts = [(inner.train, inner.test) for inner in make_inner_splits(
                data.y.to_numpy(), task, split.train, seed=job.seed, fold=job.fold, validation=job.validation,
                label=data.name)]
        else:
            parts = [(split.train, None)]
        X_test, y_test = data.X.iloc[split.test], data.y.iloc[split.test].to_numpy()
        record.update(n_train=len(parts[0][0]), n_test=len(split.test), n_features=data.n_features)

        params = dict(job.params)
        probe = get_model(job.model, task=task, **params)
        accepted = probe.get_params(deep=False) if hasattr(probe, "get_params") else {}
        if "random_state" in accepted and "random_state" not in params:
            params["random_state"] = job.seed  # the job seed also seeds the model
        if "device" in accepted and "device" not in params:
            params["device"] = job.device

        transfer = [0.0]
        samples, predict_times, scores = [], [], {}
        first_model = None
        bagged = len(parts) > 1  # k inner folds: the k models' predictions are bagged
        repeats = job.repeats if not bagged else 1  # k inner folds: k fits, each timed once
        memory = _PeakMemory()
        score_seconds = 0.0
        tests, valids = [], []  # per fitted model: (classes, pred, proba) on the test rows; (rows, ...) on its valid rows
        with transfer_receiver(lambda s: transfer.__setitem__(0, transfer[0] + s)):
            for fit_rows, valid_rows in parts:
                X_fit, y_fit = data.X.iloc[fit_rows], data.y.iloc[fit_rows].to_numpy()
                with memory:
                    fit_samples = []
                    for _ in range(repeats):
                        model = get_model(job.model, task=task, **params)
                        start = _clock()
                        model.fit(X_fit, y_fit)
                        fit_samples.append(_clock() - start)
                    start = _clock()
                    test_pred, test_proba = self._predict(model, task, X_test)
                    predict_times.append(_clock() - start)
                samples.extend(fit_samples)  # one fit: its timing repeats; k folds: one per fold
                first_model = first_model or model
                score_start = time.perf_counter()
                classes = getattr(model, "classes_", None)
                tests.append((classes, test_pred, test_proba))
                sides = [("train", y_fit, *self._predict(model, task, X_fit))]
                if valid_rows is not None:
                    valid_pred, valid_proba = self._predict(model, task, data.X.iloc[valid_rows])
                    valids.append((valid_rows, classes, valid_pred, valid_proba))
                if not bagged:
                    sides.append(("test", y_test, test_pred, test_proba))
                    if valid_rows is not None:
                        sides.append(("valid", data.y.iloc[valid_rows].to_numpy(), valid_pred, valid_proba))
                self._score(task, sides, classes, scores)
                score_seconds += time.perf_counter() - score_start
        score_start = time.perf_counter()
        if bagged:  # validation on the out-of-fold predictions, test on the k models' average
            classes = union_classes([c for c, _, _ in tests])
            rows = np.concatenate([r for r, *_ in valids])
            valid_pred, valid_proba = stack(valids, classes)
            test_pred, test_proba = bag(tests, classes, task)
            self._score(task, [("valid", data.y.iloc[rows].to_numpy(), valid_pred, valid_proba),
                               ("test", y_test, test_pred, test_proba)], classes, scores)
            valids = [(rows, classes, valid_pred, valid_proba)]
        score_seconds += time.perf_counter() - score_start
        # train scores: the mean over the k models (one model: its own)
        record.update({name: float(np.mean(values)) for name, values in scores.items()})
        if valids:
            record["n_valid"] = len(valids[0][0])
        if job.predictions:
            outcome.artefacts[PREDICTIONS] = predictions_payload(
                data.y.to_numpy(), split.test, test_pred, test_proba, valids[0] if valids else None,
                classes if bagged else getattr(first_model, "classes_", None))
        predict_seconds = float(np.sum(predict_times))
        model = first_model
        record["score_seconds"] = score_seconds
        record.update(
            status=Status.OK.value,
            fit_seconds=float(np.median(samples)) if len(parts) == 1 else float(np.sum(samples)),
            fit_seconds_samples=json.dumps([round(s, 6) for s in samples]),
            predict_seconds=predict_seconds,
            predict_rows_per_second=len(X_test) * len(parts) / predict_seconds if predict_seconds > 0 else float("nan"),
            transfer_seconds=transfer[0],
            peak_rss_bytes=memory.peak_above_start,
            n_params=_n_params(model),
            n_epochs=getattr(model, "n_epochs_", None),
            device=getattr(model, "device_", CPU),
        )
        if job.artefacts:
            self._artefacts(job, outcome, data, model, task)

    @staticmethod
    def _score(task, sides, classes, scores: dict) -> None:
        """Each side's metrics appended to ``scores`` (``side_metric -> [values]``)."""
        for side, y_true, pred, proba in sides:
            if task == REGRESSION and not np.all(np.isfinite(np.asarray(pred, dtype=np.float64))):
                raise FloatingPointError(f"model predicted non-finite values on the {side} rows")
            for metric, value in score(task, y_true, pred, proba, classes).items():
                scores.setdefault(f"{side}_{metric}", []).append(value)

    @staticmethod
    def _predict(model, task, X):
        if task == REGRESSION:
            return model.predict(X), None
        proba = model.predict_proba(X) if hasattr(model, "predict_proba") else None
        if proba is not None and hasattr(model, "classes_"):
            return np.asarray(model.classes_)[np.argmax(proba, axis=1)], proba
        return model.predict(X), proba


def environment_probe() -> dict:
    """What only a worker can tell: torch's version and the GPU, asked of torch only when the
    warm-up imported it (importing torch for a run without a torch model costs ~1 s of
    start-up; such a run reports torch's installed version, and no CUDA probe).

    Only builtin types: ``torch.__version__`` is a ``TorchVersion``, and unpickling one
    imports torch (a second of CPU in the process that reads the probe, and in a Dask worker
    that passes it on, while the job processes warm up)."""
    info = {"pid": os.getpid()}
    if "torch" not in sys.modules:
        from importlib import metadata

        try:
            info["torch"] = metadata.version("torch")
        except metadata.PackageNotFoundError:
            info["torch_error"] = "torch is not installed"
        return info
    try:
        import torch

        info["torch"] = str(torch.__version__)
        info["cuda_available"] = bool(torch.cuda.is_available())
        if info["cuda_available"]:
            info["gpu"] = str(torch.cuda.get_device_name(0))
    except Exception as exc:  # torch missing or broken: reported, not fatal
        info["torch_error"] = str(exc)
    return info


