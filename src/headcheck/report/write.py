"""Build the report of a file and write it as HTML (with its figures) or Markdown."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from headcheck.detector import Detector
from headcheck.io.formats import Format, ReadMeter, check_not_input
from headcheck.report import plots, render
from headcheck.report.build import Report, build_report
from headcheck.report.options import REPORT_FORMATS, ReportFormat, ReportOptions


def write_report(
    source: str,
    destination: str,
    *,
    detector: Detector,
    options: ReportOptions,
    input_format: Format,
    output_format: ReportFormat,
    plot_dir: str | os.PathLike[str] | None = None,
    progress: Callable[[int], None] | None = None,
    meter: ReadMeter | None = None,
) -> Report:
    """Build the report of ``source`` and write it to ``destination`` ("-": standard output).

    HTML embeds its plots; Markdown (for a CI job summary, which shows no local or data-URI
    images) carries tables only, and links the plots when ``plot_dir`` is given, where every
    plot is written as a PNG file.
    """
    check_not_input(source, destination)
    if output_format not in REPORT_FORMATS:
        raise ValueError(
            f"output format must be one of {', '.join(REPORT_FORMATS)}, got {output_format!r}"
        )
    drawing = output_format == "html" or plot_dir is not None
    if drawing:
        plots.require()
    report = build_report(
        source,
        detector=detector,
        options=options,
        input_format=input_format,
        progress=progress,
        meter=meter,
    )
    images = plots.draw(report) if drawing else []
    links: dict[str, str] = {}
    if plot_dir is not None:
        folder = Path(plot_dir)
        folder.mkdir(parents=True, exist_ok=True)
        base = Path(destination).resolve().parent if destination != "-" else Path.cwd()
        for image in images:
            path = folder / f"{image.name}.png"
            path.write_bytes(image.png)
            links[image.name] = Path(os.path.relpath(path.resolve(), base)).as_posix()
    if output_format == "html":
        text = render.html(report, images)
    else:
        text = render.markdown(report, images, links)
    render.write_text(destination, text)
    return report
