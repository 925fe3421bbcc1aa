"""Structured JSON logs with a correlation id that follows a request into the jobs it causes."""

from __future__ import annotations

import contextvars
import logging
import re
import sys
import uuid

from pythonjsonlogger.json import JsonFormatter

from shared.validators import contains_bsn

correlation_id: contextvars.ContextVar[str] = contextvars.ContextVar("correlation_id", default="-")
# The RQ job and the event being worked on, on every log line of a job (shared/worker.py,
# shared/jobs.py); "-" outside a job.
job_id: contextvars.ContextVar[str] = contextvars.ContextVar("job_id", default="-")
event_id: contextvars.ContextVar[str] = contextvars.ContextVar("event_id", default="-")
_configured = False


# A caller's X-Request-ID is stored in the outbox and written to every log line of the request,
# so only a plain id is taken over: letters, digits, dot, dash and underscore, 8 to 64 long.
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


# In a hex id only letters stand between digits, and a letter ends a chain of digit groups
# (shared/validators.py): a BSN in one is a run of exactly nine digits.
_NINE_DIGITS = re.compile(r"(?<![0-9])[0-9]{9}(?![0-9])")


def new_correlation_id() -> str:
    # A random hex id holds a run of nine digits that passes the elfproef now and then (about 1 in
    # 200): draw again, so no scanner ever finds a BSN-like number in the logs or the outbox.
    # Only an id with a run of exactly nine digits needs the full check (issue 12: every request).
    while _NINE_DIGITS.search(value := uuid.uuid4().hex) and contains_bsn(value):
        pass
    return value


def safe_request_id(value: str | None) -> str:
    """The caller's request id when it is a plain id without a BSN in it, else a new one."""
    if value and REQUEST_ID.fullmatch(value) and not contains_bsn(value):
        return value
    return new_correlation_id()


class _ContextFilter(logging.Filter):
    def __init__(self, service: str):
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = correlation_id.get()
        record.job_id = job_id.get()
        # A line about one event names it itself (extra={"event_id": ...}); else the job's event.
        if not hasattr(record, "event_id"):
            record.event_id = event_id.get()
        record.service = self.service
        return True


JSON_FIELDS = (
    "%(asctime)s %(levelname)s %(name)s %(message)s %(correlation_id)s %(job_id)s %(event_id)s %(service)s"
)


def json_formatter(**options: object) -> JsonFormatter:
    """The suite's one log line format: a JSON object with time, level, logger, message, the
    ids that tie it to a request, job and event, the service, and any `extra` fields."""
    return JsonFormatter(
        JSON_FIELDS,
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        **options,  # type: ignore[arg-type]
    )


def configure_logging(service: str, level: str = "INFO") -> None:
    """JSON lines on stderr; idempotent so tests and the dev runner can call it freely.
    Handlers marked `instap_keep` (the tests' recorder, tests/support/logcheck.py) stay."""
    global _configured
    root = logging.getLogger()
    root.setLevel(level.upper())
    if _configured:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(json_formatter())
    handler.addFilter(_ContextFilter(service))
    root.handlers[:] = [handler, *(h for h in root.handlers if getattr(h, "instap_keep", False))]
    _configured = True


def context_filter(service: str) -> logging.Filter:
    """The filter that adds the correlation, job and event ids and the service to a record."""
    return _ContextFilter(service)
