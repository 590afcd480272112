"""Market-making stage: batched A-S / GLFT quoting studies and fair-value market making.

Tables (``results/mm/``; every column documented in :mod:`jaxmm.stages.mm.schema`):

* ``as_summary``: per policy, scenario and grid point, the distribution of terminal P&L
  (mean with its standard error, std, quantiles, mean/std as a Sharpe-like ratio), final
  inventory, fills, average quoted spread, max drawdown and max |inventory| per path,
  from :func:`jaxmm.mm.simulate.simulate_grid`. Scenario ``base`` is the configured
  set-up over the gamma grid; the other scenarios (fees, informed flow, jumps, ...) run
  at ``scenario_gamma``.
* ``as_paper_table``: Avellaneda & Stoikov's section 3.3 tables (published 2008 and the
  2006 preprint) beside this run's ``base`` rows, cell by cell, with both standard errors
  and whether the cell reproduces (within ``K_SE`` combined standard errors plus half
  the printed last digit).
* ``as_sample_path``: one path per policy (mid, quotes, inventory, wealth by step), and
  ``as_pnl_hist``: P&L histograms per policy and gamma (common bins per gamma), for the
  report's figures.
* ``fv_*``: the prediction-market study (:mod:`jaxmm.mm.fair_value`).
"""

from __future__ import annotations

import logging
import math

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from jaxmm.settings import ASScenario, ASSettings, FairValueSettings, MMSettings
from jaxmm.stats.moments import sample_kurtosis, sd_se
from jaxmm.stages.frames import daily_series, to_table
from jaxmm.stages.mm import schema as mm_schema

log = logging.getLogger(__name__)

K_SE = 4.0                                     # a paper cell reproduces within this many combined SEs
QUANTILES = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)
N_BINS = 60
MODEL_KEYS = ("s0", "T", "sigma", "k", "A", "q_max", "rebate", "impact", "jump_rate", "jump_size")
OPTION_KEYS = ("mid", "fill", "jumps")

# Avellaneda & Stoikov, "High-frequency trading in a limit order book", section 3.3: 1000
# simulations per row, s 100, T 1, sigma 2, dt 0.005, k 1.5, A 140. Cells: average spread,
# profit, std(profit), final q, std(final q). "published": Quantitative Finance 8(3)
# 217-224 (2008); "preprint": the version dated October 5, 2006 (gamma 0.5 in place of 1,
# and its spread column is (2/gamma) ln(1 + gamma/k) alone). Each version is judged by its own
# convention: the published symmetric strategy quotes the inventory strategy's average spread
# (policy "symmetric"); the preprint's text quotes a constant $1.29 spread whatever gamma
# (PAPER_CONVENTIONS: its symmetric rows are compared with that policy's run, and its
# spread column with (2/gamma) ln(1 + gamma/k)).
PAPER_COLUMNS = ("spread", "profit", "std_profit", "final_q", "std_final_q")
PAPER_TABLES = {   # as printed: the last printed digit sets each cell's rounding allowance
    "published_2008": {
        (0.1, "inventory"): ("1.49", "65.0", "6.6", "0.08", "2.9"),
        (0.1, "symmetric"): ("1.49", "68.4", "12.7", "0.26", "8.4"),
        (0.01, "inventory"): ("1.35", "68.6", "8.7", "0.12", "5.1"),
        (0.01, "symmetric"): ("1.35", "68.8", "12.8", "0.09", "8.7"),
        (1.0, "inventory"): ("3.02", "31.4", "5.0", "0.02", "1.7"),
        (1.0, "symmetric"): ("3.02", "44.0", "11.0", "0.00", "5.1")},
    "preprint_2006": {
        (0.1, "inventory"): ("1.29", "62.94", "5.89", "0.10", "2.80"),
        (0.1, "symmetric"): ("1.29", "67.21", "13.43", "-0.018", "8.66"),
        (0.01, "inventory"): ("1.33", "66.78", "8.76", "-0.02", "4.70"),
        (0.01, "symmetric"): ("1.33", "67.36", "13.40", "-0.31", "8.65"),
        (0.5, "inventory"): ("1.15", "33.92", "4.72", "-0.02", "1.88"),
        (0.5, "symmetric"): ("1.15", "66.20", "14.53", "0.25", "9.06")},
}
PAPER_N = 1000
PREPRINT_SPREAD = 1.29                         # the preprint's constant symmetric spread
PAPER_CONVENTIONS = {("preprint_2006", "symmetric"): "fixed_spread_1.29"}   # run key of convention_runs


