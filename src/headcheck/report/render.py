"""Write a :class:`~headcheck.report.build.Report` as one self-contained HTML page or as Markdown.

Every text that comes from the data is escaped: HTML through :func:`html.escape`, Markdown
cells with HTML entities for ``& < >`` and backslashes before Markdown's punctuation, so a
scraped headline holding ``<script>`` or ``|`` is shown as text. The HTML page carries its
plots as data URIs, runs no script and forbids any (Content-Security-Policy) as a second guard.
"""

from __future__ import annotations

import base64
import html as _html
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from headcheck.report.sections import sections

if TYPE_CHECKING:
    from headcheck.report.build import Report
    from headcheck.report.plots import Image

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
STYLE = """
body{font:15px/1.45 system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.6em 0 1.2em}th,td{border:1px solid #ccc;padding:.3em .5em;
vertical-align:top;text-align:left}th{background:#f2f2f2}td.n{text-align:right;white-space:nowrap}
figure{margin:1em 0}img{max-width:100%}figcaption{color:#555;font-size:.9em}
.note{background:#fff6d6;padding:.5em .8em;border-left:4px solid #e0b000}
td.h{min-width:11em}td.b{min-width:24em;font-size:.9em}td.e{min-width:16em;font-size:.9em}
"""
_MD_SPECIAL = set("\\`*_[]|~#!")


def esc(value: Any) -> str:
    """Text from the data as HTML text (quotes too, so it is safe in attributes)."""
    return _html.escape("" if value is None else str(value), quote=True)


def md(value: Any) -> str:
    """Text from the data as one Markdown table cell: no HTML, no markup, no line breaks."""
    out = []
    for ch in " ".join(("" if value is None else str(value)).split()):
        if ch in "&<>":
            out.append({"&": "&amp;", "<": "&lt;", ">": "&gt;"}[ch])
        elif ch in _MD_SPECIAL:
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def _numeric(cell: str) -> bool:
    return (
        bool(cell) and cell.replace(",", "").replace(".", "").replace("%", "").lstrip("-").isdigit()
    )


_COLUMN_CLASS = {"headline": "h", "start of body": "b", "best-matching sentence": "e"}


def _html_table(head: list[str], rows: list[list[str]]) -> str:
    lines = ["<table>", "<thead><tr>" + "".join(f"<th>{esc(h)}</th>" for h in head) + "</tr>"]
    lines.append("</thead><tbody>")
    for row in rows:
        cells = []
        for name, cell in zip(head, row, strict=True):
            kind = "n" if _numeric(cell) else _COLUMN_CLASS.get(name, "")
            cells.append(
                f'<td class="{kind}">{esc(cell)}</td>' if kind else f"<td>{esc(cell)}</td>"
            )
        lines.append("<tr>" + "".join(cells) + "</tr>")
    lines.append("</tbody></table>")
    return "\n".join(lines)


def _name(report: Report) -> str:
    return "standard input" if report.source == "-" else Path(report.source).name


def html(report: Report, images: list[Image]) -> str:
    """One self-contained page: inline style, plots as data URIs, no script."""
    from headcheck.version import __version__

    by_name = {image.name: image for image in images}
    title = f"headcheck report: {_name(report)}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
    ]
    parts += [f'<p class="note">{esc(note)}</p>' for note in report.summary.notes]
    for section in sections(report):
        parts.append(f'<section id="{section.id}"><h2>{esc(section.heading)}</h2>')
        if section.text:
            parts.append(f"<p>{esc(section.text)}</p>")
        if section.rows:
            parts.append(_html_table(section.head, section.rows))
        elif section.head:
            parts.append("<p>None.</p>")
        for name in section.figures:
            if name in by_name:
                image = by_name[name]
                data = base64.b64encode(image.png).decode("ascii")
                parts.append(
                    f'<figure><img src="data:image/png;base64,{data}" alt="{esc(image.caption)}">'
                    f"<figcaption>{esc(image.caption)}</figcaption></figure>"
                )
        parts.append("</section>")
    parts.append(f"<footer><p>Written by headcheck {esc(__version__)}.</p></footer></body></html>")
    return "\n".join(parts) + "\n"


def _md_table(head: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(md(h) for h in head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(md(c) for c in row) + " |" for row in rows]
    return lines


def markdown(report: Report, images: list[Image], links: dict[str, str]) -> str:
    """GitHub-flavoured Markdown, e.g. for a CI job summary. A job summary shows neither local
    files nor data-URI images, so plots appear only as links to files written with them."""
    by_name = {image.name: image for image in images}
    lines = [f"# headcheck report: {md(_name(report))}", ""]
    lines += [f"> {md(note)}" for note in report.summary.notes]
    if not links:
        lines += ["", "_Plots are in the HTML report (`headcheck report INPUT -o report.html`)._"]
    for section in sections(report):
        lines += ["", f"## {md(section.heading)}", ""]
        if section.text:
            lines += [md(section.text), ""]
        if section.rows:
            lines += _md_table(section.head, section.rows)
        elif section.head:
            lines.append("None.")
        for name in section.figures:
            if name in links and name in by_name:
                lines += ["", f"![{md(by_name[name].caption)}](<{links[name]}>)"]
    return "\n".join(lines) + "\n"


def write_text(destination: str, text: str) -> None:
    """Write ``text`` to a file (under a temporary name, renamed when complete) or to stdout."""
    if destination == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    from headcheck.io.partial import write_whole

    write_whole(destination, text)
