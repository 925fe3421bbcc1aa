"""The shared test databases and apps: a reset leaves nothing of the previous test behind."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from services.intake.models import AuditEntry
from shared.auth.models import Organisation, User
from tests.conftest import csrf_from, resident_payload


@pytest.mark.both_backends
def test_reset_empties_tables_redis_and_login_limits(world, app, make_user, login):
    coach = make_user("jobcoach")
    c = login(coach)
    assert c.post("/intake/api/v1/residents", json=resident_payload()).status_code == 201
    anonymous = app.test_client()
    token = csrf_from(anonymous.get("/intake/login").data)
    for _ in range(11):  # one more than the limit of 10 per minute
        last = anonymous.post("/intake/login", data={"email": "x@y.nl", "password": "p", "csrf_token": token})
    assert last.status_code == 429
    world.redis.set("left-over", "1")

    world.reset()

    with world.accounts_db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(User)) == 0
        org = Organisation(name="Nieuw", kind="gemeente")
        s.add(org)
        s.flush()
        assert org.id == 1  # ids start again, as on a freshly migrated database
    with app.extensions["instap"].db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == 0
    assert world.redis.dbsize() == 0
    again = app.test_client()
    token = csrf_from(again.get("/intake/login").data)
    response = again.post("/intake/login", data={"email": "x@y.nl", "password": "p", "csrf_token": token})
    assert response.status_code == 401  # counted afresh, not 429


def test_each_test_has_its_own_data_dir(settings, world, tmp_path):
    assert settings.data_dir == tmp_path / "var" and settings.data_dir.is_dir()
    assert settings.data_dir != world.settings.data_dir
    assert settings.database_url("intake") == world.settings.database_url("intake")