# --------------------------------------------------------------------------- A-S / GLFT grid

def _model(section: ASSettings, scenario: ASScenario | None = None) -> dict:
    """The scalar model fields (``MODEL_KEYS``) of the configured set-up with a scenario's
    overrides; ``q_max`` null means no limit."""
    merged = {**section.model.to_dict(), **(scenario.overrides() if scenario is not None else {})}
    return {k: math.inf if k == "q_max" and merged[k] is None else float(merged[k]) for k in MODEL_KEYS}


def _options(section: ASSettings, scenario: ASScenario | None = None) -> dict:
    merged = {**section.model.to_dict(), **(scenario.overrides() if scenario is not None else {})}
    return {k: merged[k] for k in OPTION_KEYS}


def summarise(stats, gammas, strategy: str, scenario: str, model: dict, options: dict, n_steps: int,
              dtype: str) -> pd.DataFrame:
    """One ``as_summary`` row per grid point of a ``simulate_grid`` result."""
    profit = np.asarray(stats.profit, float)
    final_q = np.asarray(stats.final_q, float)
    n = profit.shape[1]
    mean, std = profit.mean(axis=1), profit.std(axis=1, ddof=1)
    quant = np.quantile(profit, QUANTILES, axis=1)
    drawdown = np.asarray(stats.max_drawdown, float)
    out = pd.DataFrame({
        "policy": strategy, "scenario": scenario, "gamma": np.asarray(gammas, float),
        **model,
        "mid": options["mid"], "fill": options["fill"], "jumps": bool(options["jumps"]),
        "n_paths": np.int64(n), "n_steps": np.int64(n_steps), "dtype": dtype,
        "mean_profit": mean, "se_profit": std / math.sqrt(n), "std_profit": std,
        "sharpe": np.where(std > 0, mean / np.where(std > 0, std, 1.0), np.nan),
        **{f"profit_p{round(100 * q):02d}": quant[i] for i, q in enumerate(QUANTILES)},
        "mean_final_q": final_q.mean(axis=1), "std_final_q": final_q.std(axis=1, ddof=1),
        "mean_bid_fills": np.asarray(stats.n_bid_fills, float).mean(axis=1),
        "mean_ask_fills": np.asarray(stats.n_ask_fills, float).mean(axis=1),
        "mean_spread": np.asarray(stats.mean_spread, float).mean(axis=1),
        "mean_max_drawdown": drawdown.mean(axis=1), "p95_max_drawdown": np.quantile(drawdown, 0.95, axis=1),
        "mean_max_abs_q": np.asarray(stats.max_abs_q, float).mean(axis=1),
        # not written (not in the schema): the paper table's standard errors of the sds use them
        "kurt_profit": sample_kurtosis(profit, axis=1), "kurt_final_q": sample_kurtosis(final_q, axis=1),
    })
    out["status"] = np.where(np.isfinite(profit).all(axis=1), "ok", "non_finite")
    return out


def histograms(stats, gammas, strategy: str, edges: dict) -> pd.DataFrame:
    """P&L histogram rows (policy, gamma, bin edges, count) on the bins of ``edges[gamma]``."""
    rows = []
    for i, g in enumerate(np.asarray(gammas, float)):
        counts, e = np.histogram(np.asarray(stats.profit[i], float), bins=edges[g])
        rows.append(pd.DataFrame({"policy": strategy, "gamma": g, "bin_lo": e[:-1], "bin_hi": e[1:],
                                  "count": counts.astype(np.int64)}))
    return pd.concat(rows, ignore_index=True)


