"""flask-smorest subclassed once: one error shape, strict schemas, auth shown in OpenAPI."""

from __future__ import annotations

import http
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import marshmallow as ma
from flask import Flask, current_app, jsonify, render_template, request
from flask_smorest import Api as _Api
from flask_smorest import Blueprint as _Blueprint
from flask_smorest.utils import prepare_response
from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from shared.auth.roles import ALL_ROLES
from shared.errors import DomainError, error_body
from shared.i18n import translate_errors, translate_message
from shared.runtime import service_context
from shared.validators import MAX_ID, multiline_fields, reject_bsn

MAX_PAGE_SIZE = 500
"""The largest `page_size` a list answers (the bound of INSTAP_PAGE_SIZE too)."""
PAGINATION_ARGS = ("page", "page_size")


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
        # Fixed once the schema is made (its fields are): not looked up again for every load.
        self._multiline = multiline_fields(self)

    @ma.pre_load
    def _no_bsn(self, data: Any, **_: Any) -> Any:
        if isinstance(data, Mapping):  # query arguments come as a MultiDict proxy
            reject_bsn(data, self._multiline)
        return data


class QueryArgsSchema(NoBsnSchema):
    """Query arguments of a paged list: `page` and `page_size` belong to `Blueprint.paginate`
    (flask-smorest reads them with its own schema); every other unknown argument is an error."""

    @ma.pre_load
    def _leave_pagination(self, data: Any, **_: Any) -> Any:
        if isinstance(data, Mapping):  # webargs' proxy gives lists for List fields
            return {key: data[key] for key in data if key not in PAGINATION_ARGS}
        return data


def page_of(session: Session, query: Select[Any], params: Any) -> list[Any]:
    """One page of a select's rows; tells flask-smorest the total for the X-Pagination header.
    A short page is the last one and says the total itself: no count query then (issue 12)."""
    items = list(session.scalars(query.offset(params.first_item).limit(params.page_size)))
    if len(items) < params.page_size and (items or params.first_item == 0):
        params.item_count = params.first_item + len(items)
    else:
        params.item_count = (
            session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
        )
    return items


GLOBAL_QUERY_ARGUMENTS = ("lang",)
"""Query arguments every page and operation takes (the language switch, shared/i18n.py)."""


class _Parser(FlaskParser):
    """Query arguments go to the schema without the global ones (which the app reads itself)."""

    def load_querystring(self, req: Any, schema: ma.Schema) -> Any:
        args = req.args.copy()
        for name in GLOBAL_QUERY_ARGUMENTS:
            args.pop(name, None)
        return self._makeproxy(args, schema)


class ErrorSchema(Schema):
    """The one error document of the suite (shared/errors.py `error_body`)."""

    code = ma.fields.String(required=True, metadata={"example": "invalid"})
    status = ma.fields.Integer(required=True, metadata={"example": 422})
    message = ma.fields.String(required=True)
    errors = ma.fields.Dict(
        keys=ma.fields.String(), required=True, metadata={"description": "messages per field"}
    )


SECURITY: list[dict[str, list[str]]] = [{"bearer": []}, {"session": []}]
"""Every operation: a bearer token (`instap token create`) or the session cookie of a login."""

ERROR_DESCRIPTIONS = {
    400: "Unreadable request: JSON that does not parse or is nested too deep, or (with the session "
    "cookie instead of a token) a missing or stale CSRF token.",
    401: "Not logged in, or the token is invalid, expired or revoked.",
    403: "Your role or organisation has no access to this operation or object.",
    404: "Not found, or not yours to see.",
    409: "Conflicts with stored state: a step the state table forbids, a place already taken, a duplicate.",
    413: "The request body is larger than 2 MiB.",
    422: "Invalid input: a message per field in `errors`.",
    503: "A database or Redis is unavailable; retry after the Retry-After header's seconds.",
}
UNSAFE_METHODS = frozenset({"post", "put", "patch", "delete"})
BODY_LOCATIONS = frozenset({"json", "form", "files"})


def error_statuses(
    *, method: str, rule: str, roles: Iterable[str] | None, body: bool, arguments: bool
) -> set[int]:
    """The errors an operation can really answer, from what the base classes know of it.

    401 and 503 always (authentication is required; every operation reads a database); 403 when the
    operation admits fewer than all roles, or checks ownership in the domain (every write does);
    404 when the path names an object; 409 on writes (state tables, capacity, unique rules);
    422 with arguments; 400 and 413 when a body is read, 400 also for the CSRF check of writes.
    Views add any other with `Blueprint.errors`.
    """
    statuses = {401, 503}
    method = method.lower()
    if roles is not None and set(ALL_ROLES) - set(roles):
        statuses.add(403)
    if method in UNSAFE_METHODS:
        statuses |= {400, 403, 409}
    if "<" in rule:
        statuses.add(404)
    if arguments:
        statuses.add(422)
    if body:
        statuses |= {400, 413}
    return statuses


