"""Wording shared by the error messages about bad data."""

from __future__ import annotations

# Rows named in an error message before the rest are only counted.
MAX_ROWS_NAMED = 5


def describe_rows(rows, noun: str = "row") -> str:
    """Return ``rows`` as "row 3" or "rows 3, 17, 20", naming at most a few.

    Rows beyond the first few are counted: "rows 1, 2, 3, 4, 5 and 7 more".
    """
    rows = [int(row) for row in rows]
    named = ", ".join(str(row) for row in rows[:MAX_ROWS_NAMED])
    if len(rows) > MAX_ROWS_NAMED:
        named += f" and {len(rows) - MAX_ROWS_NAMED} more"
    return f"{noun}s {named}" if len(rows) > 1 else f"{noun} {named}"