def convention_runs(section: ASSettings | dict, key, dtype) -> pd.DataFrame:
    """Summary rows of the runs a paper version's own convention needs
    (``PAPER_CONVENTIONS``): the preprint's constant-spread symmetric strategy
    (``FixedSpread(PREPRINT_SPREAD)``), on the base set-up and key, at the preprint's gammas
    in the grid (``scenario`` is the run key). Empty where no such row is in the grid."""
    from jaxmm.mm.avellaneda_stoikov import ASParams
    from jaxmm.mm.policies import FixedSpread
    from jaxmm.mm.simulate import simulate_grid

    section = ASSettings.of(section)
    gammas = sorted({g for (g, strategy) in PAPER_TABLES["preprint_2006"] if strategy == "symmetric"}
                    & {float(g) for g in section.gammas})
    if not gammas or "symmetric" not in section.policies:
        return pd.DataFrame()
    n_steps, model, options = int(section.n_steps), _model(section), _options(section)
    # A constant spread ignores gamma and the paths do not depend on it: one run serves
    # every gamma (the same numbers a run per gamma gives, at a third of the cost).
    one = simulate_grid(ASParams(**model, gamma=np.asarray(gammas[:1])), key, int(section.n_paths), n_steps,
                        strategy=FixedSpread(PREPRINT_SPREAD), dtype=dtype, label="preprint fixed spread", **options)
    stats = type(one)(*(np.repeat(np.asarray(x), len(gammas), axis=0) for x in one))
    return summarise(stats, gammas, "symmetric", PAPER_CONVENTIONS[("preprint_2006", "symmetric")], model, options,
                     n_steps, np.dtype(dtype).name)


def paper_table(summary: pd.DataFrame, conventions: pd.DataFrame | None = None) -> pd.DataFrame:
    """``as_paper_table``: each paper cell beside this run's row with the same gamma and
    strategy under that version's convention: the ``base`` row, or the ``conventions`` row
    (``convention_runs``) where ``PAPER_CONVENTIONS`` names one (rows of the paper whose
    gamma is not in the grid, or whose convention run is not given, are left out).
    Standard errors of standard deviations use each sample's kurtosis
    (``jaxmm.stats.moments.sd_se``; ours for the paper's too, the same model)."""
    base = summary[summary["scenario"] == "base"].set_index(["gamma", "policy"])
    if conventions is None or conventions.empty:  # no convention run (e.g. no preprint gamma in the grid)
        conventions = pd.DataFrame(columns=["scenario", "gamma", "policy"])
    own = conventions.set_index(["scenario", "gamma", "policy"])
    rows = []
    for version, table in PAPER_TABLES.items():
        for (gamma, strategy), printed in table.items():
            run = PAPER_CONVENTIONS.get((version, strategy))
            if run is None and (gamma, strategy) not in base.index:
                continue
            if run is not None and (run, gamma, strategy) not in own.index:
                continue
            cells = [float(x) for x in printed]
            r = base.loc[(gamma, strategy)] if run is None else own.loc[(run, gamma, strategy)]
            n = float(r["n_paths"])
            kp, kq = r["kurt_profit"], r["kurt_final_q"]
            ours = {"spread": (r["mean_spread"], 0.0), "profit": (r["mean_profit"], r["std_profit"] / math.sqrt(n)),
                    "std_profit": (r["std_profit"], float(sd_se(r["std_profit"], kp, n))),
                    "final_q": (r["mean_final_q"], r["std_final_q"] / math.sqrt(n)),
                    "std_final_q": (r["std_final_q"], float(sd_se(r["std_final_q"], kq, n)))}
            if version == "preprint_2006":   # its spread column is (2/gamma) ln(1 + gamma/k), whatever the strategy
                ours["spread"] = (2.0 * math.log1p(gamma / r["k"]) / gamma, 0.0)
            paper_se = {"spread": 0.0, "profit": cells[2] / math.sqrt(PAPER_N),
                        "std_profit": float(sd_se(cells[2], kp, PAPER_N)),
                        "final_q": cells[4] / math.sqrt(PAPER_N), "std_final_q": float(sd_se(cells[4], kq, PAPER_N))}
            for name, value, text in zip(PAPER_COLUMNS, cells, printed):
                ours_value, ours_se = ours[name]
                se = math.hypot(ours_se, paper_se[name])
                allowance = 0.5 * 10.0 ** -len(text.partition(".")[2])   # half the last printed digit
                if name == "spread" and version != "preprint_2006":
                    # our spread averages the steps' quotes: gamma sigma^2 (T + dt)/2 + ...
                    allowance += 0.5 * gamma * r["sigma"] ** 2 * r["T"] / r["n_steps"]
                diff = float(ours_value) - value
                rows.append({"version": version, "gamma": gamma, "policy": strategy, "column": name,
                             "paper": value, "ours": float(ours_value), "ours_se": ours_se,
                             "paper_se": paper_se[name],
                             "difference": diff, "z": diff / se if se > 0 else np.nan,
                             "reproduces": bool(abs(diff) <= K_SE * se + allowance)})
    return pd.DataFrame(rows, columns=mm_schema.MM_PAPER_TABLE.names)


