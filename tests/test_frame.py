"""The pandas helper."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from conftest import POLITICS, POLITICS_TITLE, SPORTS_TITLE
from headcheck import Detector, check_frame
from headcheck.result import RESULT_FIELDS


def test_frame_gains_the_result_columns_row_for_row(detector: Detector) -> None:
    """Any column names work; the result columns (those a scanned file gets, typed) line up
    with the rows."""
    frame = pd.DataFrame(
        {"headline": [POLITICS_TITLE, SPORTS_TITLE, None], "body": [POLITICS, POLITICS, POLITICS]},
        index=[10, 20, 30],
    )
    out = check_frame(frame, title_field="headline", text_field="body", detector=detector)
    assert list(out.index) == [10, 20, 30]
    assert list(out["is_headline_mismatch"]) == [False, True, True]
    reasons = out["headline_mismatch_reason"]
    assert reasons.isna().tolist() == [True, False, False]  # no reason: a missing value
    assert reasons.iloc[1:].tolist() == ["low_similarity", "missing_title"]
    assert out["headline_similarity"].iloc[0] > 0.6 and math.isnan(
        out["headline_similarity"].iloc[2]
    )
    assert list(frame.columns) == ["headline", "body"]  # the input is left alone
    assert list(out.columns) == ["headline", "body", *RESULT_FIELDS]
    assert out["headline_mismatch_probability"].dtype == "float64"
    assert out["headline_similarity"].dtype == "float64"
    assert "Geneva" in out["headline_evidence"].iloc[0]


def test_missing_column_names_what_the_frame_has(detector: Detector) -> None:
    """A wrong column name is reported with the columns that exist."""
    frame = pd.DataFrame({"headline": ["a"], "body": ["b"]})
    with pytest.raises(KeyError, match="title_field"):
        check_frame(frame, detector=detector)


def test_options_build_the_detector_and_a_wrong_one_is_named() -> None:
    """Option keywords are headcheck's options (checked as everywhere); an unknown one is
    refused with the valid names."""
    frame = pd.DataFrame({"title": [POLITICS_TITLE], "text": [POLITICS]})
    with pytest.raises(ValueError, match="batch_size must be a whole number >= 1, got 0"):
        check_frame(frame, batch_size=0)
    with pytest.raises(ValueError, match=r"unknown option.*title_column.*title_field"):
        check_frame(frame, title_column="title")


def test_the_field_names_of_an_options_object_are_used(detector: Detector) -> None:
    """options=Options(title_field=...) names the columns when no keyword does."""
    from headcheck import Options

    frame = pd.DataFrame({"headline": [POLITICS_TITLE], "body": [POLITICS]})
    options = Options(title_field="headline", text_field="body")
    out = check_frame(frame, options=options)
    assert out["is_headline_mismatch"].tolist() == [False]
    with pytest.raises(TypeError, match="not both"):
        check_frame(frame, options=options, detector=detector)
