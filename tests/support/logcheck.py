"""Every log line of a test run, recorded, and a check that no resident's personal data is in it.

The apps log JSON lines (shared/logs.py) at the level of their settings; the tests run them at
INFO, the production default. `Recorder` sits next to the apps' stderr handler on the root
logger (configure_logging keeps handlers marked `instap_keep`) and keeps each line as the apps
would write it, with non-ASCII characters as they are (so "Ayşe" is found as "Ayşe").
Lines of worker *processes* a test starts are not seen here; in-process workers
(`run_worker_burst`) are.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from shared.logs import context_filter, json_formatter


class Recorder(logging.Handler):
    instap_keep = True

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(json_formatter(json_ensure_ascii=False))
        self.addFilter(context_filter("test"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(self.format(record))
        except Exception:  # a record that cannot be formatted is still checked
            self.lines.append(repr(record.__dict__))


def recorder() -> Recorder:
    """The root logger's recorder, installed on first use."""
    root = logging.getLogger()
    for handler in root.handlers:
        if isinstance(handler, Recorder):
            return handler
    handler = Recorder()
    root.addHandler(handler)
    return handler


def personal_values(resident: dict[str, object]) -> list[str]:
    """The values of a resident that must never be in a log line: name, e-mail, phone and
    postcode, in the forms they are stored and sent in."""
    values: list[str] = []
    for key in ("first_name", "last_name", "email"):
        if resident.get(key):
            values.append(str(resident[key]))
    if resident.get("phone"):
        phone = str(resident["phone"])
        values += [phone, re.sub(r"\D", "", phone)]
    if resident.get("postcode"):
        postcode = str(resident["postcode"])
        values += [postcode, postcode.replace(" ", "")]
    return values


def leaks(lines: Iterable[str], values: Iterable[str]) -> list[tuple[str, str]]:
    """(value, line) for every line holding one of the values (case-insensitive) as a whole:
    not inside a longer run of letters and digits, so a random hex id that happens to contain
    "3317ab" is not read as the postcode 3317 AB."""
    wanted = [
        (v.casefold(), re.compile(rf"(?<![0-9a-z]){re.escape(v.casefold())}(?![0-9a-z])"))
        for v in values
        if v
    ]
    return [(v, line) for line in lines for v, pattern in wanted if pattern.search(line.casefold())]