def run_grid(section: ASSettings | dict, key, dtype) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The gamma grid for every policy, then every scenario at ``scenario_gamma``: the
    summary, the P&L histograms (base grid) and one sample path per policy."""
    import jax

    from jaxmm.mm.avellaneda_stoikov import ASParams
    from jaxmm.mm.simulate import sample_paths, simulate_grid

    section = ASSettings.of(section)
    dtype_name = np.dtype(dtype).name
    n_steps, bound = int(section.n_steps), int(section.glft_bound)
    gammas = [float(g) for g in section.gammas]
    model, options = _model(section), _options(section)
    summaries, base_stats, samples = [], {}, []
    for strategy in section.policies:
        stats = simulate_grid(ASParams(**model, gamma=np.asarray(gammas)), key, int(section.n_paths), n_steps,
                              strategy=strategy, glft_bound=bound, dtype=dtype, label=f"base {strategy}", **options)
        base_stats[strategy] = stats
        summaries.append(summarise(stats, gammas, strategy, "base", model, options, n_steps, dtype_name))
        rec = sample_paths(ASParams(**model, gamma=float(section.scenario_gamma)), key, 1, n_steps,
                           strategy=strategy, glft_bound=bound, dtype=dtype, **options)
        samples.append(pd.DataFrame({"policy": strategy, "step": np.arange(n_steps, dtype=np.int64),
                                     "t": np.arange(n_steps) * model["T"] / n_steps,
                                     **{f: np.asarray(getattr(rec, f), float)[:, 0] for f in rec._fields}}))
    edges = {}
    for i, g in enumerate(gammas):
        pooled = np.concatenate([np.asarray(s.profit[i], float) for s in base_stats.values()])
        edges[g] = np.linspace(*np.quantile(pooled, [0.001, 0.999]), N_BINS + 1)
    hists = [histograms(s, gammas, strategy, edges) for strategy, s in base_stats.items()]
    g = [float(section.scenario_gamma)]
    for i, scenario in enumerate(section.scenarios):
        s_model, s_options = _model(section, scenario), _options(section, scenario)
        for strategy in scenario.policies or section.policies:
            stats = simulate_grid(ASParams(**s_model, gamma=np.asarray(g)), jax.random.fold_in(key, 1 + i),
                                  int(section.scenario_paths), n_steps, strategy=strategy, glft_bound=bound,
                                  dtype=dtype, label=f"{scenario.name} {strategy}", **s_options)
            summaries.append(summarise(stats, g, strategy, scenario.name, s_model, s_options, n_steps, dtype_name))
    return (pd.concat(summaries, ignore_index=True), pd.concat(hists, ignore_index=True),
            pd.concat(samples, ignore_index=True))


# --------------------------------------------------------------------------- fair value (seed 001)

def fv_series(daily: pd.DataFrame, section: FairValueSettings | dict) -> pd.DataFrame:
    """``fv_series``: the configured contract's daily futures and market price, with the
    call spread's fair value and delta on each date."""
    from jaxmm.mm.fair_value import DAYS_PER_YEAR, fair_delta, fair_value

    c = FairValueSettings.of(section).contract
    wide = {name: daily_series(daily, {"source": c.source, "field": getattr(c, name)},
                               f"mm.fair_value.contract.{name}").set_index("date")["value"]
            for name in ("futures_field", "price_field")}
    frame = pd.DataFrame({"futures": wide["futures_field"], "pm_price": wide["price_field"]}).dropna()
    frame = frame.sort_index().reset_index().rename(columns={"index": "date"})
    expiry = np.datetime64(pd.Timestamp(c.expiry).date(), "D")
    dates = pd.to_datetime(frame["date"]).to_numpy().astype("datetime64[D]")
    if len(frame) == 0 or dates.max() >= expiry:
        raise ValueError(f"config error at mm.fair_value.contract.expiry: {c.expiry} must follow every "
                         f"observation of {c.source} (last: {dates.max() if len(frame) else 'none'})")
    frame["t"] = np.busday_count(dates, expiry) / DAYS_PER_YEAR
    args = (frame["futures"].to_numpy(float), float(c.strike), float(c.half_width), frame["t"].to_numpy(),
            float(c.vol))
    frame["fair_value"] = np.asarray(fair_value(*args))
    frame["fair_delta"] = np.asarray(fair_delta(*args))
    frame["residual"] = frame["pm_price"] - frame["fair_value"]
    return frame[mm_schema.FV_SERIES.names]


