"""API: entry tasks (instaptaken) of contractors."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from services.matching.api import schemas as s
from services.matching.domain import runs, supply
from services.matching.models import Task
from shared.api import Blueprint
from shared.auth.roles import AANNEMER, BEHEERDER, JOBCOACH, PROGRAMMABUREAU
from shared.auth.web import require_principal, roles_required
from shared.web import commit, db_session

blp = Blueprint(
    "tasks",
    __name__,
    url_prefix="/api/v1/tasks",
    description="Entry tasks posted by contractors (own organisation only)",
)
READ = (AANNEMER, JOBCOACH, PROGRAMMABUREAU, BEHEERDER)


@blp.route("")
class Tasks(MethodView):
    @roles_required(*READ)
    @blp.arguments(s.ListArgsSchema, location="query")
    @blp.response(200, s.TaskSchema(many=True))
    def get(self, args: dict[str, Any]) -> Any:
        """Tasks you may see: a contractor its own, coaches and the bureau all."""
        query = supply.tasks_query(require_principal())
        if args["status"]:
            query = query.where(Task.status == args["status"])
        query = (
            query.order_by(Task.start_date, Task.id)
            .offset((args["page"] - 1) * args["per_page"])
            .limit(args["per_page"])
        )
        return db_session().scalars(query).all()

    @roles_required(AANNEMER)
    @blp.arguments(s.TaskCreateSchema)
    @blp.response(201, s.TaskSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Post a new entry task; an incremental match run follows shortly."""
        session = db_session()
        task = supply.create_task(session, require_principal(), data)
        runs.request_run(session, "task", str(task.id), "nieuwe taak")
        commit()
        return task


@blp.route("/<int:task_id>")
class TaskItem(MethodView):
    @roles_required(*READ)
    @blp.response(200, s.TaskSchema)
    def get(self, task_id: int) -> Any:
        return supply.get_task(db_session(), require_principal(), task_id)

    @roles_required(AANNEMER)
    @blp.arguments(s.TaskUpdateSchema)
    @blp.response(200, s.TaskSchema)
    def patch(self, data: dict[str, Any], task_id: int) -> Any:
        """Change a task (own organisation); places never below those already given."""
        session = db_session()
        principal = require_principal()
        task = supply.update_task(session, principal, supply.get_task(session, principal, task_id), data)
        runs.request_run(session, "task", str(task.id), "taak gewijzigd")
        commit()
        return task

    @roles_required(AANNEMER)
    @blp.response(200, s.TaskSchema)
    def delete(self, task_id: int) -> Any:
        """Close a task: no new proposals; agreed placements stay."""
        session = db_session()
        principal = require_principal()
        task = supply.close_task(session, principal, supply.get_task(session, principal, task_id))
        commit()
        return task
