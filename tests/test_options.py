"""One options object for every front end: the same names, defaults and checks in the API,
the CLI, the Scrapy settings, datatrove and Spark."""

from __future__ import annotations

import inspect

import pytest

import headcheck.integrations.scrapy
from headcheck import ConfigurationError, Detector, Options
from headcheck.cli.parser import build_parser

#: The CLI's flag for each option (a True default is turned off with --no-...).
CLI_FLAGS = {
    "title_field": "--title-field",
    "text_field": "--text-field",
    "model": "--model",
    "backend": "--backend",
    "calibration": "--calibration",
    "threshold": "--threshold",
    "batch_size": "--batch-size",
    "device": "--device",
    "allow_download": "--allow-download",
    "cascade": "--no-cascade",
    "context": "--no-context",
}


def test_the_cli_has_a_flag_for_every_option_with_the_same_default() -> None:
    """`headcheck scan` takes every option, and with no flags gives Options()."""
    assert set(CLI_FLAGS) == set(Options.names())
    scan = next(
        action.choices["scan"]
        for action in build_parser()._actions  # argparse keeps its subcommands here
        if hasattr(action, "choices") and isinstance(action.choices, dict)
    )
    flags = {flag for action in scan._actions for flag in action.option_strings}
    assert set(CLI_FLAGS.values()) <= flags
    from headcheck.cli.common import options_from

    args = build_parser().parse_args(["scan", "in.jsonl"])
    assert options_from(args) == Options()


def test_the_scrapy_settings_are_the_options_in_capitals() -> None:
    """Each option is read from HEADCHECK_<NAME>, and the module's documentation names it."""
    values = {
        "HEADCHECK_TITLE_FIELD": "headline",
        "HEADCHECK_TEXT_FIELD": "body",
        "HEADCHECK_MODEL": "/models/mine",
        "HEADCHECK_BACKEND": "torch",
        "HEADCHECK_THRESHOLD": "0.3",
        "HEADCHECK_BATCH_SIZE": "16",
        "HEADCHECK_DEVICE": "cpu",
        "HEADCHECK_ALLOW_DOWNLOAD": "true",
        "HEADCHECK_CASCADE": "False",
        "HEADCHECK_CONTEXT": "0",
    }
    options = Options.from_settings(values.get)
    assert options == Options(
        title_field="headline",
        text_field="body",
        model="/models/mine",
        backend="torch",
        threshold=0.3,
        batch_size=16,
        device="cpu",
        allow_download=True,
        cascade=False,
        context=False,
    )
    assert Options.from_settings({}.get) == Options()
    for name in Options.names():
        assert f"HEADCHECK_{name.upper()}" in (headcheck.integrations.scrapy.__doc__ or "")


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"batch_size": 0}, "batch_size must be a whole number >= 1, got 0"),
        ({"batch_size": True}, "batch_size must be a whole number >= 1, got True"),
        ({"backend": "tpu"}, "backend must be one of torch, onnx"),
        ({"threshold": 2.0}, r"threshold must be a number in \[-1, 1\]"),
        ({"threshold": float("nan")}, r"threshold must be a number in \[-1, 1\]"),
        ({"context": "yes"}, "context must be True or False, got 'yes'"),
        ({"title_field": ""}, "title_field must be a field name"),
        ({"threshold": 0.3, "calibration": "c.json"}, "a calibration or a threshold, not both"),
    ],
)
def test_a_bad_value_is_refused_with_the_option_named(
    given: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        Options(**given)  # type: ignore[arg-type]


def test_the_detector_checks_its_options_as_everywhere() -> None:
    """Detector's keywords are checked by the same code, with the same messages."""
    with pytest.raises(ConfigurationError, match="batch_size must be a whole number >= 1"):
        Detector(batch_size=0)
    with pytest.raises(ConfigurationError, match="backend must be one of torch, onnx"):
        Detector(backend="tpu")  # type: ignore[arg-type]


def test_a_bad_setting_names_the_setting() -> None:
    with pytest.raises(ConfigurationError, match="HEADCHECK_BATCH_SIZE: expected a whole"):
        Options.from_settings({"HEADCHECK_BATCH_SIZE": "many"}.get)
    with pytest.raises(ConfigurationError, match="HEADCHECK_BACKEND: backend must be one of"):
        Options.from_settings({"HEADCHECK_BACKEND": "tpu"}.get)
    with pytest.raises(ConfigurationError, match="HEADCHECK_CONTEXT: expected True or False"):
        Options.from_settings({"HEADCHECK_CONTEXT": "maybe"}.get)


def test_every_python_front_end_takes_the_options_by_name() -> None:
    """check_frame, datatrove's HeadlineFilter and Spark's add_headcheck_columns take the
    options (as keywords or options=) and refuse an unknown one naming the valid ones."""
    import pandas as pd

    from headcheck.integrations.frame import check_frame

    frame = pd.DataFrame({"title": ["a"], "text": ["b"]})
    with pytest.raises(ConfigurationError, match="check_frame: unknown option"):
        check_frame(frame, title_key="title")
    built = Options.build("x", Options(batch_size=8), context=False)
    assert built == Options(batch_size=8, context=False)
    datatrove = pytest.importorskip("headcheck.datatrove", reason="the datatrove extra")
    with pytest.raises(ConfigurationError, match="HeadlineFilter: unknown option"):
        datatrove.HeadlineFilter(batch=8)
    step = datatrove.HeadlineFilter(options=Options(batch_size=8))
    assert step.options == Options(batch_size=8)
    assert "options" in inspect.signature(check_frame).parameters


def test_the_default_is_the_shipped_decision_in_every_front_end() -> None:
    """No threshold and no calibration given: the shipped calibrated decision decides."""
    detector = Detector.from_options(Options())
    assert detector.calibration is not None and detector.calibration.mode == "default"
    assert detector.batch_size == 64 and detector.use_context and detector.use_cascade
