"""Event contracts: `validate_payload` (a dump and a load) gives exactly what the full round trip
(dump, load, dump) gives, for any payload of any contract, and refuses what that round trip refuses."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import marshmallow as ma
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import fields, validate

from shared.events import SCHEMAS, _schema, validate_payload


def _round_trip(event_type: str, version: int, payload: dict[str, Any]) -> dict[str, Any]:
    """The reference: dump, load (the check), dump again."""
    schema = _schema(event_type, version)
    return schema.dump(schema.load(schema.dump(payload)))


def _values(field: fields.Field) -> st.SearchStrategy[Any]:
    choices = next((v.choices for v in field.validators if isinstance(v, validate.OneOf)), None)
    if choices is not None:
        base: st.SearchStrategy[Any] = st.sampled_from(list(choices))
    elif isinstance(field, fields.Nested):
        nested = field.nested() if callable(field.nested) else field.nested
        base = _payloads(nested if isinstance(nested, ma.Schema) else nested())
    elif isinstance(field, fields.List):
        base = st.lists(_values(field.inner), max_size=3)
    elif isinstance(field, fields.Dict):
        base = st.dictionaries(st.text(max_size=8), st.booleans(), max_size=3)
    elif isinstance(field, fields.Boolean):
        base = st.booleans()
    elif isinstance(field, fields.Integer):
        bounds = next((v for v in field.validators if isinstance(v, validate.Range)), None)
        low = bounds.min if bounds is not None else -(2**31)
        high = bounds.max if bounds is not None else 2**31
        base = st.integers(low, high)
    elif isinstance(field, fields.DateTime):
        zones = st.sampled_from([UTC, timezone(timedelta(hours=1)), timezone(timedelta(hours=-5))])
        base = st.datetimes(min_value=datetime(2000, 1, 1), timezones=zones)
    elif isinstance(field, fields.Date):
        base = st.dates(min_value=date(2000, 1, 1))
    else:
        base = st.text(max_size=20)
    return st.one_of(st.none(), base) if field.allow_none else base


def _payloads(schema: ma.Schema) -> st.SearchStrategy[dict[str, Any]]:
    """Any valid payload: every required field, any optional ones (left out or given)."""
    required = {name: _values(f) for name, f in schema.fields.items() if f.required}
    optional = {name: _values(f) for name, f in schema.fields.items() if not f.required}
    return st.fixed_dictionaries(required, optional=optional)


@pytest.mark.parametrize(("event_type", "version"), sorted(SCHEMAS))
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_one_dump_and_load_gives_what_the_full_round_trip_gives(
    event_type: str, version: int, data: st.DataObject
) -> None:
    payload = data.draw(_payloads(_schema(event_type, version)))
    assert validate_payload(event_type, version, payload) == _round_trip(event_type, version, payload)


@pytest.mark.parametrize(("event_type", "version"), sorted(SCHEMAS))
def test_a_payload_the_round_trip_refuses_is_refused(event_type: str, version: int) -> None:
    schema = _schema(event_type, version)
    required = next(name for name, f in schema.fields.items() if f.required)
    with pytest.raises(ma.ValidationError):
        _round_trip(event_type, version, {})
    with pytest.raises(ma.ValidationError) as refused:
        validate_payload(event_type, version, {})
    assert required in refused.value.messages
