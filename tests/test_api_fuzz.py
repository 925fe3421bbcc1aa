"""Property-based API fuzzing: bad input gets a clear 4xx, never a 500, and every answer is
the one the OpenAPI document promises.

Schemathesis reads each app's own OpenAPI document (served by the app), generates valid and
invalid requests for every operation and sends them in-process through WSGI (no server), as every
role. For every response: no 5xx (with TESTING on, an unhandled exception even propagates out of the
test client and fails the test with its traceback); schemathesis' response checks pass (the status
code is one the operation declares -- there is no catch-all `default` --, the content type and the
body match the declared schema); and every 4xx carries the suite's error shape
{code, status, message, errors} with `status` equal to the HTTP status.

SQLite only: this is about input handling, not about the database backend.
Budget: 25 examples per operation as `beheerder` (who reaches every handler: the issue's own
measure), 10 per operation for each other role (most of their requests end at the access check,
which the drift test also calls for every operation and role); INSTAP_FUZZ_EXAMPLES=200 digs
deeper for every role. Two thirds of the time goes into generating cases, not into the app, so
the cases are generated once per operation and sent as every role (one test per service).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from typing import Any

import hypothesis.strategies as st
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import bearer, resident_payload
from tests.matching.factories import add_candidate, add_proposal, slot_payload, task_payload

pytestmark = pytest.mark.slow  # started first (tests/conftest.py)

ORG = "Sociale Dienst Drechtsteden"
# The documents' promises, checked on every response.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
DEEPER = os.environ.get("INSTAP_FUZZ_EXAMPLES")
# Examples per operation: the beheerder's, and each other role's.
FULL_EXAMPLES = int(DEEPER or 25)
ROLE_EXAMPLES = int(DEEPER or 10)
# No `explain` phase: its line tracing is slow and adds nothing to a request/response report.
FUZZ = settings(
    max_examples=FULL_EXAMPLES,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate, Phase.target, Phase.shrink],
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)


@pytest.fixture(params=["sqlite"])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


def _load(app: Any, prefix: str, known: dict[str, Any], known_body: dict[str, Any] | None = None) -> Any:
    """The app's OpenAPI document as a schemathesis schema; requests go to /<prefix>/api/...

    `known` maps path-parameter names to ids of seeded rows: generated path parameters are
    sometimes swapped for them, so the fuzzer reaches past the 404s into the real handlers.
    `known_body` does the same for fields of JSON bodies (e.g. a coach the token may name).
    """
    schema = schemathesis.openapi.from_wsgi(f"/{prefix}/api/openapi.json", app)
    assert schema.raw_schema["servers"] == [{"url": f"/{prefix}"}]

    @schema.hook("flatmap_path_parameters")
    def sometimes_real_ids(_ctx: Any, path_parameters: dict[str, Any]) -> Any:
        if not path_parameters:
            return st.just(path_parameters)
        real = {**path_parameters, **{name: known[name] for name in path_parameters if name in known}}
        return st.sampled_from([path_parameters, real])

    @schema.hook("flatmap_body")
    def sometimes_real_fields(_ctx: Any, body: Any) -> Any:
        fields = {k: v for k, v in (known_body or {}).items() if isinstance(body, dict) and k in body}
        return st.sampled_from([body, {**body, **fields}]) if fields else st.just(body)

    return schema


def check_response(case: Any, response: Any) -> None:
    """No 5xx; every 4xx in the suite's error shape."""
    request = f"{case.method.upper()} {case.formatted_path} query={case.query!r} body={case.body!r}"
    assert response.status_code < 500, f"{response.status_code} for {request}: {response.text[:2000]}"
    if 400 <= response.status_code < 500:
        content_type = (response.headers.get("content-type") or [""])[0]
        assert content_type.startswith("application/json"), (
            f"{response.status_code} without JSON for {request}: {response.text[:500]}"
        )
        body = response.json()
        assert isinstance(body, dict), f"error body not an object for {request}: {body!r}"
        shape = {"code": str, "status": int, "message": str, "errors": dict}
        wrong = {
            k: type(body.get(k)).__name__
            for k, t in shape.items()
            if not isinstance(body.get(k), t) or isinstance(body.get(k), bool)
        }
        assert not wrong, f"error shape wrong ({wrong}) for {request}: {body!r}"
        assert body["status"] == response.status_code, (
            f"status {body['status']} in body, {response.status_code} on the wire for {request}"
        )


def fuzz_every_operation(schema: Any, tokens: dict[str, str], subtests: Any, *, no_access: set[str]) -> None:
    """Valid and invalid requests for each operation of the document, one subtest each, sent as
    every role: each generated case goes to `beheerder` (who reaches every handler), and the
    first ROLE_EXAMPLES of them to every other role too. Cases are generated once for all roles:
    generating them costs about twice what the app spends answering them.

    (schemathesis' own pytest loader `from_fixture` sets `Function._nodeid`, which pytest 9.2
    no longer has; so the operations' strategies are driven by Hypothesis directly.)
    """
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations, "the OpenAPI document lists no operations"
    operations.sort(key=lambda op: op.method.upper() == "DELETE")  # seeded rows live longer
    statuses: dict[str, Counter[int]] = {role: Counter() for role in tokens}
    for operation in operations:
        with subtests.test(msg=operation.label):
            _fuzz_one(operation, tokens, statuses)
    # Not vacuous: every token was accepted (no 401) and some requests got through to a handler;
    # a role with no access to this service got only refusals.
    for role, seen in statuses.items():
        assert seen[401] == 0, (role, seen)
        if role in no_access:
            assert set(seen) == {403}, (role, seen)
        else:
            assert any(200 <= status < 300 for status in seen), (role, seen)
        print(f"{role}: {dict(sorted(seen.items()))}")


