"""Event envelopes as the outbox relay sends them, for feeding the rapportage consumer in tests."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, date, datetime
from typing import Any

from shared.events import validate_payload


class Feed:
    """Builds envelopes with a sequence per subject, exactly like intake's and matching's outboxes."""

    def __init__(self) -> None:
        self.seq: dict[str, int] = defaultdict(int)

    def envelope(self, event_type: str, payload: dict[str, Any], subject: str) -> dict[str, Any]:
        self.seq[subject] += 1
        return {
            "id": uuid.uuid4().hex,
            "type": event_type,
            "version": 1,
            "source": "test",
            "occurred_at": datetime.now(UTC).isoformat(),
            "correlation_id": "test",
            "subject": subject,
            "seq": self.seq[subject],
            "payload": validate_payload(event_type, 1, payload),
        }

    def stage(
        self,
        pid: str,
        to_stage: str,
        at: datetime,
        *,
        wijk: str = "wielwijk",
        gender: str = "vrouw",
        age_band: str = "25-45",
        from_stage: str | None = None,
        reason: str | None = None,
    ) -> dict[str, Any]:
        return self.envelope(
            "stage.changed",
            {
                "programme_id": pid,
                "from_stage": from_stage,
                "to_stage": to_stage,
                "reason_code": reason,
                "changed_at": at,
                "wijk": wijk,
                "age_band": age_band,
                "gender": gender,
            },
            pid,
        )

    def erased(self, pid: str, at: datetime) -> dict[str, Any]:
        return self.envelope("resident.erased", {"programme_id": pid, "erased_at": at}, pid)

    def placement(
        self,
        placement_id: int,
        pid: str,
        status: str,
        at: datetime,
        *,
        organisation_id: int = 1,
        started_on: date | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        payload = {
            "placement_id": placement_id,
            "programme_id": pid,
            "task_id": 1,
            "organisation_id": organisation_id,
            "status": status,
            "started_on": started_on,
            "changed_at": at,
            "occupation": "isolatiemonteur",
            "contract_type": "bepaalde_tijd",
            "corporation": "Trivire",
            "project": "Crabbehof duurzaam",
            "sroi_tag": "sroi-2026",
            **fields,
        }
        return self.envelope("placement.changed", payload, f"placement:{placement_id}")

    def certificate(
        self,
        certificate_id: int,
        pid: str,
        issued_on: date,
        at: datetime,
        *,
        status: str = "valid",
        kind: str = "vca_basis",
    ) -> dict[str, Any]:
        return self.envelope(
            "certificate.changed",
            {
                "certificate_id": certificate_id,
                "programme_id": pid,
                "kind": kind,
                "certificate_code": kind,
                "training": "Leerwerktraject isolatie",
                "crebo": "25470",
                "organisation_id": 2,
                "status": status,
                "issued_on": issued_on,
                "changed_at": at,
            },
            f"certificate:{certificate_id}",
        )

    def enrolment(self, enrolment_id: int, pid: str, status: str, at: datetime) -> dict[str, Any]:
        return self.envelope(
            "enrolment.changed",
            {
                "enrolment_id": enrolment_id,
                "programme_id": pid,
                "slot_id": 1,
                "organisation_id": 2,
                "training": "Leerwerktraject isolatie",
                "status": status,
                "changed_at": at,
            },
            f"enrolment:{enrolment_id}",
        )

    def proposal(
        self, proposal_id: int, pid: str, status: str, at: datetime, *, kind: str = "task"
    ) -> dict[str, Any]:
        return self.envelope(
            "proposal.changed",
            {
                "proposal_id": proposal_id,
                "programme_id": pid,
                "status": status,
                "kind": kind,
                "opening_id": 1,
                "organisation_id": 1,
                "opening_title": "Isolatie",
                "changed_at": at,
            },
            f"proposal:{proposal_id}",
        )

    def followup(
        self, followup_id: int, pid: str, placement_id: int, month: int, working: str, on: date, at: datetime
    ) -> dict[str, Any]:
        return self.envelope(
            "followup.recorded",
            {
                "followup_id": followup_id,
                "programme_id": pid,
                "placement_id": placement_id,
                "month": month,
                "due_on": on,
                "recorded_on": on,
                "still_working": working,
                "changed_at": at,
            },
            pid,
        )

    def ladder(self, pid: str, trede: int, source: str, at: datetime) -> dict[str, Any]:
        return self.envelope(
            "ladder.measured", {"programme_id": pid, "trede": trede, "source": source, "measured_at": at}, pid
        )
