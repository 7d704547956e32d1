"""The envelope of one log line: when, which host, which program, and the message.

Formats read (each as the daemon or collector writes it):

* classic syslog (RFC 3164, Postfix's own ``maillog_file``):
  ``Dec  5 15:44:38 mx postfix/smtp[1234]: message``
* RFC 3339 timestamps (rsyslog's high-precision template, ``journalctl -o short-iso`` and
  ``short-iso-precise``): ``2026-12-05T15:44:38.123456+01:00 mx postfix/smtp[1234]: ...``
* RFC 5424: ``<22>1 2026-12-05T15:44:38Z mx postfix/smtp 1234 - - message``
* Exim's own log files (mainlog, rejectlog, paniclog; ``log_file_path``):
  ``2026-12-05 15:44:38 1xZtMx-0006c0-2d == user@example.com R=... defer (111): ...``,
  with the optional fraction (``+millisec``), zone (``log_timezone``) and ``[pid]``
  (``+pid``) of its log_selector; the program is then ``exim``
* hMailServer's log files (``Logger.cpp``: tab-separated, quoted):
  ``"SMTPC"\tTHREAD\tSESSION\t"2026-12-05 15:44:38.123"\t"IP"\t"RECEIVED: 550 ..."``
  (``SMTPD`` likewise; ``APPLICATION``, ``ERROR``, ``DEBUG``, ``TCPIP`` without session
  and address); the program is then ``hmailserver/smtpc`` (and so on) and the message
  ``SESSION IP TEXT``
* container prefixes before any of those: CRI/Kubernetes (``TIMESTAMP stdout F ...``),
  ``kubectl logs --timestamps`` (``TIMESTAMP ...``), Docker's json-file
  (``{"log":"...","stream":"stdout","time":"..."}``), docker compose (``name-1  | ...``).

Every pattern is anchored and free of nested or adjacent unbounded quantifiers over the
same characters, and lines are bounded (linter.diagnose.sources), so matching is linear.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

_MONTHS = {
    m: i
    for i, m in enumerate(
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], 1
    )
}

_CLASSIC = re.compile(
    r"(?P<mon>[A-Z][a-z]{2}) {1,2}(?P<day>\d{1,2}) (?P<hms>\d\d:\d\d:\d\d)(?:\.\d{1,9})? "
    r"(?P<host>\S+) (?P<rest>.*)"
)
_ISO = r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d{1,9})?(?:Z|[+-]\d\d(?::?\d\d)?)?"
_RFC3339 = re.compile(rf"(?P<ts>{_ISO}) (?P<host>\S+) (?P<rest>.*)")
# the structured data: "-" or [id params]... ; params cannot hold "]" unescaped here
_RFC5424 = re.compile(
    r"<\d{1,3}>1 (?P<ts>\S+) (?P<host>\S+) (?P<app>\S+) (?P<pid>\S+) \S+ "
    r"(?P<sd>-|(?:\[[^\]]*\])+)(?: (?:\ufeff)?(?P<msg>.*))?"
)
# the classic line and its program in one match: the most common line, read fastest
_CLASSIC_PROGRAM = re.compile(
    r"([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d\d:\d\d:\d\d)(?:\.\d{1,9})? "
    r"(\S+) ([^\s\[\]:]{1,64})(?:\[(\d{1,10})\])?: (.*)"
)
# Exim's log_file_path lines: local time with a space, optional ".mmm", zone and [pid]
_EXIM = re.compile(
    r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(?:\.\d{3})?(?: ([+-]\d{4}))? (?:\[(\d{1,10})\] )?(.*)"
)
# hMailServer: "KIND"<tab>thread<tab>[session<tab>]"time"<tab>["address"<tab>]"text"
_HMAIL = re.compile(
    r'"(SMTPC|SMTPD|POP3C|POP3D|IMAPD|APPLICATION|ERROR|DEBUG|TCPIP)"\t\d{1,10}\t'
    r'(?:(\d{1,10})\t)?"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d{1,6})?)"\t'
    r'(?:"([^"\t]{0,100})"\t)?"(.*)"\r?$'
)
_SYSLOG_TAG = re.compile(r"\S+ [^\s\[\]:]{1,64}(?:\[\d{1,10}\])?: ")
_PROGRAM = re.compile(r"(?P<prog>[^\s\[\]:]{1,64})(?:\[(?P<pid>\d{1,10})\])?: (?P<msg>.*)")
_CRI = re.compile(rf"{_ISO} (?:stdout|stderr) [FP] (?P<rest>.*)")
_TIMESTAMPED = re.compile(rf"{_ISO} (?P<rest>.*)")
_COMPOSE = re.compile(r"[\w.-]{1,128} {0,64}\| (?P<rest>.*)")


@dataclass(slots=True)
class Envelope:
    time: datetime | None  # aware (UTC) when the line says its zone, else naive
    host: str
    program: str  # "postfix/smtp", "exim"
    pid: str
    message: str


def parse_iso(text: str) -> datetime | None:
    text = text.replace(",", ".")
    # journalctl short-iso writes +0100; fromisoformat wants +01:00 before Python 3.11
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value.astimezone(UTC) if value.tzinfo else value


# consecutive lines mostly share their second: converting each anew was a tenth of the time
@lru_cache(maxsize=256)
def classic_time(mon: str, day: str, hms: str, now: datetime) -> datetime | None:
    """A syslog time without a year: this year, or last year when that would be the future."""
    month = _MONTHS.get(mon)
    if month is None:
        return None
    try:
        hour, minute, second = (int(p) for p in hms.split(":"))
        value = datetime(now.year, month, int(day), hour, minute, second)
    except ValueError:
        return None
    if value - now > timedelta(days=1):
        value = value.replace(year=now.year - 1)
    return value


def strip_container(line: str) -> str:
    """The log line inside a container runtime's prefix (at most two layers)."""
    for _ in range(2):
        if line.startswith('{"'):
            try:
                record = json.loads(line)
            except ValueError:
                return line
            if isinstance(record, dict) and isinstance(record.get("log"), str):
                line = record["log"].rstrip("\r\n")
                continue
            return line
        m = _CRI.match(line) or _COMPOSE.match(line)
        if m:
            line = m.group("rest")
            continue
        m = _TIMESTAMPED.match(line)
        # kubectl --timestamps: only when a log line of a known kind follows
        if m and _starts_log_line(m.group("rest")):
            line = m.group("rest")
            continue
        break
    return line


