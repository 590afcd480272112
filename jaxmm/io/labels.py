"""Keys and status labels the stages share, and the field helper of every output schema.

No JAX here (the readers, the stages' schemas and the report import this before JAX is set
up): the labels of the numerics' enums are written out, and ``tests/test_labels.py`` keeps
them equal to the enums (``jaxmm.pricing.iv.IVStatus``, ``jaxmm.surfaces.fit.FitStatus``,
``jaxmm.pricing.parity.RateStatus`` / ``ForwardMethod`` / ``DiscountSource``).
"""

from __future__ import annotations

import pyarrow as pa

UTC_US = pa.timestamp("us", tz="UTC")


def field(name: str, type_: pa.DataType, doc: str, nullable: bool = True) -> pa.Field:
    """A schema field with its documentation (docs/outputs.md and the report)."""
    return pa.field(name, type_, nullable=nullable, metadata={"doc": doc})


# --------------------------------------------------------------------------- keys

ROOT_FIELD = field("root", pa.string(), "option root / series, as in chains.parquet (SPX, SPXW, NDXP, AMD1 ...): "
                   "each root is its own slice", False)
SLICE_KEY_FIELDS = [
    field("source", pa.string(), "chain source name in config.yaml", False),
    field("underlying", pa.string(), "underlying, as in chains.parquet", False),
    ROOT_FIELD,
    field("quote_date", pa.date32(), "trading date of the snapshot (the as-of session)", False),
    field("expiry", pa.date32(), "option expiry date", False),
]
#: A slice = one (source, underlying, root, quote_date, expiry): the stages group by these.
SLICE_KEYS = [f.name for f in SLICE_KEY_FIELDS]
#: A snapshot = one chain download: every slice of one (source, underlying, quote_date).
SNAPSHOT_KEYS = ["source", "underlying", "quote_date"]


# --------------------------------------------------------------------------- labels

#: ``jaxmm.pricing.iv.IVStatus`` names in lower case, indexed by code (``*_iv_status`` columns).
IV_STATUS_LABELS = ("ok", "below_intrinsic", "above_maximum", "at_intrinsic", "at_maximum", "bad_input",
                    "not_converged")
IV_OK = IV_STATUS_LABELS[0]

#: ``jaxmm.surfaces.fit.FitStatus`` names in lower case, indexed by code (surfaces' ``status``).
FIT_STATUS_LABELS = ("ok", "not_converged", "too_few_quotes", "non_finite", "bad_input", "off_market")

#: ``jaxmm.pricing.parity.RateStatus`` values (forwards' ``rate_status``).
RATE_STATUS_LABELS = ("ok", "no_pairs", "few_pairs", "fit_failed", "rate_unstable", "rate_outside_band",
                      "discount_not_monotone")
#: ``jaxmm.pricing.parity.ForwardMethod`` and ``DiscountSource`` values (``forward_method`` is
#: ``<method>:<discount source>``, or ``regression`` / ``failed`` alone).
FORWARD_METHODS = ("regression", "regression_fixed_discount", "few_strikes", "one_sided", "failed")
DISCOUNT_SOURCES = ("regression", "smoothed_curve", "rate_curve")


class QuoteStatus:
    """Values of quotes.parquet's ``quote_status`` (why a quote has, or lacks, a mid IV)."""

    OK = "ok"                  # mid_iv solved (bid_iv / ask_iv carry their own status)
    NO_BID = "no_bid"          # bid 0: one-sided, only ask_iv is solved
    NO_FORWARD = "no_forward"  # the slice's forward failed: nothing solved
    UNSOLVED = "unsolved"      # two-sided but mid_iv_status is not OK (see it)


class StatStatus:
    """Values of the statistics tables' ``status`` columns (why a statistic is, or is not, there)."""

    OK = "ok"
    MISSING_PRICE = "missing_price"    # a tenor (or series) has no value on the date
    FEW_OBS = "few_obs"                # fewer than min_periods observations in the window
    FLAT_WINDOW = "flat_window"        # zero variance in the window: ratio undefined
    NO_SOLUTION = "no_solution"        # event vol: the inputs admit no real solution
    NO_SPOT = "no_spot"                # chain ATM IV: no spot observation within SPOT_TOLERANCE
