"""Offline and safe: no outside network request, calibration files checked against their
declared fields (which the shipped JSON Schema is generated from) and refused when hostile,
and no pickle anywhere in the project."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from conftest import EXAMPLES, ROOT
from headcheck.calibrate.calibration import (
    FORMAT_VERSION,
    MAX_FILE_BYTES,
    SCHEMA_FILE,
    Calibration,
    schema,
)
from headcheck.decide.features import FEATURE_NAMES
from headcheck.errors import CalibrationError

F = len(FEATURE_NAMES)


def valid() -> dict[str, Any]:
    return {
        "format": "headcheck-calibration",
        "format_version": FORMAT_VERSION,
        "feature_names": list(FEATURE_NAMES),
        "mean": [0.0] * F,
        "scale": [1.0] * F,
        "coef": [0.5] * F,
        "intercept": -1.0,
        "short_threshold": 0.5,
        "long_threshold": 0.6,
        "target_false_flag_rate": 0.01,
        "model": "all-MiniLM-L6-v2",
        "mode": "self",
        "corpus_size": 100,
        "estimated_mismatch_rate": 0.02,
        "versions": {"headcheck": "0.1.0"},
    }


def test_the_shipped_schema_is_the_one_the_fields_declare() -> None:
    """calibration.schema.json is generated from the calibration's field declarations, not
    written by hand: the shipped file is what they give now."""
    shipped = ROOT / "src" / "headcheck" / "calibrate" / SCHEMA_FILE
    assert json.loads(shipped.read_text(encoding="utf-8")) == schema(), (
        "the shipped schema is out of date; write it anew with: python -c 'import json; "
        "from headcheck.calibrate.calibration import schema; "
        f"print(json.dumps(schema(), indent=2))' > {shipped.relative_to(ROOT)}"
    )


def test_the_shipped_schema_is_valid_and_accepts_a_saved_file(tmp_path: Path) -> None:
    """calibration.schema.json is a valid 2020-12 schema and a real file passes it."""
    jsonschema.Draft202012Validator.check_schema(schema())
    path = tmp_path / "c.json"
    path.write_text(json.dumps(valid()))
    calibration = Calibration.load(path)
    path.write_text(calibration.to_json())
    jsonschema.validate(json.loads(path.read_text()), schema())


def without(key: str) -> dict[str, Any]:
    return {name: value for name, value in valid().items() if name != key}


def with_raw(key: str, raw: str) -> str:
    """The valid file's JSON text with ``key``'s value replaced by ``raw`` JSON text."""
    text = json.dumps({**valid(), key: "PLACEHOLDER"})
    return text.replace('"PLACEHOLDER"', raw)


DEEP = "[" * 100_000 + "]" * 100_000
#: Hostile or malformed content, as text, and what the refusal must say.
HOSTILE: list[tuple[str, str, str]] = [
    ("wrong type", with_raw("intercept", '"1.0"'), "at intercept: '1.0' is not a number"),
    ("bool as number", with_raw("corpus_size", "true"), "at corpus_size: True is not a number"),
    ("fraction as count", with_raw("corpus_size", "10.5"), "at corpus_size: 10.5 is not an"),
    ("huge number", with_raw("intercept", "1e300"), "at intercept: 1e+300 is not in [-1e+06,"),
    ("overflow", with_raw("intercept", "1e999"), "at intercept"),
    ("huge integer", with_raw("corpus_size", "1" + "0" * 5000), "digits"),
    ("NaN", with_raw("intercept", "NaN"), "NaN is not a number"),
    ("Infinity", with_raw("intercept", "-Infinity"), "Infinity"),
    ("extra key", json.dumps({**valid(), "__class__": "os.system"}), "unknown field(s) '__class_"),
    ("missing key", json.dumps(without("mode")), "at the top level: missing field(s) 'mode'"),
    ("nested", with_raw("versions", '{"a": {"b": {"c": [1]}}}'), "at versions/a: {'b'"),
    ("deeply nested", with_raw("versions", DEEP), "nested too deeply"),
    ("long vector", with_raw("coef", json.dumps([0.1] * 10_000)), "at coef: 10000 items"),
    ("other features", with_raw("feature_names", '["a"]'), "at feature_names: 'a' at 0, where"),
    ("not JSON", "format = headcheck-calibration\n", "not JSON"),
    ("empty", "", "not JSON"),
    ("array", "[1, 2, 3]", "not a headcheck calibration file"),
]


@pytest.mark.parametrize(("name", "text", "message"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_calibration_files_are_refused_clearly(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    """Each malformed or hostile file raises CalibrationError naming the file and the fault."""
    path = tmp_path / "calibration.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CalibrationError, match=re.escape(message)) as info:
        Calibration.load(path)
    assert str(path) in str(info.value) and "headcheck calibrate" in str(info.value)


def _parsed(text: str) -> Any:
    """The JSON value of ``text`` as a strict reader gets it; None where it is not JSON."""
    try:
        return json.loads(text, parse_constant=lambda name: None)
    except (ValueError, RecursionError):
        return None


#: HOSTILE's files that parse to a JSON object: the ones the schema itself must refuse too
#: (the rest never get that far). Infinity and NaN parse as null here, which breaks it too.
_OBJECTS = [(name, _parsed(text)) for name, text, _ in HOSTILE if isinstance(_parsed(text), dict)]


@pytest.mark.parametrize(("name", "data"), _OBJECTS, ids=[name for name, _ in _OBJECTS])
def test_the_shipped_schema_refuses_what_the_loader_refuses(name: str, data: Any) -> None:
    """One declaration, two readers: a file the loader refuses breaks the JSON Schema too,
    so a user who checks files with the schema is told the same."""
    assert not jsonschema.Draft202012Validator(schema()).is_valid(data)


def test_a_pickle_file_is_refused_without_being_unpickled(tmp_path: Path) -> None:
    """A pickle (here of {'a': 1}, written as bytes) is refused as not UTF-8 JSON."""
    path = tmp_path / "calibration.pkl"
    path.write_bytes(b"\x80\x04\x95\x0b\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x01a\x94K\x01s.")
    with pytest.raises(CalibrationError, match=r"cannot read calibration file .* as UTF-8 JSON"):
        Calibration.load(path)


def test_a_hundred_megabyte_file_is_refused_unread(tmp_path: Path) -> None:
    """A 100 MB file is refused by its size, before anything is read."""
    path = tmp_path / "calibration.json"
    with path.open("wb") as f:
        f.truncate(100 * 1024 * 1024)  # sparse: 100 MB without writing them
    with pytest.raises(CalibrationError, match=f"at most {MAX_FILE_BYTES:,} bytes"):
        Calibration.load(path)


_UNSAFE_IMPORT = re.compile(
    r"^\s*(?:import|from)\s+(?:c?pickle|_pickle|joblib|dill|cloudpickle|shelve)\b", re.MULTILINE
)
_UNSAFE_CALL = re.compile(r"\b(?:pickle|joblib)\.(?:loads?|dumps?)\(|\btorch\.load\(")


def test_no_pickle_anywhere_in_the_project() -> None:
    """No module of src, tests or benchmarks imports pickle, joblib or their kin, or calls
    their load/dump (which could run code from a file)."""
    files = [p for d in ("src", "tests", "benchmarks") for p in (ROOT / d).rglob("*.py")]
    assert len(files) > 20
    found = [
        f"{path.relative_to(ROOT)}: {match.group().strip()}"
        for path in files
        for pattern in (_UNSAFE_IMPORT, _UNSAFE_CALL)
        for match in pattern.finditer(path.read_text(encoding="utf-8"))
    ]
    assert found == []


GUARD = """
import socket, sys
attempts = []
real_connect = socket.socket.connect
real_getaddrinfo = socket.getaddrinfo
LOCAL = {None, "", "localhost", "127.0.0.1", "::1", socket.gethostname()}
def local(host):
    return host in LOCAL or str(host).startswith("127.")
