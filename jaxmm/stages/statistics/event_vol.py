"""``event_vol``: the configured event-vol examples, each solved for its one unknown."""

from __future__ import annotations

import numpy as np
import pandas as pd

from jaxmm.io.labels import StatStatus as Status
from jaxmm.settings import EventVolSettings
from jaxmm.stages.statistics import schema as statistics_schema
from jaxmm.stages.statistics.arrays import as_float


EVENT_INPUTS = ["term_vol", "dte", "p", "event_vol", "daily_vol"]



def event_vol(section: EventVolSettings | dict) -> pd.DataFrame:
    """Each configured example solved for its one unknown (all five solutions computed at
    once on arrays; each row keeps the one it asked for)."""
    from jaxmm.stats import event_vol as ev

    section = EventVolSettings.of(section)
    examples = section.examples
    n_days = float(section.days_per_year)
    if not examples:
        return pd.DataFrame(columns=statistics_schema.STAT_EVENT_VOL.names)
    given = pd.DataFrame([{k: getattr(e, k) for k in EVENT_INPUTS + ["event_move"]} for e in examples], dtype=float)
    unknown = []
    for i, e in enumerate(examples):
        if e.event_vol is not None and e.event_move is not None:
            raise ValueError(f"config error at statistics.event_vol.examples[{i}]: give event_vol or event_move, "
                             "not both")
        missing = [k for k in EVENT_INPUTS if getattr(e, k) is None and not (k == "event_vol" and e.event_move)]
        if len(missing) != 1:
            raise ValueError(f"config error at statistics.event_vol.examples[{i}] ({e.name}): give all but one "
                             f"of {', '.join(EVENT_INPUTS)} (event_vol or event_move); missing: "
                             f"{', '.join(missing) or 'none'}")
        unknown.append(missing[0])
    g = given.copy()
    g["event_vol"] = np.where(g["event_move"].notna(), as_float(ev.vol_from_move(g["event_move"].to_numpy(), n_days)),
                              g["event_vol"])
    a = {k: g[k].to_numpy() for k in EVENT_INPUTS}
    solved = {"term_vol": ev.solve_term_vol(a["dte"], a["p"], a["event_vol"], a["daily_vol"]),
              "dte": ev.solve_dte(a["term_vol"], a["p"], a["event_vol"], a["daily_vol"]),
              "p": ev.solve_event_days(a["term_vol"], a["dte"], a["event_vol"], a["daily_vol"]),
              "event_vol": ev.solve_event_vol(a["term_vol"], a["dte"], a["p"], a["daily_vol"]),
              "daily_vol": ev.solve_daily_vol(a["term_vol"], a["dte"], a["p"], a["event_vol"])}
    out = pd.DataFrame({"name": [e.name for e in examples], "solved_for": unknown})
    which = np.array(unknown)
    for k in EVENT_INPUTS:
        out[k] = np.where(which == k, as_float(solved[k]), a[k])
    out["event_move"] = as_float(ev.move_from_vol(out["event_vol"].to_numpy(), n_days))
    out["daily_move"] = as_float(ev.move_from_vol(out["daily_vol"].to_numpy(), n_days))
    out["event_move_given"] = given["event_move"].notna()
    out["status"] = np.where(out[EVENT_INPUTS].notna().all(axis=1), Status.OK, Status.NO_SOLUTION)
    return out