def fv_deltas(series: pd.DataFrame) -> pd.DataFrame:
    """``fv_deltas``: the implied delta, the call spread's delta and the overreaction slope."""
    from jaxmm.mm.fair_value import regression_deltas

    res = regression_deltas(series["futures"].to_numpy(float), series["pm_price"].to_numpy(float),
                            series["fair_value"].to_numpy(float))
    rows = []
    for name, fit in zip(res._fields, res):
        slope = float(fit.slope)
        rows.append({"regression": name, "slope": slope, "slope_se": float(fit.slope_se),
                     "intercept": float(fit.intercept), "r2": float(fit.r2), "n": int(fit.n),
                     "status": "ok" if np.isfinite(slope) else "too_few"})
    return pd.DataFrame(rows, columns=mm_schema.FV_DELTAS.names)


def fv_params(section: FairValueSettings | dict, series: pd.DataFrame, deltas: pd.DataFrame):
    """The simulation's ``FairValueParams``: the contract (strike, width, vol; futures and
    life from its first observation), the configured market and quoting parameters, and
    the overreaction slope estimated from the data where configured as ``estimated``."""
    from jaxmm.mm.fair_value import FairValueParams

    section = FairValueSettings.of(section)
    c, sim = section.contract, section.simulation.to_dict()
    if sim["overreaction"] == "estimated":
        slope = deltas.set_index("regression").loc["overreaction", "slope"]
        if not np.isfinite(slope):
            raise ValueError("mm.fair_value.simulation.overreaction is 'estimated' but the overreaction regression "
                             "has too few observations; give a number")
        sim["overreaction"] = float(slope)
    first = series.iloc[0]
    return FairValueParams(futures0=float(first["futures"]), vol=float(c.vol), strike=float(c.strike),
                           half_width=float(c.half_width), T=float(first["t"]),
                           **{k: float(v) for k, v in sim.items()})


