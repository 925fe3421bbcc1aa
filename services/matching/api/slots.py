"""API: training slots of de Beroepentuin (the shared path is in openings.py)."""

from __future__ import annotations

from services.matching.api import schemas as s
from services.matching.api.openings import opening_blueprint
from services.matching.domain import supply

blp = opening_blueprint(
    supply.SLOT,
    name="slots",
    description="Training slots (leerwerktrajecten) of de Beroepentuin",
    out=s.SlotSchema,
    create=s.SlotCreateSchema,
    update=s.SlotUpdateSchema,
    new_run="nieuwe opleidingsplek",
    changed_run="opleidingsplek gewijzigd",
)