def connect(self, address):
    if self.family == socket.AF_UNIX or local(address[0]):
        return real_connect(self, address)
    attempts.append(address)
    raise OSError(f"network blocked: {address!r}")
def getaddrinfo(host, *args, **kwargs):
    if not local(host):
        attempts.append(host)
        raise OSError(f"network blocked: {host!r}")
    return real_getaddrinfo(host, *args, **kwargs)
socket.socket.connect = connect
socket.getaddrinfo = getaddrinfo
from headcheck.cli.main import main
try:
    status = main(sys.argv[1:])
finally:
    print("ATTEMPTS", repr(attempts), file=sys.stderr)
sys.exit(status)
"""


def test_a_fresh_process_scans_without_any_network_request(tmp_path: Path) -> None:
    """A new process (no model loaded yet) runs `scan` with every outside connection and DNS
    look-up recorded and refused: the model loads from the package, and none is tried."""
    out = tmp_path / "out.jsonl"
    done = subprocess.run(
        [sys.executable, "-c", GUARD, "scan", str(EXAMPLES), "-o", str(out), "-q"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "ATTEMPTS []" in done.stderr
    assert len(out.read_text().splitlines()) == len(EXAMPLES.read_text().splitlines())


def test_the_suite_guard_refuses_and_records_outside_connections(
    outside_network_blocked: list[object],
) -> None:
    """The autouse guard refuses a connection beyond loopback (and records it)."""
    import socket

    with pytest.raises(OSError, match="network blocked in tests"):
        socket.create_connection(("example.org", 443), timeout=1)
    assert outside_network_blocked == ["example.org"]
    outside_network_blocked.clear()  # the attempt was this test's own
