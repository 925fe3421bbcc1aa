"""API of the openings: entry tasks (/tasks) and training slots (/slots), one code path.

`opening_blueprint` builds the same five operations for either kind; tasks.py and slots.py say
only what differs (schemas, roles, words), as the domain's `supply.Opening` does.
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from services.matching.api import schemas as s
from services.matching.domain import runs, supply
from shared.api import Blueprint, page_of
from shared.auth.roles import BEHEERDER, JOBCOACH, PROGRAMMABUREAU
from shared.auth.web import require_principal, roles_required
from shared.web import commit, db_session


def opening_blueprint(
    kind: supply.Opening,
    *,
    name: str,
    description: str,
    out: type[s.Schema],
    create: type[s.Schema],
    update: type[s.Schema],
    new_run: str,
    changed_run: str,
) -> Blueprint:
    blp = Blueprint(name, __name__, url_prefix=f"/api/v1/{name}", description=description)
    owner = kind.owner_role
    readers = (owner, JOBCOACH, PROGRAMMABUREAU, BEHEERDER)
    model = kind.model

    @blp.route("", endpoint="list")
    class Collection(MethodView):
        @roles_required(*readers)
        @blp.arguments(s.ListArgsSchema, location="query")
        @blp.response(200, out(many=True))
        @blp.paginate()
        def get(self, args: dict[str, Any], pagination_parameters: Any) -> Any:
            """The ones you may see: an organisation its own, coaches and the bureau all."""
            query = supply.query(kind, require_principal())
            if args["status"]:
                query = query.where(model.status == args["status"])
            return page_of(db_session(), query.order_by(model.start_date, model.id), pagination_parameters)

        @roles_required(owner)
        @blp.arguments(create)
        @blp.response(201, out)
        def post(self, data: dict[str, Any]) -> Any:
            """Post a new one; an incremental match run follows shortly."""
            session = db_session()
            row = supply.create(session, kind, require_principal(), data)
            runs.request_run(session, kind.name, str(row.id), new_run)
            commit()
            return row

    @blp.route(f"/<int:{kind.name}_id>", endpoint="item")
    class Item(MethodView):
        @roles_required(*readers)
        @blp.response(200, out)
        def get(self, **ids: int) -> Any:
            return supply.get(db_session(), kind, require_principal(), ids[f"{kind.name}_id"])

        @roles_required(owner)
        @blp.arguments(update)
        @blp.response(200, out)
        def patch(self, data: dict[str, Any], **ids: int) -> Any:
            """Change it (own organisation); places never below those already given."""
            session = db_session()
            principal = require_principal()
            row = supply.get(session, kind, principal, ids[f"{kind.name}_id"])
            row = supply.update(session, kind, principal, row, data)
            runs.request_run(session, kind.name, str(row.id), changed_run)
            commit()
            return row

        @roles_required(owner)
        @blp.response(200, out)
        def delete(self, **ids: int) -> Any:
            """Close it: no new proposals; agreed placements stay."""
            session = db_session()
            principal = require_principal()
            row = supply.close(
                session, kind, principal, supply.get(session, kind, principal, ids[f"{kind.name}_id"])
            )
            commit()
            return row

    return blp
