"""The HTML report in a real browser: headless Chromium (Debian's package) driven by Playwright.

Skips, with the reason, only when no `chromium` is installed (CI installs it in .ci/run).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import POLITICS, POLITICS_TITLE, SPORTS_TITLE
from headcheck import Detector
from headcheck.report.options import ReportOptions
from headcheck.report.render import CSP
from headcheck.report.write import write_report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None:
    pytest.skip(
        "chromium not found on PATH (apt-get install chromium; .ci/run installs it)",
        allow_module_level=True,
    )

# Chromium here runs without a sandbox (containers, root) and must not reach the network.
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCRIPT = "<script>window.__pwned=1</script>"
IMG_PAYLOAD = '<img src=x onerror="window.__pwned=2">'
ROWS = [
    {"title": f"{SCRIPT} {SPORTS_TITLE}", "text": POLITICS, "label": 1, "site": "a"},
    {"title": f"{IMG_PAYLOAD} Cup final", "text": POLITICS, "label": 1, "site": "b"},
    {"title": POLITICS_TITLE, "text": f"{POLITICS} <svg onload=window.__pwned=3>", "label": 0},
    {"title": POLITICS_TITLE, "text": POLITICS, "label": 0, "site": "a"},
    {"title": "Ceasefire talks open in Geneva", "text": POLITICS, "label": 0, "site": "b"},
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium with a fresh, empty profile."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as profile, sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=ARGS
        )
        yield context
        context.close()


@pytest.fixture(scope="module")
def page_file(detector: Detector, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A labelled report of hostile rows: its headlines carry a script and an onerror handler."""
    folder = tmp_path_factory.mktemp("browser")
    source = folder / "in.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in ROWS), encoding="utf-8")
    out = folder / "report.html"
    write_report(
        str(source),
        str(out),
        detector=detector,
        options=ReportOptions(label_field="label", group_field="site"),
        input_format="jsonl",
        output_format="html",
    )
    return out


def _open(browser: Any, path: Path) -> tuple[Any, list[str]]:
    page = browser.new_page()
    outside: list[str] = []
    page.on(
        "request",
        lambda r: outside.append(r.url) if not r.url.startswith(("file:", "data:")) else None,
    )
    page.goto(path.as_uri(), wait_until="load")
    return page, outside


def _check(page: Any, outside: list[str]) -> None:
    images = page.evaluate(
        "Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.naturalHeight])"
    )
    # histogram, probabilities, flagged rates, ROC, precision-recall, calibration
    assert len(images) == 6
    assert all(complete and width > 0 and height > 0 for complete, width, height in images)
    assert page.evaluate("typeof window.__pwned") == "undefined"
    text = page.evaluate("document.body.innerText")
    assert SCRIPT in text and IMG_PAYLOAD in text  # shown as text, not run
    assert page.evaluate("document.scripts.length") == 0
    assert outside == []


CONTROL = "<script>window.__control=1</script></body>"


def test_plots_render_and_injected_markup_does_not_run(
    browser: Any, page_file: Path, tmp_path: Path
) -> None:
    """Every plot decodes in Chromium; a headline's <script> and onerror stay text, and the
    page's policy would block an inline script even if one got through."""
    page, outside = _open(browser, page_file)
    _check(page, outside)
    page.close()
    control = tmp_path / "control.html"
    control.write_text(
        page_file.read_text(encoding="utf-8").replace("</body>", CONTROL), encoding="utf-8"
    )
    page, _ = _open(browser, control)
    assert page.evaluate("typeof window.__control") == "undefined"
    page.close()


def test_escaping_alone_keeps_scripts_out(browser: Any, page_file: Path, tmp_path: Path) -> None:
    """With the Content-Security-Policy taken out, the escaping alone still stops the payloads
    (while an inline script added to the same page does run: the check can see one)."""
    html = page_file.read_text(encoding="utf-8")
    meta = f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
    assert meta in html
    bare = tmp_path / "bare.html"
    bare.write_text(html.replace(meta, ""), encoding="utf-8")
    page, outside = _open(browser, bare)
    _check(page, outside)
    page.close()
    control = tmp_path / "control.html"
    control.write_text(html.replace(meta, "").replace("</body>", CONTROL), encoding="utf-8")
    page, _ = _open(browser, control)
    assert page.evaluate("window.__control") == 1
    page.close()
