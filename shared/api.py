"""flask-smorest subclassed once: one error shape, strict schemas, auth shown in OpenAPI."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import marshmallow as ma
from flask import Flask, current_app, jsonify, render_template, request
from flask_smorest import Api as _Api
from flask_smorest import Blueprint as _Blueprint
from sqlalchemy.exc import IntegrityError
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from shared.errors import DomainError, error_body
from shared.i18n import translate_errors, translate_message
from shared.validators import reject_bsn

MAX_ID = 2**31 - 1
"""The largest id an INTEGER column holds (PostgreSQL's int4; SQLite's limit is higher)."""


class Schema(ma.Schema):
    """Base schema: unknown fields are an error, never silently dropped."""

    class Meta:
        unknown = ma.RAISE
        ordered = True


MAX_LIST_ITEMS = 100
"""A list in a request holds at most this many items unless its field says less."""
MAX_STRING_LENGTH = 1000
"""A text in a request holds at most this many characters unless its field says less."""


def _has_bound(field: ma.fields.Field) -> bool:
    return any(
        isinstance(v, ma.validate.OneOf) or (isinstance(v, ma.validate.Length) and v.max is not None)
        for v in field.validators
    )


def _bound(field: ma.fields.Field) -> None:
    """Give a list or string field without a bound of its own the suite's default one."""
    if isinstance(field, ma.fields.List):
        if not _has_bound(field):
            field.validators.append(
                ma.validate.Length(max=MAX_LIST_ITEMS, error=f"Kies of geef hooguit {MAX_LIST_ITEMS}.")
            )
        _bound(field.inner)
    elif isinstance(field, ma.fields.Nested):
        if field.many and not _has_bound(field):
            field.validators.append(
                ma.validate.Length(max=MAX_LIST_ITEMS, error=f"Geef hooguit {MAX_LIST_ITEMS}.")
            )
        for inner in field.schema.fields.values():
            _bound(inner)
    elif isinstance(field, ma.fields.String) and not _has_bound(field):
        field.validators.append(
            ma.validate.Length(max=MAX_STRING_LENGTH, error=f"Gebruik hooguit {MAX_STRING_LENGTH} tekens.")
        )


class NoBsnSchema(Schema):
    """Every request schema: rejects, per field, a BSN (shared/validators.py has the rule) and
    control characters. A string field declared with metadata={"multiline": True} (notes, work
    experience, reasons) may hold tabs and line breaks; every other field is one line.

    Every list and string field is bounded (issue 7): a field without a maximum of its own gets
    MAX_LIST_ITEMS items or MAX_STRING_LENGTH characters."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            _bound(field)

    @ma.pre_load
    def _no_bsn(self, data: Any, **_: Any) -> Any:
        if isinstance(data, Mapping):  # query arguments come as a MultiDict proxy
            multiline = [
                field.data_key or name
                for name, field in self.load_fields.items()
                if field.metadata.get("multiline")
            ]
            reject_bsn(data, multiline)
        return data


GLOBAL_QUERY_ARGUMENTS = ("lang",)
"""Query arguments every page and operation takes (the language switch, shared/i18n.py)."""


class _Parser(FlaskParser):
    """Query arguments go to the schema without the global ones (which the app reads itself)."""

    def load_querystring(self, req: Any, schema: ma.Schema) -> Any:
        args = req.args.copy()
        for name in GLOBAL_QUERY_ARGUMENTS:
            args.pop(name, None)
        return self._makeproxy(args, schema)


class Blueprint(_Blueprint):
    """API blueprint; documents the bearer/session auth and our error shape per operation.

    Query arguments follow the schema's own rule, like JSON bodies: an unknown parameter is a
    422 ("Dit veld bestaat niet."), never silently ignored (webargs ignores them by default)."""

    ARGUMENTS_PARSER = _Parser(unknown=None)


class ErrorSchema(Schema):
    code = ma.fields.String(required=True, metadata={"example": "invalid"})
    status = ma.fields.Integer(required=True, metadata={"example": 422})
    message = ma.fields.String(required=True)
    errors = ma.fields.Dict(required=True, metadata={"description": "messages per field"})


def _wants_json() -> bool:
    return "/api/" in request.path or request.is_json or (request.accept_mimetypes.best == "application/json")


def _flatten_webargs(errors: dict[str, Any]) -> dict[str, Any]:
    """webargs nests messages by location ({"json": {...}}); callers want them per field."""
    if len(errors) == 1:
        ((location, inner),) = errors.items()
        if location in ("json", "query", "form", "querystring", "path") and isinstance(inner, dict):
            return inner
    return errors


def _str_keys(value: Any) -> Any:
    """Marshmallow keys list items' messages by index ({0: [...], "_schema": [...]}): JSON wants
    string keys, and mixed int/str keys cannot even be sorted by the JSON encoder."""
    if isinstance(value, dict):
        return {str(key): _str_keys(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [_str_keys(inner) for inner in value]
    return value


def _error_response(
    status: int, message: str, errors: dict[str, Any] | None = None, code: str | None = None
) -> Any:
    errors = _str_keys(errors or {})
    if _wants_json():
        response = jsonify(error_body(status, message, errors, code))
        response.status_code = status
        return response
    html = render_template(
        "error.html", status=status, message=translate_message(message), errors=translate_errors(errors or {})
    )
    return html, status


def _takes_query_arguments(view: Any, method: str) -> bool:
    """Does this API operation declare query arguments (a schema that then judges them)?"""
    target = getattr(getattr(view, "view_class", None), method.lower(), None) or view
    parameters = getattr(target, "_apidoc", {}).get("arguments", {}).get("parameters", [])
    return any(p.get("in") in ("query", "querystring") for p in parameters)


def _no_stray_query_arguments() -> Any:
    """An API operation without query arguments answers 422 to any, like an unknown body field;
    those with a query schema are judged by it (unknown = RAISE, see Blueprint)."""
    stray = [name for name in request.args if name not in GLOBAL_QUERY_ARGUMENTS]
    if not stray or "/api/v1/" not in request.path or request.endpoint is None:
        return None
    view = current_app.view_functions.get(request.endpoint)
    if view is None or _takes_query_arguments(view, request.method):
        return None
    errors = {name: ["Dit veld bestaat niet."] for name in stray}
    return _error_response(422, "Niet alle gegevens zijn goed ingevuld.", errors)


class IdConverter(IntegerConverter):
    """`<int:...>` in URLs: a number no INTEGER column can hold matches no route (404) instead of
    overflowing the database driver (500). The bound is documented as the parameter's maximum."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


