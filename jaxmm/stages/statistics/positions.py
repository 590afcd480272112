"""The positions file (docs/inputs.md): parsed and checked, a bad cell names the
file, line, column and what was expected."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from jaxmm.io.errors import InputFileError


POSITION_COLUMNS = {  # name: (required, what it must hold)
    "tenor": (True, "a tenor number n >= 1 of Mn (1 = front)"),
    "instrument": (True, "'option' or 'future'"),
    "quantity": (True, "a signed number of contracts (negative = short)"),
    "right": (False, "'C' or 'P' for an option, empty for a future"),
    "strike": (False, "a strike > 0 or 'atm' for an option, empty for a future"),
    "vol": (False, "an annualised vol > 0 (0.35 = 35%) or empty (the tenor's trailing realised vol)"),
    "days": (False, "days to expiry > 0 or empty (the tenor's option days)"),
    "price": (False, "the futures price > 0 or empty (the tenor's settle)"),
    "h": (False, "a finite hedge ratio or empty (hedge_ratios' latest h of M1 against the tenor)"),
}



def read_positions(path: str | Path) -> pd.DataFrame:
    """Parse and check a positions CSV (docs/inputs.md). A bad cell raises
    ``InputFileError`` naming the file, line, column and what was expected."""
    from jaxmm.io.tabular import fold, load_csv, parse_number, require_column

    csvt = load_csv(path)
    index = csvt.index()
    pos = {name: require_column(csvt, name, what) if required else index.get(fold(name))
           for name, (required, what) in POSITION_COLUMNS.items()}
    rows = []
    for rec in csvt.records:   # user file parsing: one pass over its (few) lines
        if len(rec.fields) != len(csvt.header):
            raise InputFileError(path, f"{len(csvt.header)} fields as in the header", line=rec.line,
                                 found=f"{len(rec.fields)} fields")
        cell = {name: (rec.fields[i].strip() if i is not None else "") for name, i in pos.items()}

        def bad(name, found=None):
            return InputFileError(path, POSITION_COLUMNS[name][1], line=rec.line, column=name,
                                  found=cell[name] if found is None else found)

        def number(name, positive=False):
            text = cell[name]
            if not text:
                return None
            try:
                value = parse_number(text)
            except ValueError:
                raise bad(name) from None
            if value is None or (positive and value <= 0):
                raise bad(name)
            return value

        tenor = number("tenor")
        if tenor is None or tenor != int(tenor) or tenor < 1:
            raise bad("tenor")
        instrument = cell["instrument"].lower()
        if instrument not in ("option", "future"):
            raise bad("instrument")
        quantity = number("quantity")
        if quantity is None:
            raise bad("quantity")
        right, strike = cell["right"].upper(), np.nan
        if instrument == "option":
            right = {"CALL": "C", "PUT": "P"}.get(right, right)
            if right not in ("C", "P"):
                raise bad("right")
            if cell["strike"].lower() != "atm":
                strike = number("strike", positive=True)
                if strike is None:
                    raise bad("strike")
        else:
            for name in ("right", "strike", "vol", "days"):
                if cell[name]:
                    raise InputFileError(path, f"an empty {name} for a future", line=rec.line, column=name,
                                         found=cell[name])
            right = ""
        vol, days, price, h = (number(n, positive=(n != "h")) for n in ("vol", "days", "price", "h"))
        rows.append({"line": rec.line, "tenor": int(tenor), "instrument": instrument, "right": right,
                     "strike": strike, "quantity": quantity,
                     **{k: (np.nan if v is None else v) for k, v in
                        (("vol", vol), ("days", days), ("price", price), ("h", h))}})
    book = pd.DataFrame(rows)
    for tenor, g in book.groupby("tenor"):
        hs = g["h"].dropna().unique()
        if len(hs) > 1:
            line = int(g.loc[g["h"] != hs[0], "line"].dropna().iloc[0])
            raise InputFileError(path, f"one h per tenor (tenor {tenor} already has h = {hs[0]:g})", line=line,
                                 column="h", found=f"{g.loc[g['line'] == line, 'h'].iloc[0]:g}")
    book["source_file"] = str(path)
    return book
