"""Option-chain readers: CBOE delayed-quote downloads, a generic long CSV, Deribit book
summaries. Each format is documented in its module (``jaxmm.io.cboe``,
``jaxmm.io.generic_chain``, ``jaxmm.io.deribit``), with an example and its column mapping.

All three produce rows of ``jaxmm.io.schemas.CHAINS``; bad rows go to the quarantine with a
reason (crossed quote, negative price, zero ask, missing field, non-numeric field, bad date,
expiry before quote date, duplicate, non-positive strike, bad right, bad instrument, wrong
field count); bad files raise :class:`~jaxmm.io.errors.InputFileError` naming file, line,
column and expectation. A duplicate is a row with the same (quote_time, expiry, strike,
right) as an earlier kept row of the same read (the same source), across its files.

Example::

    >>> res = read_chains(["data/spx_20251001"], "cboe", "spx")   # doctest: +SKIP
    >>> res.table.num_rows, res.quarantine.by_reason(), res.summary[0]["rows_in"]
"""

from __future__ import annotations

from pathlib import Path

from jaxmm.io import cboe, deribit, generic_chain
from jaxmm.io.chain_rows import ChainSink, zone
from jaxmm.io.common import ReadResult, expand_paths
from jaxmm.io.errors import InputFileError

READERS = {"cboe": cboe.read_file, "generic": generic_chain.read_file, "deribit": deribit.read_file}
FORMATS = tuple(READERS)


def read_chains(paths: list[str | Path], fmt: str, source: str, *,
                timezone: str = "America/New_York") -> ReadResult:
    """Read option-chain files of one format into one ``CHAINS`` table.

    Args:
      paths: files, directories (their .csv/.json files) or globs (``expand_paths``).
      fmt: "cboe", "generic" or "deribit".
      source: the source name (config ``ingest.chains[].name``), stored in every row.
      timezone: IANA zone of naive local times (CBOE without a zone abbreviation, generic
        quote_time / the 16:00 default). Deribit is always UTC.

    Returns:
      ReadResult: the table (files concatenated in sorted path order), the quarantine
      (dataset "chains") and one summary dict per file with rows_in == kept + quarantined.

    Raises:
      InputFileError: unknown format, missing file, or a file-level problem.
      ValueError: ``timezone`` is not an IANA zone.
    """
    reader = READERS.get(str(fmt).strip().lower())
    if reader is None:
        first = paths[0] if paths else "<no input files>"
        raise InputFileError(first, f"a chain format among {', '.join(FORMATS)}", column="format",
                             found=str(fmt))
    tz = zone(timezone)
    sink = ChainSink(source)
    for path in expand_paths(list(paths)):
        sink.begin(path)
        reader(path, sink, tz)
        sink.end()
    return sink.result()
