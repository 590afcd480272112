"""Real daily series that ship inside the ``arch`` package (no download at run time).

| series | file in arch        | columns                                  | origin, licence |
|--------|---------------------|------------------------------------------|-----------------|
| sp500  | data/sp500.csv.gz   | Date, Open, High, Low, Close, Adj Close, Volume (1999-2018) | Yahoo! Finance via arch (NCSA licence for the package) |
| vix    | data/vix.csv.gz     | Date, vix (2014-2018)                    | Cboe VIX index via arch |
| wti    | data/wti.csv.gz     | Date, DCOILWTICO (WTI spot, 1986-2019)   | FRED (public domain) via arch |

The files are copied unchanged (decompressed) so that the ingest stage reads them like any
user file, with the same validation and quarantine.
"""

from __future__ import annotations

import gzip
import logging
import importlib.util
from importlib import metadata
from pathlib import Path

log = logging.getLogger(__name__)

SERIES = {
    "sp500": ("sp500", "sp500.csv.gz", "S&P 500 index daily OHLC, adjusted close and volume, "
              "1999-2018, from Yahoo! Finance as shipped in arch"),
    "vix": ("vix", "vix.csv.gz", "Cboe VIX index daily close, 2014-2018, as shipped in arch"),
    "wti": ("wti", "wti.csv.gz", "WTI crude oil spot price (FRED series DCOILWTICO, public domain), "
            "1986-2019, as shipped in arch; '.' marks a FRED holiday"),
}


def _arch_dir() -> Path:
    # find_spec locates the installed package without importing it (arch imports scipy/statsmodels).
    spec = importlib.util.find_spec("arch")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("the arch package is not installed: `make install` installs it")
    return Path(spec.submodule_search_locations[0])


def copy_series(name: str, out_path: str | Path) -> int:
    """Write the arch package's ``name`` series to ``out_path`` as plain CSV; return its lines."""
    package, filename, _ = SERIES[name]
    blob = (_arch_dir() / "data" / package / filename).read_bytes()
    text = gzip.decompress(blob)
    Path(out_path).write_bytes(text)
    return text.count(b"\n")


def run(inputs: dict, outputs: dict, params: dict) -> None:
    arch_version = metadata.version("arch")
    lines = [f"# Real data copied from the arch package {arch_version}", "",
             "arch (https://pypi.org/project/arch/) is distributed under the NCSA licence; "
             "it ships these series for its examples.", ""]
    for name in params["section"]["series"]:
        n = copy_series(name, outputs[name])
        log.info("copied arch.data.%s: %d lines -> %s", name, n, outputs[name])
        lines.append(f"- `{name}.csv`: {SERIES[name][2]}.")
    Path(outputs["licences"]).write_text("\n".join(lines) + "\n")
