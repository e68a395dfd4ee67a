"""report.html in a real headless Chromium: it renders, its images decode, the console stays silent.

Skipped when no Chromium is installed (Debian: ``apt-get install chromium``).
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from familybench.bench.run.driver import execute
from familybench.bench.suite.spec import parse_suite
from familybench.reports import write_report

pytestmark = pytest.mark.browser

_BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# The report has no scripts of its own; the probe copy adds one that reports what the page holds.
_PROBE = """<script>
window.addEventListener('load', function () {
  var images = Array.from(document.images);
  var result = {
    images: images.length,
    decoded: images.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length,
    tables: document.querySelectorAll('table').length,
    rows: document.querySelectorAll('tbody tr').length,
    headings: Array.from(document.querySelectorAll('h2')).map(function (h) { return h.textContent; })
  };
  var out = document.createElement('pre');
  out.id = 'probe-result';
  out.textContent = JSON.stringify(result);
  document.body.appendChild(out);
});
</script></body>"""


def _browser() -> str | None:
    return next((path for name in _BROWSERS if (path := shutil.which(name))), None)


def _chromium(browser: str, profile, *args: str) -> subprocess.CompletedProcess:
    command = [
        browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-extensions", f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=90, check=False)


def _console_messages(stderr: str) -> list[str]:
    # Chromium logs every console message (script errors, blocked resources, CSP violations)
    # as ":CONSOLE" lines; a page without scripts should log none.
    return [line for line in stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]


@pytest.fixture(scope="module")
def browser():
    path = _browser()
    if path is None:
        pytest.skip("headless Chromium not installed (apt-get install chromium)")
    return path


@pytest.fixture(scope="module")
def report(tmp_path_factory, browser):
    out = tmp_path_factory.mktemp("browser")
    rng = np.random.default_rng(1)
    X = rng.normal(size=(120, 2))
    csv = out.parent / "ring.csv"
    pd.DataFrame({"x1": X[:, 0], "x2": X[:, 1], "y": (np.hypot(X[:, 0], X[:, 1]) > 1).astype(int)}).to_csv(
        csv, index=False)
    suite = parse_suite({
        "seeds": 2,
        "datasets": {"<img src=x onerror=alert(1)>": {"path": str(csv), "target": "y", "task": "binary"},
                     "sine1d": {"n_samples": 120}},
        "models": {"linear": {"model": "linear"}, "a<b>": {"model": "poly", "params": {"degree": 2}},
                   "boom": {"model": "badmodels:Boom"}},
    })
    execute(suite, out, executor="serial")
    write_report(out)
    return out / "report.html"


def test_report_renders_with_tables_and_images(report, browser, tmp_path):
    probe = tmp_path / "probe.html"
    page = report.read_text()
    # Only the copy may run a script: its CSP gains 'unsafe-inline' scripts, the report's has none.
    probe.write_text(page.replace("default-src 'none';", "default-src 'none'; script-src 'unsafe-inline';")
                     .replace("</body>", _PROBE))
    run = _chromium(browser, tmp_path / "profile", "--virtual-time-budget=10000", "--dump-dom", probe.as_uri())
    found = re.search(r'<pre id="probe-result">(.*?)</pre>', run.stdout)
    assert found, run.stderr[-2000:]
    result = json.loads(html.unescape(found.group(1)))  # the DOM dump escapes text nodes
    assert result["images"] >= 5 and result["decoded"] == result["images"]
    assert result["tables"] >= 5 and result["rows"] >= 10
    assert "Run" in result["headings"] and "Failures" in result["headings"]
    assert "Dataset: <img src=x onerror=alert(1)>" in result["headings"]  # shown as text, not as an element
    assert _console_messages(run.stderr) == []


def test_report_loads_without_console_errors(report, browser, tmp_path):
    run = _chromium(browser, tmp_path / "profile", "--virtual-time-budget=10000", "--dump-dom", report.as_uri())
    assert "<table>" in run.stdout and "data:image/png;base64," in run.stdout
    assert _console_messages(run.stderr) == []
    assert "<img src=x" not in run.stdout  # the hostile dataset name stayed text


def test_report_screenshot_is_not_blank(report, browser, tmp_path):
    shot = tmp_path / "report.png"
    run = _chromium(browser, tmp_path / "profile", "--hide-scrollbars", "--window-size=1280,2400",
                    f"--screenshot={shot}", report.as_uri())
    assert shot.is_file(), run.stderr[-2000:]
    import matplotlib.image

    pixels = matplotlib.image.imread(shot)
    assert pixels.shape[:2] == (2400, 1280)
    assert pixels[..., :3].std() > 0.05  # text, tables and figures, not an empty page
