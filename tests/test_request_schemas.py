"""Every request schema of every service refuses a BSN and control characters in every field.

The schemas are found, not listed: those the API views take as arguments (flask-smorest notes them
on each view) and those the page views load. A new schema or field is covered without a change here.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import marshmallow as ma
import pytest
from flask import Flask

from shared.api import NoBsnSchema
from shared.config import load_settings
from shared.validators import BSN_MESSAGE, CONTROL_MESSAGE, LINE_BREAK_MESSAGE

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("intake", "matching")
BSN = "111222333"  # passes the elfproef (a test value)
WRITTEN_BSN = "kamer 4 111\u2013222\u200b333"


@pytest.fixture(scope="module")
def apps(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[dict[str, Flask]]:
    settings = load_settings(
        env="test",
        data_dir=tmp_path_factory.mktemp("schemas"),
        redis_url=redis_url,
        secret_key="test-secret-key-not-for-production",
        log_level="WARNING",
    )
    built = {name: importlib.import_module(f"services.{name}.app").create_app(settings) for name in SERVICES}
    yield built
    for app in built.values():
        app.extensions["instap"].close()


def _api_schemas(app: Flask) -> set[type[ma.Schema]]:
    found = set()
    for view in app.view_functions.values():
        view_class = getattr(view, "view_class", None)  # a MethodView: one function per method
        handlers = (
            [getattr(view_class, m.lower()) for m in view_class.methods or ()] if view_class else [view]
        )
        for handler in handlers:
            for parameter in getattr(handler, "_apidoc", {}).get("arguments", {}).get("parameters", []):
                schema = parameter["schema"]
                found.add(schema if isinstance(schema, type) else type(schema))
    return found


def _page_schemas(service: str) -> set[type[ma.Schema]]:
    """Schemas a page view loads (`s.SomethingSchema().load(...)` in services/<name>/web)."""
    modules = [
        importlib.import_module(f"services.{service}.api.{path.stem}")
        for path in sorted((ROOT / "services" / service / "api").glob("*schemas.py"))
    ]
    names = set()
    for path in (ROOT / "services" / service / "web").glob("*.py"):
        names |= set(re.findall(r"\b(\w+Schema)\(\)\s*\.load\(", path.read_text()))
    return {next(getattr(m, name) for m in modules if hasattr(m, name)) for name in names}


def request_schemas(apps: dict[str, Flask]) -> list[type[ma.Schema]]:
    found: set[type[ma.Schema]] = set()
    for service, app in apps.items():
        api = _api_schemas(app)
        assert len(api) >= 5, f"{service}: the API's argument schemas were not found"
        found |= api | _page_schemas(service)
    return sorted(found, key=lambda cls: f"{cls.__module__}.{cls.__name__}")


def _leaves(
    schema: ma.Schema, path: tuple[Any, ...] = ()
) -> Iterator[tuple[tuple[Any, ...], ma.fields.Field]]:
    """(path, field) of every field a request can fill, through nested schemas and lists."""
    for name, field in schema.load_fields.items():
        yield from _field_leaves(field, (*path, field.data_key or name))


def _field_leaves(field: ma.fields.Field, path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], Any]]:
    if isinstance(field, ma.fields.Nested):
        inner = field.schema
        yield from _leaves(inner, (*path, 0) if field.many else path)
    elif isinstance(field, ma.fields.List):
        yield from _field_leaves(field.inner, (*path, 0))
    else:
        yield path, field


def _payload(path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    return [_payload(rest, value)] if isinstance(head, int) else {head: _payload(rest, value)}


def _errors(schema: ma.Schema, payload: Any) -> dict[str, Any]:
    try:
        schema.load(payload)
    except ma.ValidationError as err:
        return err.messages if isinstance(err.messages, dict) else {"_": err.messages}
    return {}


def _cases(apps: dict[str, Flask]) -> Iterator[tuple[type[ma.Schema], tuple[Any, ...], Any]]:
    for cls in request_schemas(apps):
        for path, field in _leaves(cls()):
            yield cls, path, field


def test_request_schemas_are_found(apps: dict[str, Flask]) -> None:
    names = {cls.__name__ for cls in request_schemas(apps)}
    # A sample that must be there: API bodies, query arguments, and a schema only pages load too.
    assert {"ResidentCreateSchema", "NoteCreateSchema", "ResidentQueryArgsSchema", "DecisionSchema"} <= names
    assert {"TaskCreateSchema", "SlotUpdateSchema", "ListArgsSchema", "ReassignSchema"} <= names


def test_every_request_schema_guards_its_fields(apps: dict[str, Flask]) -> None:
    schemas = request_schemas(apps)
    assert all(issubclass(cls, NoBsnSchema) for cls in schemas), [
        cls.__name__ for cls in schemas if not issubclass(cls, NoBsnSchema)
    ]
    checked = 0
    for cls, path, field in _cases(apps):
        key = ".".join(map(str, path))
        numeric = isinstance(field, ma.fields.Integer | ma.fields.Float | ma.fields.Decimal)
        for value in (int(BSN), BSN) if numeric else (BSN, WRITTEN_BSN):
            errors = _errors(cls(), _payload(path, value))
            assert errors.get(key) == [BSN_MESSAGE], (cls.__name__, key, value, errors)
        if isinstance(field, ma.fields.String):
            errors = _errors(cls(), _payload(path, "a\x00b"))
            assert errors.get(key) == [CONTROL_MESSAGE], (cls.__name__, key, errors)
            multiline = len(path) == 1 and field.metadata.get("multiline")
            errors = _errors(cls(), _payload(path, "a\nb"))
            assert (LINE_BREAK_MESSAGE in errors.get(key, [])) is not multiline, (cls.__name__, key, errors)
        checked += 1
    assert checked > 60  # every field of every request schema, not a handful


def test_multiline_fields_are_the_long_texts(apps: dict[str, Flask]) -> None:
    multiline = {
        (cls.__name__, ".".join(map(str, path)))
        for cls, path, field in _cases(apps)
        if field.metadata.get("multiline")
    }
    expected = {"work_experience", "body"}
    assert {key for _, key in multiline} == expected, multiline


def _bounded(field: ma.fields.Field) -> bool:
    """Does a validator bound this field: a maximum length or a fixed list of values?"""
    return any(
        isinstance(v, ma.validate.OneOf) or (isinstance(v, ma.validate.Length) and v.max is not None)
        for v in field.validators
    )


def _unbounded(schema: ma.Schema, path: tuple[Any, ...] = ()) -> Iterator[str]:
    for name, field in schema.load_fields.items():
        here = (*path, field.data_key or name)
        yield from _unbounded_field(field, here)


def _unbounded_field(field: ma.fields.Field, path: tuple[Any, ...]) -> Iterator[str]:
    if isinstance(field, ma.fields.Nested):
        if field.many and not _bounded(field):
            yield ".".join(map(str, path))
        yield from _unbounded(field.schema, path)
    elif isinstance(field, ma.fields.List):
        if not _bounded(field):
            yield ".".join(map(str, path))
        yield from _unbounded_field(field.inner, (*path, "*"))
    elif isinstance(field, ma.fields.String) and not _bounded(field):
        yield ".".join(map(str, path))


def test_every_list_and_string_of_a_request_has_a_bound(apps: dict[str, Flask]) -> None:
    """Lists and strings are bounded one by one (issue 7: 150,000 `days` were accepted), not
    only by the guard's limit on a whole request."""
    missing = sorted(f"{cls.__name__}.{key}" for cls in request_schemas(apps) for key in _unbounded(cls()))
    assert missing == []


def test_a_long_list_is_refused_with_a_message(apps: dict[str, Flask]) -> None:
    from services.intake.api.schemas import ResidentUpdateSchema

    errors = _errors(ResidentUpdateSchema(), {"days": ["ma"] * 101})
    assert list(errors) == ["days"]
