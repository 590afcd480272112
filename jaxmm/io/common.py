"""Helpers shared by the readers: decoding, numeric parsing, path expansion, results."""

from __future__ import annotations

import dataclasses
import glob
import gzip
import math
import zlib
from pathlib import Path

import pyarrow as pa

from jaxmm.io.errors import InputFileError, Quarantine


@dataclasses.dataclass
class ReadResult:
    """What a reader returns: the canonical table, the quarantine, one summary row per file.

    ``summary`` rows are dicts with the fields of ``jaxmm.io.schemas.SUMMARY``; for each
    file ``rows_in == kept + quarantined``.
    """

    table: pa.Table
    quarantine: Quarantine
    summary: list[dict]


def expand_paths(patterns: list[str | Path], suffixes: tuple[str, ...] = (".csv", ".json")) -> list[Path]:
    """Files named by ``patterns``: a file, a directory (its files with ``suffixes``) or a glob.

    Sorted and de-duplicated; a pattern that matches nothing is an error naming it.
    """
    out: list[Path] = []
    for pat in patterns:
        p = Path(pat)
        if p.is_dir():
            found = sorted(q for q in p.iterdir() if q.is_file() and q.suffix.lower() in suffixes)
        elif any(ch in str(pat) for ch in "*?["):
            found = sorted(Path(q) for q in glob.glob(str(pat)) if Path(q).is_file())
        else:
            found = [p] if p.is_file() else []
        if not found:
            raise InputFileError(p, f"an existing file, a directory with {'/'.join(suffixes)} files, or a glob that matches")
        out.extend(found)
    return list(dict.fromkeys(out))


def read_text(path: str | Path) -> str:
    """The file decoded as UTF-8 (a BOM is dropped); ``*.gz`` is decompressed first.

    Empty, undecodable or broken gzip files raise :class:`InputFileError`.
    """
    path = Path(path)
    data = path.read_bytes()
    after = ""
    if path.name.lower().endswith(".gz"):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise InputFileError(path, "a gzip-compressed file (name ends in .gz)", line=1,
                                 found=str(exc)) from None
        after = " (after decompression)"
    if not data.strip():
        raise InputFileError(path, "a non-empty file" + after, line=1)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputFileError(path, "UTF-8 text" + after, line=line,
                             found=f"byte 0x{data[exc.start]:02x} at offset {exc.start}") from None
    return text


def parse_float(text: str | None) -> float | None:
    """A finite float, or None for an empty field. Raises ValueError for anything else."""
    if text is None:
        return None
    s = text.strip().replace(",", "")
    if s == "" or s.lower() in {"nan", "na", "n/a", "null", "none", "-"}:
        return None
    v = float(s)
    if not math.isfinite(v):
        raise ValueError(f"not finite: {text!r}")
    return v
