"""The results tooling's tables as pandas DataFrames, and their CSV and Markdown writers.

The leaderboard's long records, its tidy export and its Markdown tables are DataFrames
built here; the writers keep the files byte for byte what the tooling always wrote.
Imported only when a table is written, so reading runs or checking a leaderboard does
not pay for importing pandas.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import pandas as pd


def records_frame(records: Iterable[Mapping], fields: Sequence[str]) -> pd.DataFrame:
    """``records`` as rows, with exactly the columns ``fields`` in that order; a missing key is None.

    dtype=object keeps each cell the Python value it was: a column of ints with a gap stays
    ints (pandas would make it floats, 12 -> 12.0), bools stay bools and None stays None.
    """
    return pd.DataFrame([[record.get(name) for name in fields] for record in records],
                        columns=list(fields), dtype=object)


def write_csv_frame(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` as CSV: None an empty cell, everything else as Python's csv module writes it.

    Cells of an object column go to Python's csv writer unchanged, so floats keep their
    shortest round-trip form (0.30000000000000004, 1e-07). pandas would write a float NaN
    as an empty cell, like None, yet NaN is a value (csv wrote it "nan"): the gaps are made
    empty strings first, so that ``na_rep`` meets only NaN. CRLF line ends, as csv's
    default dialect writes them.
    """
    gaps = frame.map(lambda value: value is None)
    frame.mask(gaps, "").to_csv(path, index=False, na_rep="nan", lineterminator="\r\n", encoding="utf-8")


def markdown_table(frame: pd.DataFrame, right_aligned: Sequence[bool]) -> list[str]:
    """The lines of a Markdown pipe table: the header, the alignment row, one line per row.

    Cells are written as they are, unpadded (pandas' own ``to_markdown`` needs the
    ``tabulate`` package, and pads every column to its widest cell).
    """
    if len(right_aligned) != frame.shape[1]:
        raise ValueError(f"{len(right_aligned)} alignments for {frame.shape[1]} columns")
    lines = ["| " + " | ".join(map(str, frame.columns)) + " |",
             "|" + "|".join("---:" if right else "---" for right in right_aligned) + "|"]
    lines += ["| " + " | ".join(map(str, row)) + " |" for row in frame.itertuples(index=False, name=None)]
    return lines