def _fuzz_one(operation: Any, tokens: dict[str, str], statuses: dict[str, Counter[int]]) -> None:
    """One operation's cases, each sent as beheerder and (the first ROLE_EXAMPLES) every role."""
    strategy = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE)
    )
    sent = Counter[str]()
    failing = False  # once a case failed, shrinking sends every case to every role again

    @settings(FUZZ, max_examples=FULL_EXAMPLES)
    @given(case=strategy)
    def fuzz(case: Any) -> None:
        nonlocal failing
        for role, token in tokens.items():
            if role != "beheerder" and sent[role] >= ROLE_EXAMPLES and not failing:
                continue
            sent[role] += 1
            response = case.call(headers=bearer(token))
            statuses[role][response.status_code] += 1
            try:
                check_response(case, response)
                case.validate_response(response, checks=CHECKS)
            except Exception as failed:
                failing = True
                failed.add_note(f"sent as {role}")
                raise

    fuzz()


# --- intake -----------------------------------------------------------------------------------


ORGS = {
    "jobcoach": ORG,
    "beheerder": "Gemeente Dordrecht",
    "programmabureau": "Programmabureau Drechtsteden",
    "aannemer": "Aannemer Fuzz",
    "opleider": "De Beroepentuin",
}


@pytest.fixture
def tokens(make_token: Callable[..., str]) -> dict[str, str]:
    """A bearer token per role, beheerder first (the one every generated case goes to)."""
    roles = ["beheerder"] + [role for role in ORGS if role != "beheerder"]
    return {role: make_token(role, org=ORGS[role]) for role in roles}


@pytest.fixture
def intake_schema(app: Any, make_user: Callable[..., Any], make_token: Callable[..., str]) -> Any:
    coach = make_user("jobcoach", org=ORG)
    client = app.test_client()
    token = make_token("jobcoach", org=ORG)
    created = client.post(
        "/intake/api/v1/residents", json=resident_payload(coach_id=coach.id), headers=bearer(token)
    )
    assert created.status_code == 201, created.json
    pid = created.json["programme_id"]
    consent = client.post(
        f"/intake/api/v1/residents/{pid}/consents",
        headers=bearer(token),
        json={"purpose": "registratie", "method": "schriftelijk", "info_version": "2026-01"},
    )
    assert consent.status_code == 201, consent.json
    note = client.post(
        f"/intake/api/v1/residents/{pid}/notes",
        headers=bearer(token),
        json={"body": "Eerste gesprek ging goed."},
    )
    assert note.status_code == 201, note.json
    return _load(app, "intake", {"programme_id": pid, "purpose": "registratie"}, {"coach_id": coach.id})


def test_intake_api_keeps_its_document(intake_schema: Any, tokens: dict[str, str], subtests: Any) -> None:
    # The programme bureau sees intake only as reports: every operation refuses it.
    fuzz_every_operation(intake_schema, tokens, subtests, no_access={"programmabureau"})


# --- matching ---------------------------------------------------------------------------------


@pytest.fixture
def matching_schema(matching_app: Any, make_token: Callable[..., str]) -> Any:
    client = matching_app.test_client()
    task = client.post(
        "/matching/api/v1/tasks",
        json=task_payload(),
        headers=bearer(make_token("aannemer", org="Aannemer Fuzz")),
    )
    assert task.status_code == 201, task.json
    slot = client.post(
        "/matching/api/v1/slots",
        json=slot_payload(),
        headers=bearer(make_token("opleider", org="De Beroepentuin")),
    )
    assert slot.status_code == 201, slot.json
    pid = "fuzz-candidate-1"
    db = matching_app.extensions["instap"].db
    add_candidate(db, pid)
    proposal_id = add_proposal(db, pid, task.json["id"], status="voorgesteld")
    # Fields checked against reference data, which random strings never hit.
    reference_fields = (
        "occupation",
        "occupations",
        "wijk",
        "req_certificates",
        "grants",
        "werkprocessen",
        "crebo",
        "sroi_tag",
        "start_date",
        "end_date",
    )
    valid = {**slot_payload(), **task_payload()}
    return _load(
        matching_app,
        "matching",
        {
            "task_id": task.json["id"],
            "slot_id": slot.json["id"],
            "programme_id": pid,
            "proposal_id": proposal_id,
        },
        {name: valid[name] for name in reference_fields},
    )


def test_matching_api_keeps_its_document(matching_schema: Any, tokens: dict[str, str], subtests: Any) -> None:
    fuzz_every_operation(matching_schema, tokens, subtests, no_access=set())
