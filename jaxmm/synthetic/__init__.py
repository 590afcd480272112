"""Synthetic inputs with known ground truth, written in the real input formats.

``generate(cfg, out_dir)`` writes, under ``out_dir``::

    chains/<UNDERLYING>_<YYYYMMDD>_<k>.csv   CBOE delayed-quote downloads (SSVI surface)
    futures/settlements.csv                  settlements per contract (Schwartz-Smith)
    daily/spot_vol.csv                       date,spot,vol_index (log-vol OU stochastic vol)
    daily/etf.csv                            date,etf_a_price,etf_a_nav,etf_b_price,etf_b_nav
    daily/prediction.csv                     date,futures,pm_price
    truth/chain_quotes.parquet               per quote: true vol and price, noisy mid, bid/ask
    truth/chain_slices.parquet               per (date, expiry): F, D, SSVI and raw SVI params
    truth/futures_truth.parquet              per (date, contract): model vol; M1/M12 corr, beta, h^2
    truth/daily_truth.parquet                per date: vol, vol index, spot-vol beta, ETF NAV/premium
    truth/prediction_truth.parquet           per date: fair value, call-spread delta, overreaction
    truth/bad_rows.csv                       the deliberately bad input records, with reader reasons
    truth/params.json                        the full config, seed, version and derived facts

The models and their equations are in the docstrings of :mod:`.chains`, :mod:`.futures`
and :mod:`.series`; defaults and bounds in :mod:`.config`. Same config -> byte-identical
files: every part draws from its own ``SeedSequence`` child of ``seed`` (so changing one
section leaves the others' data unchanged).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from jaxmm.synthetic import chains, futures, series
from jaxmm.synthetic._util import bad_rows_lines, rng_from, write_text
from jaxmm.synthetic.config import DEFAULTS, SPEC, VERSION, json_schema, resolve, to_jsonable

__all__ = ["generate", "resolve", "json_schema", "DEFAULTS", "SPEC", "VERSION", "STREAMS"]

# Named random streams, in SeedSequence.spawn order (append only: reordering changes data).
STREAMS = ("chains.spot", "chains.noise", "chains.activity", "chains.bad",
           "futures.path", "futures.activity", "futures.bad",
           "daily.spot_vol", "daily.etf_a", "daily.etf_b", "daily.prediction")


def _streams(seed: int) -> dict[str, dict[str, np.random.Generator]]:
    children = np.random.SeedSequence(seed).spawn(len(STREAMS))
    out: dict[str, dict[str, np.random.Generator]] = {}
    for name, child in zip(STREAMS, children):
        part, key = name.split(".")
        out.setdefault(part, {})[key] = rng_from(child)
    return out


def generate(cfg: dict | None, out_dir: str | Path) -> dict[str, list[str]]:
    """Write the synthetic inputs and their ground truth under ``out_dir``.

    Args:
      cfg: the ``synthetic`` config section (``seed``, ``chains``, ``futures``, ``daily``);
        missing keys take :data:`DEFAULTS`, unknown keys raise ValueError naming the key.
      out_dir: output directory (created).
    Returns:
      The files written, per kind: ``chains``, ``futures``, ``daily``, ``truth``.
    """
    from jaxmm._src.dtypes import x64_enabled

    c = resolve(cfg)
    with x64_enabled():   # prices and IV brackets need float64; the caller's setting is restored
        return _generate(c, out_dir)


def _generate(c: dict, out_dir: str | Path) -> dict[str, list[str]]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rngs = _streams(c["seed"])

    chain_files, chain_truth, chain_bad, chain_facts = chains.generate(c["chains"], out, rngs["chains"])
    fut_files, fut_truth, fut_bad, fut_facts = futures.generate(c["futures"], out, rngs["futures"])
    daily_files, daily_truth, daily_facts = series.generate(c["daily"], out, rngs["daily"])

    bad = out / "truth" / "bad_rows.csv"
    write_text(bad, bad_rows_lines(chain_bad + fut_bad))
    params = out / "truth" / "params.json"
    payload = {"version": VERSION, "seed": c["seed"], "config": to_jsonable(c),
               "streams": list(STREAMS),
               "derived": {"chains": chain_facts, "futures": fut_facts, "daily": daily_facts,
                           "bad_rows": {"chains": len(chain_bad), "futures": len(fut_bad)}}}
    params.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n")
    return {"chains": chain_files, "futures": fut_files, "daily": daily_files,
            "truth": chain_truth + fut_truth + daily_truth + [str(bad), str(params)]}
