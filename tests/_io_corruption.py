"""Hypothesis strategy shared by the reader property tests: corrupt a valid CSV file."""

from __future__ import annotations

from hypothesis import strategies as st

# Cells that exercise every row-level check (and some that look almost right).
BAD_CELLS = ["", " ", "abc", "-1", "0", "nan", "inf", "1e999", "NA", "-", ".", "1,5",
             "2024-02-30", "20241301", "13/45/2020", "2024/01/02", '"', '"a,b"', "\r",
             "99999999", "1/2/2024", "2024-01-03", "CLZ24"]

LINE_OPS = ("edit", "delete", "duplicate", "swap", "blank")
BYTE_OPS = ("truncate", "insert_bytes")  # also available: "insert_text" (valid UTF-8 text)


@st.composite
def corrupted(draw, text: str, *, bad_cells=BAD_CELLS, body: int = 0, edits: int = 5,
              ops=LINE_OPS, blanks=("",), byte_edits=(0, 1, 2), byte_ops=BYTE_OPS) -> bytes:
    """``text`` after 1-``edits`` random line edits, then ``byte_edits`` (a count drawn from it)
    truncations / inserted bytes.

    ``ops`` (repeat an op to weight it) draws the line edits; an ``edit`` puts one of
    ``bad_cells`` (or random text) into a field, a ``blank`` inserts one of ``blanks``. With
    ``body`` > 0, three edits in four land on a line from index ``body`` on (the data lines),
    so a preamble / header mostly stays intact and the rows are reached.
    """
    lines = text.rstrip("\n").split("\n")
    for _ in range(draw(st.integers(1, edits))):
        if not lines:
            break
        op = draw(st.sampled_from(ops))
        if body and len(lines) > body and draw(st.integers(0, 3)):
            i = draw(st.integers(body, len(lines) - 1))
        else:
            i = draw(st.integers(0, len(lines) - 1))
        if op == "edit":
            fields = lines[i].split(",")
            j = draw(st.integers(0, len(fields) - 1))
            fields[j] = draw(st.sampled_from(bad_cells) | st.text(max_size=8))
            lines[i] = ",".join(fields)
        elif op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(draw(st.integers(0, len(lines))), lines[i])
        elif op == "swap":
            k = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[k] = lines[k], lines[i]
        else:
            lines.insert(i, draw(st.sampled_from(blanks)))
    data = ("\n".join(lines) + "\n").encode("utf-8")
    for _ in range(draw(st.sampled_from(byte_edits))):
        op = draw(st.sampled_from(byte_ops))
        pos = draw(st.integers(0, len(data)))
        if op == "truncate":
            data = data[:pos]
        elif op == "insert_bytes":  # often not UTF-8: the whole file is rejected
            data = data[:pos] + draw(st.binary(min_size=1, max_size=8)) + data[pos:]
        else:
            data = data[:pos] + draw(st.text(min_size=1, max_size=8)).encode("utf-8") + data[pos:]
    return data


def data_lines(data: bytes) -> int:
    """Non-blank lines after the header, as the readers count them (UTF-8 data)."""
    text = data.decode("utf-8-sig")
    lines = [ln for ln in (x.rstrip("\r") for x in text.split("\n")) if ln.strip()]
    return max(len(lines) - 1, 0)
