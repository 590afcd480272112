"""Check a real chain download end to end, the way the real-data tests do.

``python -m jaxmm.chain_check PATH [PATH ...] [--format cboe] [--config config.yaml]``
reads each path (a file or a folder: one source) exactly as the ``ingest_chains`` rule does
(reader, as-of time, settlement times), runs the ``implied_vols`` and ``surfaces`` stages on
it with the config's sections, and prints what a user should look at before trusting the
numbers:

- rows in / kept / quarantined by reason;
- the snapshot: download time, as-of time and its label;
- expiries per root with their settlement (AM / PM / fixed) and settlement time;
- the parity regression's implied rates (range), the rates used, and the rate flags;
- slices by fit status;
- on every out-of-the-money quote with a solved mid IV within ``n_sd`` ATM standard
  deviations (``|k| <= n_sd atm_iv sqrt(t)``): the fraction whose fair IV lies inside
  [bid IV, ask IV], over status-'ok' slices and over all fitted slices;
- the largest fair IV relative to its slice's highest mid IV;
- the median |mid IV - vendor IV| on those quotes (the vendor's IV uses the vendor's own
  forward, rate and clock, so a gap remains: see docs/real_chains.md).

Example::

    >>> check = run_check(["data/spx_20251001"])                 # doctest: +SKIP
    >>> summary(check)["inside_fraction_ok"]                       # doctest: +SKIP
    0.8483
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd

from jaxmm.io.common import ReadResult

REPO_CONFIG = Path(__file__).resolve().parent.parent / "config.yaml"


@dataclasses.dataclass
class ChainCheck:
    """The tables of one checked source: the ingest result and the stages' outputs."""

    read: ReadResult
    chains: pd.DataFrame
    implied_vols: dict[str, pd.DataFrame]
    surfaces: dict[str, pd.DataFrame]


def default_sections(config_path: str | Path | None = None) -> dict:
    """The ``ingest.chains``, ``implied_vols`` and ``surfaces`` sections of a config file
    (default: the repository's config.yaml), with the schema's defaults filled in."""
    from jaxmm.config import load_config

    cfg = load_config(config_path or REPO_CONFIG)
    return {"chains": cfg["ingest"]["chains"], "implied_vols": cfg["implied_vols"],
            "surfaces": cfg["surfaces"]}


def run_check(paths: list[str | Path], fmt: str = "cboe", name: str = "check", *,
              sections: dict | None = None, **source_keys) -> ChainCheck:
    """Ingest ``paths`` as one source and run the implied_vols and surfaces stages on it.

    ``source_keys`` are further ``ingest.chains.sources[]`` keys (``timezone``,
    ``snapshot_time``, ``root``, ``venue``, ``calendar``, ``settlement``).
    """
    from jaxmm.io import schemas
    from jaxmm.stages import implied_vols, surfaces
    from jaxmm.stages.ingest import read_chain_source

    sections = sections or default_sections()
    source = {"name": name, "format": fmt, "paths": [str(p) for p in paths], **source_keys}
    read = read_chain_source(source, sections["chains"], "chain_check source")
    chains = read.table.cast(schemas.CHAINS).to_pandas()
    iv = implied_vols.compute(chains, sections["implied_vols"])
    surf = surfaces.compute(iv["quotes"], iv["forwards"], sections["surfaces"])
    return ChainCheck(read, chains, iv, surf)


def checked_quotes(check: ChainCheck, n_sd: float = 3.0) -> pd.DataFrame:
    """Fair values of the OTM quotes with a solved mid IV within ``n_sd`` ATM sd, with
    their slice's fit status and the slice's highest mid IV."""
    from jaxmm.io.labels import SLICE_KEYS

    fair = check.surfaces["fair_values"]
    params = check.surfaces["svi_params"]
    cols = SLICE_KEYS + ["status", "atm_iv"]
    q = fair.merge(params[cols].rename(columns={"status": "slice_status", "atm_iv": "slice_atm_iv"}),
                   on=SLICE_KEYS, how="left")
    solved = (q["mid_iv_status"].astype(str) == "ok") & q["mid_iv"].notna() & (q["bid"] > 0)
    sd = q["slice_atm_iv"] * np.sqrt(q["t"])
    near = q["log_moneyness"].abs() <= n_sd * sd
    q = q[q["otm"] & solved & near].copy()
    q["slice_max_mid_iv"] = q.groupby(SLICE_KEYS)["mid_iv"].transform("max")
    return q


def _range(values: pd.Series) -> list[float] | None:
    v = values.dropna()
    return [round(float(v.min()), 4), round(float(v.max()), 4)] if len(v) else None


def summary(check: ChainCheck, n_sd: float = 3.0) -> dict:
    """The figures listed in the module docstring, as a JSON-able dict."""
    read, chains, fwd = check.read, check.chains, check.implied_vols["forwards"]
    rows_in = sum(s["rows_in"] for s in read.summary)
    kept = sum(s["kept"] for s in read.summary)
    expiries = {}
    for root, g in chains.groupby("root"):
        e = g.drop_duplicates("expiry").sort_values("expiry")
        expiries[root] = [f"{d:%Y-%m-%d} {lab} {ts:%H:%M}Z" for d, lab, ts
                          in zip(e["expiry"], e["settlement"], e["settlement_time"])]
    q = checked_quotes(check, n_sd)
    ok = q[q["slice_status"].astype(str) == "ok"]
    vendor_gap = (q["mid_iv"] - q["vendor_iv"]).abs().dropna()
    status = check.surfaces["svi_params"]["status"].astype(str).value_counts().to_dict()
    return {
        "rows_in": rows_in, "kept": kept, "quarantined": read.quarantine.by_reason(),
        "download_time": sorted({f"{t:%Y-%m-%d %H:%M}Z" for t in chains["download_time"]}),
        "as_of": sorted({f"{t:%Y-%m-%d %H:%M}Z {s}" for t, s in zip(chains["quote_time"], chains["snapshot"])}),
        "expiries": expiries,
        "regression_rate_range": _range(fwd["regression_rate"]),
        "rate_used_range": _range(fwd["rate"]),
        "rate_status": fwd["rate_status"].astype(str).value_counts().to_dict(),
        "forward_method": fwd["forward_method"].astype(str).value_counts().to_dict(),
        "slices": status,
        "checked_quotes": int(len(q)),
        "inside_fraction_ok": round(float(ok["fair_iv_inside"].mean()), 4) if len(ok) else None,
        "inside_fraction_all": round(float(q["fair_iv_inside"].mean()), 4) if len(q) else None,
        "max_fair_over_max_mid": round(float((q["fair_iv"] / q["slice_max_mid_iv"]).max()), 3) if len(q) else None,
        "median_vendor_gap": round(float(vendor_gap.median()), 4) if len(vendor_gap) else None,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m jaxmm.chain_check", description=__doc__.split("\n")[0])
    parser.add_argument("paths", nargs="+", help="chain files or folders; each one is checked as its own source")
    parser.add_argument("--format", default="cboe", help="cboe | generic | deribit")
    parser.add_argument("--config", default=None, help="config file whose sections to use (default: config.yaml)")
    parser.add_argument("--n-sd", type=float, default=3.0, help="ATM standard deviations of the checked range")
    args = parser.parse_args(argv)
    from jaxmm._src.runtime import configure_jax

    configure_jax(x64=True)
    sections = default_sections(args.config)
    for path in args.paths:
        out = summary(run_check([path], args.format, Path(path).stem, sections=sections), args.n_sd)
        print(json.dumps({"path": path, **out}, indent=1, default=str))


if __name__ == "__main__":
    main()