class Blueprint(_Blueprint):
    """API blueprint: security requirements and the real error responses, added once here for
    every operation of every service (computed by `error_statuses`), never per view.

    Query arguments follow the schema's own rule, like JSON bodies: an unknown parameter is a
    422 ("Dit veld bestaat niet."), never silently ignored (webargs ignores them by default);
    an operation without a query schema refuses any but the global ones and its pagination
    (`_no_stray_query_arguments`)."""

    ARGUMENTS_PARSER = _Parser(unknown=None)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._prepare_doc_cbks.append(self._prepare_security_and_errors_doc)

    def arguments(self, schema: Any, *args: Any, **kwargs: Any) -> Any:
        """As flask-smorest's, with a schema class made into an instance once, here: webargs
        would build the schema (and its nested schemas) again on every request (issue 12)."""
        if isinstance(schema, type) and issubclass(schema, ma.Schema):
            schema = schema()
        return super().arguments(schema, *args, **kwargs)

    def add_url_rule(  # type: ignore[override]
        self, rule: str, endpoint: str | None = None, view_func: Any = None, *args: Any, **kwargs: Any
    ) -> None:
        super().add_url_rule(rule, endpoint, view_func, *args, **kwargs)
        full_rule = (self.url_prefix or "") + rule
        for method, doc in self._docs[endpoint or view_func.__name__].items():
            if method == "parameters":
                continue
            function = getattr(view_func, method, view_func)
            locations = {arg.get("in", "json") for arg in doc.get("arguments", {}).get("parameters", [])}
            doc["errors"] = error_statuses(
                method=method,
                rule=full_rule,
                roles=getattr(function, "required_roles", None),
                body=bool(locations & BODY_LOCATIONS),
                arguments=bool(locations) or "pagination" in doc,
            ) | set(doc.get("extra_errors", ()))

    @staticmethod
    def errors(*statuses: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Declare an error an operation answers that `error_statuses` cannot see."""

        def decorator(function: Callable[..., Any]) -> Callable[..., Any]:
            function._apidoc = {**getattr(function, "_apidoc", {})}  # type: ignore[attr-defined]
            extra = set(function._apidoc.get("extra_errors", ())) | set(statuses)  # type: ignore[attr-defined]
            function._apidoc["extra_errors"] = sorted(extra)  # type: ignore[attr-defined]
            return function

        return decorator

    def paginate(  # type: ignore[override]
        self, pager: Any = None, *, max_page_size: int = MAX_PAGE_SIZE
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """flask-smorest's pagination (`?page=&page_size=`, metadata in the X-Pagination header) with
        the configured page size (INSTAP_PAGE_SIZE, `settings.page_size`) as the default."""
        decorator = super().paginate(pager, page=1, page_size=1, max_page_size=max_page_size)

        def apply(function: Callable[..., Any]) -> Callable[..., Any]:
            wrapped = decorator(function)
            schema = wrapped._apidoc["pagination"]["parameters"]["schema"]  # type: ignore[attr-defined]
            # Beyond an INTEGER the offset overflows the database driver (a 500, not a 422).
            schema._declared_fields["page"].validators = [
                ma.validate.Range(1, MAX_ID, error="Kies een paginanummer vanaf 1.")
            ]
            page_size = schema._declared_fields["page_size"]
            page_size.load_default = _configured_page_size
            page_size.metadata["description"] = "Items per page (default: INSTAP_PAGE_SIZE, 25)."
            return wrapped

        return apply

    def response_one_of(
        self, status: int, *schemas: type[ma.Schema], many: bool = False, description: str | None = None
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """A 2xx answer in one of several shapes (e.g. a coach's and an organisation's view): the
        view dumps with the schema that fits the caller; the document lists them all (oneOf)."""
        one_of: dict[str, Any] = {"oneOf": list(schemas)}
        schema = {"type": "array", "items": one_of} if many else one_of
        description = description or http.HTTPStatus(status).phrase
        content = {"application/json": {"schema": schema}}
        document = self.doc(responses={str(status): {"description": description, "content": content}})
        respond = self.response(status, description=description)

        def decorator(function: Callable[..., Any]) -> Callable[..., Any]:
            return document(respond(function))

        return decorator

    @staticmethod
    def _prepare_security_and_errors_doc(
        doc: dict[str, Any], doc_info: dict[str, Any], **_: Any
    ) -> dict[str, Any]:
        doc["security"] = SECURITY
        responses = doc.setdefault("responses", {})
        for status in sorted(doc_info.get("errors", ())):
            responses[str(status)] = http.HTTPStatus(status).name
        return doc


def _configured_page_size() -> int:
    """Read at request time: the running app's own settings."""
    return int(service_context().settings.page_size)


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


def _query_arguments(view: Any, method: str) -> tuple[bool, bool]:
    """(declares a query schema, is paginated) for one API operation."""
    target = getattr(getattr(view, "view_class", None), method.lower(), None) or view
    apidoc = getattr(target, "_apidoc", {})
    parameters = apidoc.get("arguments", {}).get("parameters", [])
    return any(p.get("in") in ("query", "querystring") for p in parameters), "pagination" in apidoc


def _no_stray_query_arguments() -> Any:
    """An API operation without query arguments answers 422 to any, like an unknown body field;
    those with a query schema are judged by it (unknown = RAISE, see Blueprint)."""
    stray = [name for name in request.args if name not in GLOBAL_QUERY_ARGUMENTS]
    if not stray or "/api/v1/" not in request.path or request.endpoint is None:
        return None
    view = current_app.view_functions.get(request.endpoint)
    if view is None:
        return None
    has_schema, paginated = _query_arguments(view, request.method)
    if has_schema:
        return None
    stray = [name for name in stray if not (paginated and name in PAGINATION_ARGS)]
    if not stray:
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
    """The suite's Api: every error, ours or the framework's, leaves in the same shape, and the
    OpenAPI document says so (no catch-all `default`: each operation lists its real errors)."""

    ERROR_SCHEMA = ErrorSchema
    DEFAULT_ERROR_RESPONSE_NAME = None

    def _register_responses(self) -> None:
        """One component response per status, lazily (only those used appear), in our shape."""
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": ERROR_DESCRIPTIONS.get(status, status.phrase)}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
            if status == 503:
                response["headers"] = {
                    "Retry-After": {"description": "seconds", "schema": {"type": "integer"}}
                }
            prepare_response(response, self.spec, self.DEFAULT_RESPONSE_CONTENT_TYPE)
            self.spec.components.response(status.name, response, lazy=True)

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
        },
    }
