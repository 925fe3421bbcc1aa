"""flask-smorest subclassed once: one error shape, strict schemas, auth shown in OpenAPI."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import marshmallow as ma
from flask import Flask, jsonify, render_template, request
from flask_smorest import Api as _Api
from flask_smorest import Blueprint as _Blueprint
from sqlalchemy.exc import IntegrityError
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


class NoBsnSchema(Schema):
    """Every request schema: rejects, per field, a BSN (shared/validators.py has the rule) and
    control characters. A string field declared with metadata={"multiline": True} (notes, work
    experience, reasons) may hold tabs and line breaks; every other field is one line."""

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


class Blueprint(_Blueprint):
    """API blueprint; documents the bearer/session auth and our error shape per operation."""

    def arguments(self, schema: Any, *args: Any, **kwargs: Any) -> Any:
        """As flask-smorest's, with a schema class made into an instance once, here: webargs
        would build the schema (and its nested schemas) again on every request (issue 12)."""
        if isinstance(schema, type) and issubclass(schema, ma.Schema):
            schema = schema()
        return super().arguments(schema, *args, **kwargs)


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
