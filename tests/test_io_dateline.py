"""The snapshot stamp of a chain file's Date line (jaxmm.io.dateline).

Examples are the stamps of real CBOE downloads; the property tests format a random instant
the way real files do (US or day-first order, "at" / a localised word / a comma / nothing
before the time, 12- or 24-hour clock, zone abbreviation / GMT±N / UTC±HH:MM with an ASCII
or Unicode minus / none, month names in seven languages, quoted or not in a CBOE file) and
check that the parsed instant is the generated one, to the second. Month names here are
written out independently of the parser's CLDR tables.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jaxmm.io.chains import read_chains
from jaxmm.io.dateline import DateLineError, parse_snapshot_time, parse_stamp

UTC = dt.timezone.utc
NY = ZoneInfo("America/New_York")


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


# --------------------------------------------------------------------------- examples

@pytest.mark.parametrize("text,expected,local_date", [
    # the five real files of real_chains/ and spx_20251001/
    ("14 March 2026 at 07:34 GMT-4", utc(2026, 3, 14, 11, 34), dt.date(2026, 3, 14)),
    ("May 16, 2025 at 7:23 PM EDT", utc(2025, 5, 16, 23, 23), dt.date(2025, 5, 16)),
    ("February 5 2022, 8:26 PM EST", utc(2022, 2, 6, 1, 26), dt.date(2022, 2, 5)),
    ("July 12, 2022, 11:55 AM EDT", utc(2022, 7, 12, 15, 55), dt.date(2022, 7, 12)),
    ("11 de noviembre de 2024, 8:02 GMT-5", utc(2024, 11, 11, 13, 2), dt.date(2024, 11, 11)),
    ("October 1, 2025 at 6:01 PM EDT", utc(2025, 10, 1, 22, 1), dt.date(2025, 10, 1)),
    # variants named in the issue
    ("January 9, 2022, 3:11 AM EST", utc(2022, 1, 9, 8, 11), dt.date(2022, 1, 9)),
    ("9 June 2023, 1:40 PM EDT", utc(2023, 6, 9, 17, 40), dt.date(2023, 6, 9)),
    ("12 de enero de 2026, 13:29 GMT-5", utc(2026, 1, 12, 18, 29), dt.date(2026, 1, 12)),
    ("9 декабря 2023 г. в 13:49 GMT-5", utc(2023, 12, 9, 18, 49), dt.date(2023, 12, 9)),
    ("11 April, 2023 à 22:23 UTC\u22124", utc(2023, 4, 12, 2, 23), dt.date(2023, 4, 11)),
    # further forms
    ("3. März 2024 um 14:05 Uhr GMT+1", utc(2024, 3, 3, 13, 5), dt.date(2024, 3, 3)),
    ("3 marzo 2024 alle ore 14:05 GMT+1", utc(2024, 3, 3, 13, 5), dt.date(2024, 3, 3)),
    ("3 de março de 2024 às 14:05 GMT-03:00", utc(2024, 3, 3, 17, 5), dt.date(2024, 3, 3)),
    ("1er octobre 2025 à 18 h 01 UTC\u22124", utc(2025, 10, 1, 22, 1), dt.date(2025, 10, 1)),
    ("1 de octubre de 2025, 6:01 p. m. GMT-4", utc(2025, 10, 1, 22, 1), dt.date(2025, 10, 1)),
    ("Wed, Oct 1, 2025 6:01 p.m. America/New_York", utc(2025, 10, 1, 22, 1), dt.date(2025, 10, 1)),
    ("October 1, 2025 at 18:01 ET", utc(2025, 10, 1, 22, 1), dt.date(2025, 10, 1)),       # ET in DST
    ("January 5, 2026 at 4:15 PM ET", utc(2026, 1, 5, 21, 15), dt.date(2026, 1, 5)),
    ("October 1, 2025 at 6:01 PM EDT (GMT-4)", utc(2025, 10, 1, 22, 1), dt.date(2025, 10, 1)),
    ("2025-10-01T18:01:00-04:00", utc(2025, 10, 1, 22, 1), dt.date(2025, 10, 1)),
    ("13/04/2025 10:00 EST", utc(2025, 4, 13, 15, 0), dt.date(2025, 4, 13)),           # day > 12
    ("04/13/2025 10:00 EST", utc(2025, 4, 13, 15, 0), dt.date(2025, 4, 13)),           # month first
    ("2023年12月9日 下午1:49 GMT-5", utc(2023, 12, 9, 18, 49), dt.date(2023, 12, 9)),
    ("1 October 2025 18:01 UTC+05:30", utc(2025, 10, 1, 12, 31), dt.date(2025, 10, 1)),
    ("October 1, 2025 at 12:00 AM EDT", utc(2025, 10, 1, 4, 0), dt.date(2025, 10, 1)),   # midnight
    ("October 1, 2025 at 12:30 PM EDT", utc(2025, 10, 1, 16, 30), dt.date(2025, 10, 1)),  # noon
])
def test_real_and_documented_stamps(text, expected, local_date):
    stamp = parse_stamp(text, NY)
    assert stamp.utc == expected and stamp.utc.tzinfo == UTC
    assert stamp.local_date == local_date


def test_no_zone_uses_the_tz_argument():
    assert parse_stamp("October 1, 2025 at 6:01 PM", ZoneInfo("America/Chicago")).utc == utc(2025, 10, 1, 23, 1)
    assert parse_stamp("14 March 2026 07:34", UTC).utc == utc(2026, 3, 14, 7, 34)


@pytest.mark.parametrize("text,why", [
    ("03/04/2025 10:00 EST", "ambiguous"),                      # 3 April or March 4: never guessed
    ("Octember 1, 2025 at 6:01 PM EDT", "octember"),
    ("October 1, 2025 at 6:01 PM XYZ", "xyz"),
    ("October 1, 2025", "time"),
    ("October 1, 2025 at 6:01 PM EDT 7:02 PM", "time"),
    ("October 1 at 6:01 PM EDT", "year"),
    ("October 1, 25 at 6:01 PM EDT", "year"),                    # two-digit year
    ("1 October November 2025 at 6:01 PM", "month"),
    ("Thu, Oct 1, 2025 6:01 PM EDT", "weekday"),                 # 2025-10-01 is a Wednesday
    ("February 30, 2025 at 6:01 PM EDT", "no such date"),
    ("October 1, 2025 at 13:01 PM EDT", "am/pm"),
    ("October 1, 2025 at 25:01 EDT", "out of range"),
    ("October 1, 2025 at 6:01 PM EST (GMT-4)", "disagree"),
    ("October 1, 2025 at 6:01 PM GMT-15", "out of range"),
    ("December 31, 9999 at 11:00 PM EST", "out of range"),
])
def test_unreadable_stamps_are_errors_never_guesses(text, why):
    with pytest.raises(DateLineError) as err:
        parse_stamp(text, NY)
    assert why in str(err.value).lower()


def test_snapshot_time_override():
    s = parse_snapshot_time("2024-11-11T08:02:00-05:00", NY)
    assert s.utc == utc(2024, 11, 11, 13, 2) and s.local_date == dt.date(2024, 11, 11)
    assert parse_snapshot_time("2024-11-11T08:02:00", NY).utc == utc(2024, 11, 11, 13, 2)  # naive: tz
    assert parse_snapshot_time("2024-11-11T13:02:00Z", NY).local_date == dt.date(2024, 11, 11)
    with pytest.raises(ValueError, match="snapshot_time"):
        parse_snapshot_time("11 Nov 2024", NY)


# --------------------------------------------------------------------------- properties

# Month names written out here (not taken from the parser's tables): (full, abbreviated).
MONTHS = {
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"],
    "es": ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre",
           "octubre", "noviembre", "diciembre"],
    "fr": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
           "octobre", "novembre", "décembre"],
    "de": ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September",
           "Oktober", "November", "Dezember"],
    "it": ["gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto",
           "settembre", "ottobre", "novembre", "dicembre"],
    "pt": ["janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto", "setembro",
           "outubro", "novembro", "dezembro"],
    "ru": ["января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября",
           "октября", "ноября", "декабря"],
}
EN_ABBR = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
# How each language joins day, month and year (day-first), and the word before the time.
DATE_FORMS = {
    "es": "{d} de {m} de {y}", "fr": "{d} {m} {y}", "de": "{d}. {m} {y}", "it": "{d} {m} {y}",
    "pt": "{d} de {m} de {y}", "ru": "{d} {m} {y} г.",
}
AT_WORDS = {"en": " at ", "es": " a las ", "fr": " à ", "de": " um ", "it": " alle ", "pt": " às ", "ru": " в "}
# Zone abbreviations and their offsets (hours).
ABBR = {"EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "PST": -8, "PDT": -7, "UTC": 0, "GMT": 0}


@st.composite
def stamps(draw):
    """(stamp text, the UTC instant it denotes, the local date, tz for a zone-less stamp)."""
    local = draw(st.datetimes(dt.datetime(1990, 1, 1), dt.datetime(2039, 12, 31))).replace(second=0,
                                                                                          microsecond=0)
    lang = draw(st.sampled_from(sorted(MONTHS)))
    month = MONTHS[lang][local.month - 1]
    d, y = local.day, local.year
    if lang == "en":
        if draw(st.booleans()):
            month = EN_ABBR[local.month - 1] + draw(st.sampled_from(["", "."]))
        date = draw(st.sampled_from([f"{month} {d}, {y}", f"{month} {d} {y}", f"{d} {month} {y}",
                                     f"{d} {month}, {y}"]))
        if draw(st.booleans()):
            date = f"{local:%a}, " + date
    else:
        date = DATE_FORMS[lang].format(d=d, m=month, y=y)
    # Before the time: "at" in the date's language, in another (mixed pages), a comma, a space.
    at_lang = draw(st.sampled_from([lang, lang, *sorted(AT_WORDS)]))
    sep = draw(st.sampled_from([AT_WORDS[at_lang], ", ", " "]))
    if draw(st.booleans()):
        h12 = local.hour % 12 or 12
        mer = draw(st.sampled_from(["AM", "am", "a.m.", "a. m."])) if local.hour < 12 else \
            draw(st.sampled_from(["PM", "pm", "p.m.", "p. m."]))
        clock = f"{h12}:{local:%M} {mer}"
    else:
        clock = draw(st.sampled_from([f"{local:%H:%M}", f"{local.hour}:{local:%M}"]))
    kind = draw(st.sampled_from(["abbr", "gmt", "utc", "gmt_hhmm", "none"]))
    tz = ZoneInfo(draw(st.sampled_from(["America/New_York", "America/Chicago", "Europe/Moscow"])))
    minus = draw(st.sampled_from(["-", "\u2212"]))
    if kind == "abbr":
        name = draw(st.sampled_from(sorted(ABBR)))
        offset, zone = dt.timedelta(hours=ABBR[name]), " " + name
    elif kind == "none":
        offset, zone = None, ""
    else:
        hours = draw(st.integers(-12, 14))
        minutes = draw(st.sampled_from([0, 30, 45])) if kind == "gmt_hhmm" else 0
        sign = "+" if hours >= 0 else minus
        offset = (1 if hours >= 0 else -1) * dt.timedelta(hours=abs(hours), minutes=minutes)
        label = "UTC" if kind == "utc" else "GMT"
        zone = (f" {label}{sign}{abs(hours):02d}:{minutes:02d}" if kind == "gmt_hhmm"
                else f" {label}{sign}{abs(hours)}")
    expected = (local.replace(tzinfo=tz) if offset is None else local.replace(tzinfo=dt.timezone(offset)))
    return date + sep + clock + zone, expected.astimezone(UTC), local.date(), tz


@settings(max_examples=400, deadline=None)
@given(stamps())
def test_generated_stamps_parse_to_their_instant(case):
    text, expected, local_date, tz = case
    stamp = parse_stamp(text, tz)
    assert stamp.utc == expected, text
    assert stamp.local_date == local_date, text


@settings(max_examples=60, deadline=None)
@given(stamps(), st.booleans(), st.booleans(), st.sampled_from(["\n", "\r\n"]), st.booleans(),
       st.sampled_from(["\n", ",,,,\n", "", "\n\n"]))
def test_generated_stamps_in_cboe_files(case, quoted, padded, eol, bom, lead):
    """The stamp on a CBOE Date line, quoted or not (then its commas split it), padded with
    trailing commas or not, after a blank / commas-only first line or none, CRLF or LF, BOM."""
    text, expected, local_date, tz = case
    pad = "," * 17 if padded else ""
    date_field = f'"Date: {text}"' if quoted else f"Date: {text}"
    lines = [f"S&P 500 INDEX,Last: 6711.2002,Change:  22.7402{pad}",
             f"{date_field},Bid: 6661.1099,Ask: 6743.9702,Size: 1*1,Volume: 0{pad}",
             "Expiration Date,Calls,Last Sale,Net,Bid,Ask,Volume,IV,Delta,Gamma,Open Interest,Strike,"
             "Puts,Last Sale,Net,Bid,Ask,Volume,IV,Delta,Gamma,Open Interest",
             "Fri Dec 17 2049,SPX491217C03500000,0,0,3416.4,3449.8,0,0.3213,0.97,0,18,3500,"
             "SPX491217P03500000,60,1.1,59.2,60.9,26,0.3175,-0.041,0,4452"]
    data = (("\ufeff" if bom else "") + lead.replace("\n", eol) + eol.join(lines) + eol).encode()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "q.csv"
        path.write_bytes(data)
        res = read_chains([path], "cboe", "prop", timezone=tz.key)
    rows = res.table.to_pylist()
    assert len(rows) == 2, text
    assert rows[0]["quote_time"] == expected and rows[0]["quote_date"] == local_date, text
