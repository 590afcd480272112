"""File-level errors and row-level quarantine, shared by every reader.

A bad *file* stops the stage with :class:`InputFileError`, whose message names the file,
line, column and what was expected. A bad *row* is kept in a :class:`Quarantine` with a
reason code, so that rows in = rows kept + rows quarantined always holds.
"""

from __future__ import annotations

import dataclasses
import enum
from pathlib import Path


class Reason(str, enum.Enum):
    """Why a row was quarantined (the ``reason`` column of the quarantine table)."""

    CROSSED_QUOTE = "crossed_quote"            # bid > ask
    NEGATIVE_PRICE = "negative_price"          # bid, ask, last or settle < 0
    ZERO_ASK = "zero_ask"                      # ask == 0: no offer, no usable quote
    MISSING_FIELD = "missing_field"            # a required field is empty
    NON_NUMERIC = "non_numeric"                # a numeric field does not parse
    BAD_DATE = "bad_date"                      # a date field does not parse
    EXPIRY_BEFORE_QUOTE = "expiry_before_quote"
    DUPLICATE_ROW = "duplicate_row"            # same key as an earlier kept row
    NONPOSITIVE_STRIKE = "nonpositive_strike"
    NONPOSITIVE_PRICE = "nonpositive_price"    # settle / underlying / series value <= 0 where it must be > 0
    BAD_RIGHT = "bad_right"                    # option right not call/put
    BAD_INSTRUMENT = "bad_instrument"          # instrument name does not parse
    WRONG_FIELD_COUNT = "wrong_field_count"    # a CSV line with too few/many fields
    NOT_LISTED = "not_listed"                  # futures settle for a contract with no known expiry
    INCONSISTENT_EXPIRY = "inconsistent_expiry"  # a contract's expiry differs from its first kept row's
    EXPIRED = "expired"                        # the expiry settled at or before the quote's as-of time


class InputFileError(ValueError):
    """A whole input file is unusable. The message names file, line, column, expectation."""

    def __init__(self, path: str | Path, expected: str, *, line: int | None = None,
                 column: str | None = None, found: str | None = None):
        self.path = str(path)
        self.line = line
        self.column = column
        self.expected = expected
        self.found = found
        where = self.path + (f":{line}" if line is not None else "")
        col = f" column {column!r}:" if column is not None else ""
        got = f" (found {found!r})" if found is not None else ""
        super().__init__(f"{where}:{col} expected {expected}{got}")


@dataclasses.dataclass
class QuarantinedRow:
    dataset: str      # e.g. "chains", "futures", "daily"
    source_file: str
    line: int         # 1-based physical line in the source file (0 when not line-based)
    reason: Reason
    detail: str       # human-readable: which field, what value
    raw: str          # the raw record, truncated to 500 characters


@dataclasses.dataclass
class Quarantine:
    """Collects quarantined rows of one dataset."""

    dataset: str
    rows: list[QuarantinedRow] = dataclasses.field(default_factory=list)

    def add(self, source_file: str | Path, line: int, reason: Reason, detail: str,
            raw: str = "", count: int = 1) -> None:
        """Quarantine ``count`` output rows from one input record (a CBOE line holds 2 quotes)."""
        for _ in range(count):
            self.rows.append(QuarantinedRow(self.dataset, str(source_file), int(line),
                                            Reason(reason), detail, raw[:500]))

    def __len__(self) -> int:
        return len(self.rows)

    def by_reason(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.rows:
            out[r.reason.value] = out.get(r.reason.value, 0) + 1
        return dict(sorted(out.items()))
