"""Option-chain readers: CBOE delayed-quote downloads, a generic long CSV, Deribit book
summaries and tickers. Each format is documented in its module (``jaxmm.io.cboe``,
``jaxmm.io.generic_chain``, ``jaxmm.io.deribit``), with an example and its column mapping.

All three produce rows of ``jaxmm.io.schemas.CHAINS_READ`` (CHAINS less the columns the
ingest stage's conventions step adds); bad rows go to the quarantine with a reason (crossed
quote, negative price, zero ask, missing field, non-numeric field, bad date, expiry before
quote date, duplicate, non-positive strike, bad right, bad instrument, wrong field count);
bad files raise :class:`~jaxmm.io.errors.InputFileError` naming file, line, column and
expectation. A quote's identity is (underlying, root, expiry, strike, right) at one
quote_time: a row repeating the identity of an earlier kept row of the same read (the same
source, across its files) is a duplicate. SPX and SPXW quotes of one expiry and strike are
two contracts, not duplicates.

Example::

    >>> from pathlib import Path; import jaxmm
    >>> spx = Path(jaxmm.__file__).parents[1] / "data" / "spx_20251001"   # the shipped chain
    >>> res = read_chains([spx], "cboe", "spx")
    >>> res.table.num_rows, res.quarantine.by_reason(), res.summary[0]["rows_in"]
    (1976, {}, 62)
"""

from __future__ import annotations

from pathlib import Path

from jaxmm.io import cboe, deribit, generic_chain
from jaxmm.io.chain_rows import ChainSink, SourceOptions, zone
from jaxmm.io.common import ReadResult, expand_paths
from jaxmm.io.dateline import parse_snapshot_time
from jaxmm.io.errors import InputFileError

READERS = {"cboe": cboe.read_file, "generic": generic_chain.read_file, "deribit": deribit.read_file}
FORMATS = tuple(READERS)


def read_chains(paths: list[str | Path], fmt: str, source: str, *,
                timezone: str = "America/New_York", root: str | None = None,
                snapshot_time: str | None = None) -> ReadResult:
    """Read option-chain files of one format into one ``CHAINS_READ`` table.

    Args:
      paths: files, directories (their .csv/.json files) or globs (``expand_paths``).
      fmt: "cboe", "generic" or "deribit".
      source: the source name (config ``ingest.chains.sources[].name``), stored in every row.
      timezone: IANA zone of naive local times (a CBOE stamp without a zone, a naive
        ``snapshot_time``, generic quote_time / the 16:00 default). Deribit is always UTC.
      root: option root for quotes whose file names no option symbol (CBOE without OCC
        symbols, generic without a root or instrument column); default: the underlying.
      snapshot_time: ISO 8601 date-time, e.g. "2024-11-11T08:02:00-05:00", that replaces
        the Date line of every CBOE file of the source (for a stamp that cannot be read, or
        is wrong). CBOE only.

    Returns:
      ReadResult: the table (files concatenated in sorted path order), the quarantine
      (dataset "chains") and one summary dict per file with rows_in == kept + quarantined.

    Raises:
      InputFileError: unknown format, missing file, or a file-level problem.
      ValueError: a bad option, naming its config key: ``timezone`` not an IANA zone,
        ``snapshot_time`` not ISO 8601 or given for another format, ``root`` empty.
    """
    fmt_key = str(fmt).strip().lower()
    reader = READERS.get(fmt_key)
    if reader is None:
        first = paths[0] if paths else "<no input files>"
        raise InputFileError(first, f"a chain format among {', '.join(FORMATS)}", column="format",
                             found=str(fmt))
    tz = zone(timezone)
    if snapshot_time is not None and fmt_key != "cboe":
        raise ValueError(f"snapshot_time: only for format cboe (the {fmt_key} format times each row)")
    if root is not None and not str(root).strip():
        raise ValueError("root: empty; give the option root (e.g. SPXW) or leave the key out")
    opts = SourceOptions(tz=tz, root=None if root is None else str(root).strip(),
                         snapshot=None if snapshot_time is None else parse_snapshot_time(snapshot_time, tz))
    sink = ChainSink(source)
    for path in expand_paths(list(paths)):
        sink.begin(path)
        reader(path, sink, opts)
        sink.end()
    return sink.result()
