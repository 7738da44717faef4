"""`headcheck report`: sections, embedded plots, escaping, labels, groups, scanned input, CLI."""

from __future__ import annotations

import base64
import json
import re
import struct
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import CRICKET_TITLE, EXAMPLES, POLITICS, POLITICS_TITLE, SPORTS_TITLE
from headcheck import Detector
from headcheck.calibrate.corpus import calibrate
from headcheck.calibrate.evaluate import load_pairs
from headcheck.cli.main import main
from headcheck.report.build import Report, build_report
from headcheck.report.options import ReportOptions
from headcheck.report.write import write_report
from headcheck.run.scan import scan_file
from headcheck.run.settings import ScanOptions

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SCRIPT = "<script>window.__pwned=1</script>"
IMG_PAYLOAD = '<img src=x onerror="window.__pwned=2">'
#: Rows whose scraped text tries to inject markup into the report.
HOSTILE = [
    {"title": f"{SCRIPT} {SPORTS_TITLE}", "text": POLITICS, "site": "a|b"},
    {"title": f"{IMG_PAYLOAD} Cup final", "text": POLITICS, "site": "<b>bold</b>"},
    {"title": POLITICS_TITLE, "text": f"{POLITICS} <svg onload=window.__pwned=3> | [x](y)"},
    {"title": "Markets rally | ![x](http://example.com/x.png)", "text": POLITICS, "site": "c"},
]


def write_jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


