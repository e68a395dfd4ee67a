"""Run-level metadata: versions, machine, git commit — read without importing heavy packages."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

from familybench._distributions import installed_version
from familybench._threads import cpu_count

#: What every run uses, whatever its families; a family's own distributions come from its
#: model spec (``register(..., versions=...)``).
BASE_PACKAGES = ("familybench", "numpy", "pandas", "scikit-learn", "seaborn", "matplotlib")
# What a result's numbers depend on: their versions make up a row's ``libs_digest``, with
# the built-in families' distributions between the two (in registration order). A plug-in
# family's versions are in the run metadata, not in the digest, which must not depend on
# what a process has loaded.
_RESULT_BASE = ("numpy", "pandas", "scikit-learn", "scipy")
_RESULT_TOOLS = ("threadpoolctl", "optuna")
#: The digest's libraries that every family uses (the rest are the built-in families' own).
SHARED_RESULT_PACKAGES = (*_RESULT_BASE, *_RESULT_TOOLS)


def _version(name: str) -> str | None:
    return installed_version(name)


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo`` on Linux, else what :mod:`platform` says).

    The one description of the machine's CPU: run metadata, compare's warnings and the
    ``benchmarks/`` scripts all read it here.
    """
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def git_commit(cwd: str | None = None) -> str | None:
    """``HEAD`` of the repository around ``cwd`` (``+dirty`` with uncommitted changes)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=5, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=cwd, capture_output=True, text=True, timeout=5
        ).stdout.strip()
        return head + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return None


def result_packages() -> tuple[str, ...]:
    """The distributions whose versions make up a row's ``libs_digest``."""
    from familybench.models._builtins import BUILTIN_NAMES
    from familybench.models._registry import _REGISTRY

    names = list(_RESULT_BASE)
    for spec in _REGISTRY.values():  # built-ins come first, in registration order
        if spec.name in BUILTIN_NAMES:
            names += [dist for dist in spec.versions if dist not in names]
    return (*names, *_RESULT_TOOLS)


def collect(models=None) -> dict:
    """Everything a reader needs to judge whether two runs are comparable.

    ``versions`` holds the base packages and the distributions of the run's ``models``
    (default: every registered one), flat, as compare reads them; ``family_versions`` the
    same per family, for the report.
    """
    import psutil

    from familybench.models._registry import family_versions

    by_family = family_versions(None if models is None else sorted(set(models)))
    versions = {name: _version(name) for name in BASE_PACKAGES}
    for dists in by_family.values():
        versions.update(dists)
    return {
        "versions": versions,
        "family_versions": by_family,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpu": cpu_model(),
        "cpu_count": cpu_count(),
        "memory_bytes": psutil.virtual_memory().total,
        "hostname": platform.node(),
        "git_commit": git_commit(),
        # digest -> versions: lets a reader name the libraries behind each row's libs_digest
        "libraries": {provenance()["libs_digest"]: result_library_versions()},
        "command": " ".join([os.path.basename(sys.argv[0])] + sys.argv[1:]),
    }


_PROVENANCE: dict | None = None


def result_library_versions() -> dict[str, str | None]:
    """The versions of the libraries a result's numbers depend on (``libs_digest``'s input)."""
    return {name: _version(name) for name in result_packages()}


def provenance() -> dict:
    """Where a row came from: familybench's version, a digest of the library versions its
    numbers depend on, and familybench's own source (its git commit, or a digest of its
    files when installed from a package) — never the user's working directory. Cached per
    process."""
    global _PROVENANCE
    if _PROVENANCE is None:
        import hashlib
        from pathlib import Path

        import familybench

        libs = ";".join(f"{name}=={version}" for name, version in result_library_versions().items())
        package = Path(familybench.__file__).resolve().parent
        commit = git_commit(str(package)) if (package.parents[1] / "pyproject.toml").is_file() else None
        if commit is None:
            digest = hashlib.sha256()
            for path in sorted(package.rglob("*.py")):
                digest.update(path.relative_to(package).as_posix().encode())
                digest.update(path.read_bytes())
            commit = "files:" + digest.hexdigest()[:16]
        _PROVENANCE = {
            "familybench_version": familybench.__version__,
            "libs_digest": hashlib.sha256(libs.encode()).hexdigest()[:12],
            "source_commit": commit,
        }
    return dict(_PROVENANCE)
