"""The cache files' arrays are read as views of the checked bytes: the same values as numpy's
own reader, never a copy that could differ from what was checked, and never a pickle."""

from __future__ import annotations

import io

import numpy as np
import pytest

from headcheck.embed.cache import array_in, arrays_in


def _npz(compressed: bool, **arrays: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buffer, **arrays)
    return buffer.getvalue()


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


ARRAYS = {
    "table": np.arange(24, dtype=np.float32).reshape(4, 6) / 7,
    "fortran": np.asfortranarray(np.arange(12, dtype=np.int64).reshape(3, 4)),
    "labels": np.array(["en", "de", "zh"]),
    "empty": np.zeros((0, 5), dtype=np.uint16),
    "scalar": np.array(3.5),
}


@pytest.mark.parametrize("compressed", [False, True])
def test_an_npz_reads_as_numpy_reads_it(compressed: bool) -> None:
    data = _npz(compressed, **ARRAYS)
    read = arrays_in(data)
    assert sorted(read) == sorted(ARRAYS)
    with np.load(io.BytesIO(data), allow_pickle=False) as expected:
        for name, array in ARRAYS.items():
            assert read[name].dtype == array.dtype
            assert read[name].shape == array.shape
            np.testing.assert_array_equal(read[name], expected[name])


def test_a_stored_member_is_a_read_only_view_of_the_checked_bytes() -> None:
    data = _npz(False, table=ARRAYS["table"])
    table = arrays_in(data)["table"]
    assert not table.flags.writeable
    # Its memory is inside the bytes that were read (and digest-checked), not a copy.
    view = np.frombuffer(data, dtype=np.uint8)
    assert np.shares_memory(table, view)


def test_an_npy_reads_as_numpy_reads_it() -> None:
    for array in ARRAYS.values():
        read = array_in(_npy(array))
        assert read.dtype == array.dtype and read.shape == array.shape
        np.testing.assert_array_equal(read, array)
    assert array_in(_npy(ARRAYS["fortran"])).flags.f_contiguous


def test_an_array_of_objects_is_refused() -> None:
    buffer = io.BytesIO()
    np.save(buffer, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match="Python objects"):
        array_in(buffer.getvalue())


def test_bytes_cut_short_are_refused() -> None:
    with pytest.raises(ValueError):
        array_in(_npy(ARRAYS["table"])[:-8])
