"""Hypothesis strategy shared by the reader property tests: corrupt a valid CSV file."""

from __future__ import annotations

from hypothesis import strategies as st

# Cells that exercise every row-level check (and some that look almost right).
BAD_CELLS = ["", " ", "abc", "-1", "0", "nan", "inf", "1e999", "NA", "-", ".", "1,5",
             "2024-02-30", "20241301", "13/45/2020", "2024/01/02", '"', '"a,b"', "\r",
             "99999999", "1/2/2024", "2024-01-03", "CLZ24"]

LINE_OPS = ("edit", "delete", "duplicate", "swap", "blank")
BYTE_OPS = ("truncate", "insert_bytes")


@st.composite
def corrupted(draw, text: str) -> bytes:
    """``text`` after 1-5 random line edits, then maybe truncation / random bytes."""
    lines = text.rstrip("\n").split("\n")
    for _ in range(draw(st.integers(1, 5))):
        op = draw(st.sampled_from(LINE_OPS))
        i = draw(st.integers(0, len(lines) - 1)) if lines else 0
        if not lines:
            break
        if op == "edit":
            fields = lines[i].split(",")
            j = draw(st.integers(0, len(fields) - 1))
            fields[j] = draw(st.sampled_from(BAD_CELLS) | st.text(max_size=6))
            lines[i] = ",".join(fields)
        elif op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(draw(st.integers(0, len(lines))), lines[i])
        elif op == "swap":
            k = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[k] = lines[k], lines[i]
        else:
            lines.insert(i, "")
    data = ("\n".join(lines) + "\n").encode("utf-8")
    for _ in range(draw(st.integers(0, 2))):
        op = draw(st.sampled_from(BYTE_OPS))
        pos = draw(st.integers(0, len(data)))
        if op == "truncate":
            data = data[:pos]
        else:
            data = data[:pos] + draw(st.binary(min_size=1, max_size=8)) + data[pos:]
    return data


def data_lines(data: bytes) -> int:
    """Non-blank lines after the header, as the readers count them (UTF-8 data)."""
    text = data.decode("utf-8-sig")
    lines = [ln for ln in (x.rstrip("\r") for x in text.split("\n")) if ln.strip()]
    return max(len(lines) - 1, 0)
