"""API: entry tasks (instaptaken) of contractors (the shared path is in openings.py)."""

from __future__ import annotations

from services.matching.api import schemas as s
from services.matching.api.openings import opening_blueprint
from services.matching.domain import supply

blp = opening_blueprint(
    supply.TASK,
    name="tasks",
    description="Entry tasks posted by contractors (own organisation only)",
    out=s.TaskSchema,
    create=s.TaskCreateSchema,
    update=s.TaskUpdateSchema,
    new_run="nieuwe taak",
    changed_run="taak gewijzigd",
)
