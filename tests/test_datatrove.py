"""The datatrove filter, run in a real local datatrove pipeline."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

pytest.importorskip("datatrove", reason="the datatrove extra is not installed")

from datatrove.data import Document
from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers import JsonlWriter

from conftest import POLITICS, POLITICS_TITLE, SPORTS_TITLE
from headcheck.errors import ConfigurationError
from headcheck.integrations.datatrove import HeadlineFilter

DOCS = [
    {"id": "good-1", "title": POLITICS_TITLE, "text": POLITICS},
    {"id": "bad-1", "title": SPORTS_TITLE, "text": POLITICS},
    {"id": "good-2", "title": "Ceasefire talks in Geneva", "text": POLITICS},
    {"id": "no-title", "text": POLITICS},
]


def run(tmp_path: Path, action: str) -> tuple[list[dict[str, object]], dict[str, object]]:
    source = tmp_path / "in"
    source.mkdir()
    (source / "docs.jsonl").write_text("".join(json.dumps(d) + "\n" for d in DOCS))
    out, logs = tmp_path / "out", tmp_path / "logs"
    LocalPipelineExecutor(
        pipeline=[
            JsonlReader(str(source)),
            HeadlineFilter(action=action, batch_size=2),  # type: ignore[arg-type]
            JsonlWriter(str(out)),
        ],
        tasks=1,
        logging_dir=str(logs),
    ).run()
    rows = [
        json.loads(line)
        for f in sorted(out.glob("*.jsonl.gz"))
        for line in gzip.decompress(f.read_bytes()).decode().splitlines()
    ]
    return rows, json.loads((logs / "stats.json").read_text())


def step_stats(stats: object) -> dict[str, object]:
    """The stats of the headline filter step in datatrove's stats.json."""
    steps = stats if isinstance(stats, list) else [stats]
    found = [s for s in steps if "Headline" in str(s.get("name", ""))]  # type: ignore[union-attr]
    assert found, f"no headline step in {stats}"
    return found[0]["stats"]  # type: ignore[index,no-any-return]


def test_drop_mode_removes_flagged_documents_with_reasons(tmp_path: Path) -> None:
    """Flagged documents are dropped, and each reason becomes a stats key."""
    rows, stats = run(tmp_path, "drop")
    assert [r["id"] for r in rows] == ["good-1", "good-2"]
    assert rows[0]["metadata"]["is_headline_mismatch"] is False
    step = step_stats(stats)
    assert step["dropped_low_similarity"] == 1 and step["dropped_missing_title"] == 1


def test_annotate_mode_keeps_every_document(tmp_path: Path) -> None:
    """In annotate mode all documents pass with the result in their metadata."""
    rows, stats = run(tmp_path, "annotate")
    assert [r["id"] for r in rows] == [d["id"] for d in DOCS]
    reasons = [r["metadata"]["headline_mismatch_reason"] for r in rows]
    assert reasons == [None, "low_similarity", None, "missing_title"]
    assert step_stats(stats)["flagged_low_similarity"] == 1


def test_bad_action_is_rejected() -> None:
    """An unknown action names the valid ones."""
    with pytest.raises(ValueError, match="drop, annotate"):
        HeadlineFilter(action="delete")  # type: ignore[arg-type]


@pytest.mark.parametrize("what", ["calibration", "model"])
def test_an_unusable_model_or_calibration_raises_at_construction(tmp_path: Path, what: str) -> None:
    """Fails closed where the pipeline is built, not on each worker's first document."""
    from headcheck.errors import ConfigurationError

    if what == "calibration":
        bad = tmp_path / "calibration.json"
        bad.write_text("[1, 2, 3]")
        with pytest.raises(
            ConfigurationError, match=r"HeadlineFilter: .*not a headcheck calibration"
        ):
            HeadlineFilter(calibration=bad)
    else:
        with pytest.raises(ConfigurationError, match="HeadlineFilter: "):
            HeadlineFilter(model=tmp_path / "no-such-model")


def test_a_wrong_title_field_stops_the_task_with_the_keys_found(tmp_path: Path) -> None:
    """When none of the first documents has the headline key, the task stops naming the
    metadata keys they have, instead of dropping every document as missing_title."""
    docs = [Document(text=POLITICS, id=f"d{i}", metadata={"headline": "x", "url": "u"})
            for i in range(3)]  # fmt: skip
    step = HeadlineFilter(title_field="title", action="drop")
    with pytest.raises(ConfigurationError) as caught:
        list(step.run(iter(docs)))
    message = str(caught.value)
    assert message.startswith(
        "HeadlineFilter: no field 'title' (title_field) in the first 3 documents' metadata"
    )
    assert "which have 'url', 'headline'" in message or "which have 'headline', 'url'" in message


def test_options_are_headchecks_with_the_same_checks() -> None:
    """The filter takes headcheck's options by name, checked as everywhere; an unknown
    keyword names the valid ones."""
    step = HeadlineFilter(batch_size=8, context=False, title_field="headline")
    assert step.options.batch_size == 8 and step.batch_size == 8
    assert step.options.title_field == "headline" and step.options.context is False
    with pytest.raises(ConfigurationError, match="batch_size must be a whole number >= 1"):
        HeadlineFilter(batch_size=0)
    with pytest.raises(ConfigurationError, match=r"unknown option.*title_key"):
        HeadlineFilter(title_key="title")