class _Parts(HTMLParser):
    """Collects section ids, image sources and script elements of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: list[str] = []
        self.images: list[str] = []
        self.scripts = 0
        self.handlers: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "section":
            self.sections.append(found["id"] or "")
        if tag == "img":
            self.images.append(found["src"] or "")
        if tag == "script":
            self.scripts += 1
        self.handlers += [name for name, _ in attrs if name.startswith("on")]


def parse(page: str) -> _Parts:
    parts = _Parts()
    parts.feed(page)
    return parts


def png_size(data_uri: str) -> tuple[int, int]:
    prefix = "data:image/png;base64,"
    assert data_uri.startswith(prefix)
    png = base64.b64decode(data_uri[len(prefix) :], validate=True)
    assert png[:8] == PNG_MAGIC and png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


@pytest.fixture(scope="module")
def detector(detector: Detector) -> Detector:
    """The report's own mechanics are tested on the plain threshold decision (0.25); a
    calibrated report has a test of its own."""
    return detector.with_options(calibration=None)


@pytest.fixture(scope="module")
def labelled(detector: Detector, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Report]:
    """The examples reported as HTML with labels and groups, the plots also written as files."""
    folder = tmp_path_factory.mktemp("labelled")
    report = write_report(
        str(EXAMPLES),
        str(folder / "report.html"),
        detector=detector,
        options=ReportOptions(label_field="label", group_field="source"),
        input_format="jsonl",
        output_format="html",
        plot_dir=folder / "plots",
    )
    return folder, report


def test_html_has_every_section_and_decodable_embedded_plots(
    labelled: tuple[Path, Report],
) -> None:
    """The page holds each section and its plots as PNG data URIs, and nothing external."""
    folder, _ = labelled
    page = (folder / "report.html").read_text(encoding="utf-8")
    parts = parse(page)
    assert parts.sections == [
        "totals",
        "distribution",
        "reasons",
        "groups",
        "lengths",
        "confident",
        "borderline",
        "evaluation",
    ]
    # similarity histogram, flagged rates, ROC, precision-recall, calibration
    assert len(parts.images) == 5
    for src in parts.images:
        width, height = png_size(src)
        assert width > 200 and height > 200
    assert parts.scripts == 0 and parts.handlers == []
    assert not re.search(r"(src|href)=\"(https?:)?//", page)
    assert "Content-Security-Policy" in page


def test_labelled_input_gives_roc_pr_and_calibration_plots(labelled: tuple[Path, Report]) -> None:
    """With --label-field the report measures the decision and draws its curves."""
    folder, report = labelled
    written = sorted(p.name for p in (folder / "plots").iterdir())
    assert written == [
        "calibration.png",
        "flagged.png",
        "precision-recall.png",
        "roc.png",
        "similarity.png",
    ]
    assert report.evaluation is not None and report.evaluation["roc_auc"] > 0.9
    assert report.labels is not None and int(report.labels.sum()) == sum(
        json.loads(line)["label"] for line in EXAMPLES.read_text(encoding="utf-8").splitlines()
    )


def test_unlabelled_report_has_no_evaluation(detector: Detector, tmp_path: Path) -> None:
    """Without labels there is no evaluation section and no ROC plot."""
    out = tmp_path / "r.html"
    write_report(
        str(EXAMPLES),
        str(out),
        detector=detector,
        options=ReportOptions(),
        input_format="jsonl",
        output_format="html",
    )
    parts = parse(out.read_text(encoding="utf-8"))
    assert "evaluation" not in parts.sections and "groups" not in parts.sections
    assert len(parts.images) == 2


def test_examples_report_counts_and_flags(labelled: tuple[Path, Report]) -> None:
    """Totals match the examples, the re-paired headlines score low and the cricket headline
    is among the most confident flags with its evidence."""
    _, report = labelled
    s = report.summary
    assert (s.articles, s.flagged, s.scored) == (39, 12, 37)
    assert s.threshold == 0.25
    assert set(report.repaired) == {"random", "near-topic"}
    assert report.repaired_flagged["random"] > 0.8
    assert float(s.similarities.mean()) > float(report.repaired["random"].mean()) + 0.2
    cricket = [a for a in report.confident if a.headline == CRICKET_TITLE]
    assert cricket and "foreign ministry" in (cricket[0].result.evidence or "")
    assert len(report.borderline) == 10
    assert any(not a.result.is_mismatch for a in report.borderline)


def test_hostile_text_is_escaped_in_html_and_markdown(detector: Detector, tmp_path: Path) -> None:
    """Markup in headlines, bodies and group names shows as text in both formats."""
    source = write_jsonl(tmp_path / "in.jsonl", HOSTILE)
    options = ReportOptions(group_field="site")
    for name, fmt in (("r.html", "html"), ("r.md", "markdown")):
        write_report(
            str(source),
            str(tmp_path / name),
            detector=detector,
            options=options,
            input_format="jsonl",
            output_format=fmt,  # type: ignore[arg-type]
        )
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    parts = parse(page)
    assert parts.scripts == 0 and parts.handlers == [] and len(parts.images) == 2
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=&quot;window.__pwned=2&quot;&gt;" in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in page
    text = (tmp_path / "r.md").read_text(encoding="utf-8")
    assert "<script" not in text and "<img" not in text and "<svg" not in text and "<b>" not in text
    assert "&lt;script&gt;window.\\_\\_pwned=1&lt;/script&gt;" in text
    assert "![x]" not in text and "\\!\\[x\\](http://example.com/x.png)" in text
    # Every table row has as many cell separators as its header: no `|` from the data leaks.
    for table in re.findall(r"(?:^\|.*\|$\n?)+", text, flags=re.M):
        widths = {len(re.findall(r"(?<!\\)\|", line)) for line in table.splitlines()}
        assert len(widths) == 1, table


def test_group_table_counts(detector: Detector, tmp_path: Path) -> None:
    """The group table counts articles and flags per group, largest first, with its top reason."""
    rows = [
        {"title": POLITICS_TITLE, "text": POLITICS, "site": "a"},
        {"title": "Home", "text": POLITICS, "site": "a"},
        {"title": POLITICS_TITLE, "text": None, "site": "a"},
        {"title": POLITICS_TITLE, "text": POLITICS, "site": "b"},
        {"title": POLITICS_TITLE, "text": POLITICS, "site": "b"},
        {"title": POLITICS_TITLE, "text": POLITICS},
    ]
    source = write_jsonl(tmp_path / "in.jsonl", rows)
    report = build_report(
        str(source),
        detector=detector,
        options=ReportOptions(group_field="site"),
        input_format="jsonl",
    )
    table = [(g.name, g.articles, g.flagged) for g in report.summary.groups]
    assert table == [("a", 3, 2), ("b", 2, 0), ("(none)", 1, 0)]
    assert report.summary.groups[0].top_reason in {"boilerplate_title", "missing_text"}
    capped = build_report(
        str(source),
        detector=detector,
        options=ReportOptions(group_field="site", max_groups=1),
        input_format="jsonl",
    )
    assert [(g.name, g.articles, g.flagged) for g in capped.summary.groups] == [
        ("a", 3, 2),
        ("(2 other groups)", 3, 0),
    ]


def test_scanned_file_keeps_its_decisions(detector: Detector, tmp_path: Path) -> None:
    """A file from `scan` (JSONL or CSV) is reported with its own decisions, not re-scored."""
    for suffix in ("jsonl", "csv"):
        scanned = tmp_path / f"scanned.{suffix}"
        stats = scan_file(
            str(EXAMPLES),
            str(scanned),
            detector=detector,
            options=ScanOptions(),
            input_format="jsonl",
            output_format=suffix,  # type: ignore[arg-type]
        )
        report = build_report(
            str(scanned), detector=detector, options=ReportOptions(), input_format=suffix
        )  # type: ignore[arg-type]
        assert report.scored_input
        assert report.summary.flagged == stats.flagged
        assert dict(report.summary.reasons) == dict(stats.reasons)
        assert report.summary.notes == []
    # Decided with a stricter threshold than the report is told: the report says so.
    strict = detector.with_options(calibration=None, threshold=0.6)
    stats = scan_file(
        str(EXAMPLES),
        str(tmp_path / "strict.jsonl"),
        detector=strict,
        options=ScanOptions(),
        input_format="jsonl",
        output_format="jsonl",
    )
    report = build_report(
        str(tmp_path / "strict.jsonl"),
        detector=detector,
        options=ReportOptions(),
        input_format="jsonl",
    )
    assert report.summary.flagged == stats.flagged > 12
    assert any("do not match --threshold 0.25" in note for note in report.summary.notes)


def test_calibrated_report_shows_probabilities(detector: Detector, tmp_path: Path) -> None:
    """With a calibration the decision is described and the probability histogram is drawn."""
    pairs, labels, _ = load_pairs(
        str(EXAMPLES), "jsonl", title_field="title", text_field="text", label_field="label"
    )
    calibration = calibrate(pairs, detector=detector, labels=labels)
    out = tmp_path / "r.html"
    report = write_report(
        str(EXAMPLES),
        str(out),
        detector=detector.with_options(calibration=calibration),
        options=ReportOptions(label_field="label"),
        input_format="jsonl",
        output_format="html",
        plot_dir=tmp_path / "plots",
    )
    # 39 examples are too few to adapt to: the shipped decision decides.
    assert report.summary.decision.startswith("calibrated (default)")
    assert report.summary.threshold is None and report.summary.probabilities is not None
    assert (tmp_path / "plots" / "probability.png").is_file()
    assert set(report.repaired_probabilities) == {"random", "near-topic"}
    assert "<th>probability</th>" in out.read_text(encoding="utf-8")


def test_markdown_links_plots_only_when_written(detector: Detector, tmp_path: Path) -> None:
    """Markdown has tables and a note; with --plot-dir it links the PNGs relative to itself."""
    common = {"detector": detector, "input_format": "jsonl", "output_format": "markdown"}
    write_report(str(EXAMPLES), str(tmp_path / "a.md"), options=ReportOptions(), **common)  # type: ignore[arg-type]
    plain = (tmp_path / "a.md").read_text(encoding="utf-8")
    assert "![" not in plain and "Plots are in the HTML report" in plain
    assert "| flagged | 12 (30.8%) |" in plain
    write_report(
        str(EXAMPLES),
        str(tmp_path / "b.md"),
        options=ReportOptions(),
        plot_dir=tmp_path / "img",
        **common,  # type: ignore[arg-type]
    )
    linked = (tmp_path / "b.md").read_text(encoding="utf-8")
    assert "(<img/similarity.png>)" in linked and (tmp_path / "img" / "similarity.png").is_file()


def test_cli_writes_a_report_and_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`headcheck report` writes Markdown for a .md output and prints one summary line."""
    source = write_jsonl(
        tmp_path / "in.jsonl",
        [{"title": POLITICS_TITLE, "text": POLITICS}, {"title": SPORTS_TITLE, "text": POLITICS}],
    )
    assert main(["report", str(source), "-o", str(tmp_path / "r.md")]) == 0
    assert "report on 2 articles, flagged 1 (50.0%)" in capsys.readouterr().err
    assert (tmp_path / "r.md").read_text(encoding="utf-8").startswith("# headcheck report")


