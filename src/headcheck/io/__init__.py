"""Files of articles: JSONL, CSV and Parquet, read and written one row at a time, streaming.

:mod:`~headcheck.io.formats` says what a file is, :mod:`~headcheck.io.readers` and
:mod:`~headcheck.io.writers` read and write any of the formats (each format's own code is in
:mod:`~headcheck.io.jsonl`, :mod:`~headcheck.io.csvfile` and :mod:`~headcheck.io.parquet`),
:mod:`~headcheck.io.fields` checks that the fields asked for are there, and
:mod:`~headcheck.io.scored` reads back what a scan wrote.
"""