def _starts_log_line(text: str) -> bool:
    return bool(_CLASSIC.match(text) or _RFC3339.match(text) or _RFC5424.match(text))


def parse_envelope(line: str, now: datetime) -> Envelope | None:
    """The envelope of a line, or None for a line of no known format."""
    # the common case first: a classic syslog line (no container prefix starts with a
    # month name followed by a day, so stripping can wait)
    if line[:1].isupper():
        m = _CLASSIC_PROGRAM.match(line)
        if m is not None:
            mon, day, hms, host, program, pid, message = m.groups()
            return Envelope(classic_time(mon, day, hms, now), host, program, pid or "", message)
        m = _CLASSIC.match(line)
    elif line[:1] == '"':
        h = _HMAIL.match(line)
        if h is not None:
            kind, session, stamp, address, text = h.groups()
            message = f"{session or '-'} {address or '-'} {text}"
            return Envelope(parse_iso(stamp), "", f"hmailserver/{kind.lower()}", "", message)
        m = None
    else:
        m = None
    if m is None:
        line = strip_container(line)
        m = _CLASSIC.match(line)
    if m is not None:
        when = classic_time(m.group("mon"), m.group("day"), m.group("hms"), now)
        return _with_program(when, m.group("host"), m.group("rest"))
    m = _RFC5424.match(line)
    if m:
        pid = "" if m.group("pid") == "-" else m.group("pid")
        return Envelope(
            parse_iso(m.group("ts")), m.group("host"), m.group("app"), pid, m.group("msg") or ""
        )
    m = _EXIM.match(line)
    if m is not None and not _SYSLOG_TAG.match(m.group(4)):
        # an Exim log line, not a syslog line whose RFC 3339 time has a space for its "T"
        stamp, zone, pid, message = m.groups()
        return Envelope(parse_iso(stamp + (zone or "")), "", "exim", pid or "", message)
    m = _RFC3339.match(line)
    if not m:
        return None
    return _with_program(parse_iso(m.group("ts")), m.group("host"), m.group("rest"))


def _with_program(when: datetime | None, host: str, rest: str) -> Envelope:
    p = _PROGRAM.match(rest)
    if not p:
        return Envelope(when, host, "", "", rest)
    return Envelope(when, host, p.group("prog"), p.group("pid") or "", p.group("msg"))