def fv_hedging(params, key, n_paths: int, thresholds, dtype) -> pd.DataFrame:
    """``fv_hedging``: the P&L distribution and hedging cost per hedge threshold."""
    from jaxmm.mm.fair_value import simulate_fair_value

    th = np.asarray([float(x) for x in thresholds])
    r = simulate_fair_value(params, key, n_paths, th, dtype=dtype)
    pnl = np.asarray(r.pnl, float)
    std = pnl.std(axis=1, ddof=1)
    q05, q50, q95 = np.quantile(pnl, [0.05, 0.5, 0.95], axis=1)

    def mean(x):
        return np.asarray(x, float).mean(axis=1)

    return pd.DataFrame({
        "hedge_threshold": th, "n_paths": np.int64(n_paths), "overreaction": float(params.overreaction),
        "mean_pnl": pnl.mean(axis=1), "se_pnl": std / math.sqrt(n_paths), "std_pnl": std,
        "pnl_p05": q05, "pnl_p50": q50, "pnl_p95": q95, "mean_edge": mean(r.edge),
        "mean_hedge_cost": mean(r.hedge_cost), "mean_n_hedges": mean(r.n_hedges),
        "mean_futures_traded": mean(r.futures_traded), "mean_fills": mean(r.n_buys) + mean(r.n_sells),
        "std_final_q": np.asarray(r.final_q, float).std(axis=1, ddof=1), "mean_max_drawdown": mean(r.max_drawdown),
    })[mm_schema.FV_HEDGING.names]


def fair_value_study(daily: pd.DataFrame, section: FairValueSettings | dict, key, dtype) -> dict[str, pd.DataFrame]:
    from jaxmm.mm.fair_value import sample_path

    section = FairValueSettings.of(section)
    series = fv_series(daily, section)
    deltas = fv_deltas(series)
    params = fv_params(section, series, deltas)
    hedging = fv_hedging(params, key, int(section.n_paths), section.hedge_thresholds, dtype)
    rec = sample_path(params, key, float(section.sample_threshold), dtype=dtype)
    sample = pd.DataFrame({f: np.asarray(getattr(rec, f), float) for f in rec._fields})
    return {"fv_series": series, "fv_deltas": deltas, "fv_hedging": hedging, "fv_sample_path": sample}


# --------------------------------------------------------------------------- stage

TABLES = {"as_summary": mm_schema.MM_AS_SUMMARY, "as_paper_table": mm_schema.MM_PAPER_TABLE,
          "as_sample_path": mm_schema.MM_SAMPLE_PATH, "as_pnl_hist": mm_schema.MM_PNL_HIST,
          "fv_series": mm_schema.FV_SERIES, "fv_deltas": mm_schema.FV_DELTAS, "fv_hedging": mm_schema.FV_HEDGING,
          "fv_sample_path": mm_schema.FV_SAMPLE_PATH}


def compute(section: MMSettings | dict, daily: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Every table of the stage from its config section and the ingested daily series
    (the prediction-market contract's)."""
    import jax
    import jax.numpy as jnp

    section = MMSettings.of(section)
    key = jax.random.PRNGKey(int(section.seed))
    dtype = jnp.float64 if section.dtype == "float64" else jnp.float32
    summary, hist, sample = run_grid(section.as_, key, dtype)
    paper = paper_table(summary, convention_runs(section.as_, key, dtype))
    fv = fair_value_study(daily, section.fair_value, jax.random.fold_in(key, 1000), dtype)
    return {"as_summary": summary, "as_paper_table": paper, "as_sample_path": sample,
            "as_pnl_hist": hist, **fv}


def run(inputs: dict, outputs: dict, params: dict) -> None:
    section = params["section"]
    tables = compute(section, pd.read_parquet(inputs["daily"]))
    for name, schema in TABLES.items():
        pq.write_table(to_table(tables[name], schema), outputs[name])
    s = tables["as_summary"]
    for _, r in s.iterrows():
        log.info("mm: %s %s gamma %g: profit %.3f (se %.3f) sd %.3f, final q sd %.3f, spread %.3f", r["scenario"],
                 r["policy"], r["gamma"], r["mean_profit"], r["se_profit"], r["std_profit"], r["std_final_q"],
                 r["mean_spread"])
    p = tables["as_paper_table"]
    log.info("mm: paper cells reproduced: %s", p.groupby("version")["reproduces"].agg(["sum", "size"]).to_dict("index"))
    for _, r in tables["fv_deltas"].iterrows():
        log.info("mm: fair value %s slope %.5g (se %.2g, n %d)", r["regression"], r["slope"], r["slope_se"], r["n"])