@pytest.mark.parametrize(
    ("rows", "extra", "message"),
    [
        (None, [], "no such file"),
        ([{"title": "a", "text": "b", "label": "maybe"}], ["--label-field", "label"], ":1: field"),
        ([{"id": 1, "headline_similarity": 0.5, "is_headline_mismatch": False}], [], "--id-field"),
        (
            [{"title": "a", "text": "b", "headline_similarity": 7, "is_headline_mismatch": 0}],
            [],
            "in [-1.0, 1.0]",
        ),
        ([{"title": "a", "text": "b"}], ["-o", "report.pdf"], "--output-format"),
        ([{"title": "a", "text": "b"}], ["--examples", "-1"], "expected a whole number"),
        ([], [], "no records"),
    ],
)
def test_cli_bad_input_exits_2(
    rows: list[dict[str, object]] | None,
    extra: list[str],
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Missing files, bad labels, foreign or broken result fields and bad options exit 2."""
    monkeypatch.chdir(tmp_path)
    source = tmp_path / "in.jsonl"
    if rows is not None:
        write_jsonl(source, rows)
    with pytest.raises(SystemExit) as exit_info:
        main(["report", str(source), "-o", "r.html", *extra])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "r.html").exists()


def test_missing_matplotlib_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without matplotlib, HTML exits 2 naming headcheck[report]; tables-only Markdown works."""
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` fail
    source = write_jsonl(tmp_path / "in.jsonl", [{"title": POLITICS_TITLE, "text": POLITICS}])
    with pytest.raises(SystemExit) as exit_info:
        main(["report", str(source), "-o", str(tmp_path / "r.html")])
    assert exit_info.value.code == 2
    assert "pip install 'headcheck[report]'" in capsys.readouterr().err
    assert main(["report", str(source), "-o", str(tmp_path / "r.md"), "-q"]) == 0


def test_import_headcheck_stays_light() -> None:
    """Neither `import headcheck` nor `import headcheck.report.build` loads matplotlib or torch."""
    code = (
        "import sys, headcheck, headcheck.report.build, headcheck.report.render; "
        "print(sorted(m for m in ('matplotlib', 'torch') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