class Api(_Api):
    """The suite's Api: every error, ours or the framework's, leaves in the same shape."""

    def init_app(self, app: Flask, *args: Any, **kwargs: Any) -> None:
        app.url_map.converters["int"] = IdConverter  # before any view registers a rule
        super().init_app(app, *args, **kwargs)
        app.before_request(_no_stray_query_arguments)

    def _register_error_handlers(self) -> None:
        app: Flask = self._app
        app.register_error_handler(HTTPException, self.handle_http_exception)
        app.register_error_handler(DomainError, self.handle_domain_error)
        app.register_error_handler(IntegrityError, self.handle_integrity_error)
        app.register_error_handler(RecursionError, self.handle_too_deep)

    def handle_http_exception(self, error: HTTPException) -> Any:  # type: ignore[override]
        status = error.code or 500
        data = getattr(error, "data", {}) or {}
        messages = data.get("messages") or {}
        errors = translate_errors(_flatten_webargs(messages)) if messages else {}
        message = error.description or error.name
        if status == 422:
            message = "Niet alle gegevens zijn goed ingevuld."
        if status == 400 and "CSRF" in (error.description or ""):
            message = "Het formulier is verlopen of kwam niet van deze site. Laad de pagina opnieuw."
        headers = data.get("headers")
        response = _error_response(status, message, errors)
        if headers and hasattr(response, "headers"):
            response.headers.update(headers)
        return response

    def handle_domain_error(self, error: DomainError) -> Any:
        return _error_response(error.status, error.message, translate_errors(error.errors), error.code)

    def handle_too_deep(self, error: RecursionError) -> Any:
        # e.g. 100,000 nested brackets: json.loads gives up before any schema sees the body.
        return _error_response(400, "Deze invoer is te diep genest.")

    def handle_integrity_error(self, error: IntegrityError) -> Any:
        # A unique or foreign-key rule said no: the request conflicts with stored state.
        # The request's session is rolled back at teardown.
        return _error_response(409, "Dit botst met gegevens die al zijn opgeslagen.")


def api_settings(prefix: str, title: str, static_url: str) -> dict[str, Any]:
    """Flask config for flask-smorest: OpenAPI under /<service>/api, docs served offline."""
    return {
        "API_TITLE": title,
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "docs",
        "OPENAPI_SWAGGER_UI_URL": f"{static_url}/swagger-ui/",
        "API_SPEC_OPTIONS": {
            "info": {"description": f"Instap {prefix} API. Errors: {{code, status, message, errors}}."},
            "servers": [{"url": f"/{prefix}"}],
            "components": {
                "securitySchemes": {
                    "bearer": {
                        "type": "http",
                        "scheme": "bearer",
                        "description": "instap token create --role ... --org ...",
                    },
                    "session": {"type": "apiKey", "in": "cookie", "name": "instap_session"},
                }
            },
            "security": [{"bearer": []}, {"session": []}],
        },
    }
