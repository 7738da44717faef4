"""The fault benchmark's set and its measure (benchmarks/faults.py), on a small FNC-1-shaped
data set written here: no model is loaded."""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent

TOPICS = {
    "rail": "trains rail station commuters timetable signal",
    "flood": "river flood rain water homes rescue",
    "vote": "council vote election ballot mayor candidates",
    "match": "football match goal team striker league",
}


@pytest.fixture(scope="module")
def faults() -> ModuleType:
    spec = importlib.util.spec_from_file_location("faults", ROOT / "benchmarks" / "faults.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_data(folder: Path) -> Path:
    """24 bodies (six per topic, so a body's five most alike are its topic's), each with two
    related headlines of its own, and one unrelated pairing that the benchmark must ignore."""
    bodies, stances = [], []
    for t, (topic, words) in enumerate(TOPICS.items()):
        for k in range(6):
            body_id = str(10 * t + k)
            first = f"The {topic} story number {k} opens with {words} in a full first sentence."
            rest = " ".join(f"More about {words} and detail {j} of story {k}." for j in range(8))
            bodies.append({"Body ID": body_id, "articleBody": f"{first} {rest}"})
            for h in range(2):
                headline = f"{topic.title()} headline {h} of story {body_id}"
                stances.append({"Headline": headline, "Body ID": body_id, "Stance": "discuss"})
    stances.append({"Headline": "Unrelated claim", "Body ID": "0", "Stance": "unrelated"})
    for name, rows in (("train_bodies.csv", bodies), ("train_stances.csv", stances)):
        with open(folder / name, "w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    return folder


def test_set_has_every_kind_with_its_label_and_a_fixed_seed(
    faults: ModuleType, tmp_path: Path
) -> None:
    """One row of each kind per body, faults labelled 1, the same rows on every build, and a
    near-topic headline from another body of the same topic that shares no headline."""
    data = write_data(tmp_path)
    rows = faults.build(data)
    assert rows == faults.build(data)
    kinds = {
        kind: [r for r in rows if r["fault"] == kind] for kind in (*faults.GENUINE, *faults.FAULTS)
    }
    assert all(len(v) == 24 for v in kinds.values())
    assert all(r["label"] == int(r["fault"] not in faults.GENUINE) for r in rows)
    for row in kinds["near_topic_headline"]:
        own_topic = next(t for t in TOPICS if t in row["text"].split()[1])
        source = row["title"].split()[-1]
        assert source != row["body_id"]
        assert row["title"].lower().startswith(own_topic)
        assert 0.0 < row["source_similarity"] <= 1.0
    for row in kinds["truncated_text"]:
        whole = next(r["text"] for r in kinds["clean"] if r["body_id"] == row["body_id"])
        assert whole.startswith(row["text"]) and len(row["text"]) < len(whole) / 3
    assert "Unrelated claim" not in {r["title"] for r in rows}


def row(kind: str, score: float, *, reasons: tuple[str, ...] = (), **extra: Any) -> dict[str, Any]:
    return {
        "fault": kind,
        "label": int(kind not in ("clean", "clean_with_furniture")),
        "similarity": 0.5,
        "probability": score,
        "reasons": list(reasons),
        **extra,
    }


def test_recall_counts_rule_flags_at_every_cut_off(faults: ModuleType) -> None:
    """The cut-off flags 1% of the genuine rows; a rule-flagged fault is caught whatever its
    probability, and near-topic recall is split by how alike the two bodies are."""
    genuine = [row("clean", i / 1000) for i in range(200)]  # 0.000 .. 0.199
    rows = [
        *genuine,
        row("random_headline", 0.9),
        row("random_headline", 0.1),
        row("boilerplate_title", 0.0, reasons=("boilerplate_title",)),
        row("near_topic_headline", 0.5, source_similarity=0.1),
        row("near_topic_headline", 0.05, source_similarity=0.3),
        row("near_topic_headline", 0.05, source_similarity=0.6),
    ]
    report = faults.recall_at_false_flags(rows, 0.01)
    assert report["false_flag_rate"] == pytest.approx(0.01)  # 0.199 and 0.198; 0.197 is the cut
    assert report["recall"] == {
        "boilerplate_title": 1.0,
        "near_topic_headline": pytest.approx(1 / 3, abs=1e-4),
        "random_headline": 0.5,
    }
    assert report["recall_all_faults"] == pytest.approx(0.5)
    bands = report["near_topic_by_source_similarity"]
    assert [b["recall"] for b in bands.values()] == [1.0, 0.0, 0.0]
    assert list(bands) == ["under 0.2", "0.2-0.4", "0.4 and over"]
