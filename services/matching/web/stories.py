"""What the numbers on the matching pages mean, said in plain Dutch sentences (B1)."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import ngettext

from services.matching.models import Candidate, MatchRun, Proposal
from shared import reference
from shared.pages import local_date


def run_story(run: MatchRun) -> list[str]:
    """A match run's counts as sentences a coach or the bureau can read without a legend."""
    if run.status == "queued":
        return [_("Deze ronde wacht op haar beurt. Vernieuw de pagina over een paar seconden.")]
    if run.status == "running":
        return [_("Deze ronde is nu bezig (%(p)s%% klaar).", p=run.progress)]
    if run.status == "failed":
        return [
            _("Deze ronde is mislukt, ook na opnieuw proberen. Er is niets veranderd aan de voorstellen.")
        ]
    c = run.counts or {}
    candidates, openings = c.get("candidates", 0), c.get("openings", 0)
    lines = [
        _("Bekeken: %(people)s en %(openings)s met nog plaats.")
        % {
            "people": ngettext("%(num)d deelnemer", "%(num)d deelnemers", candidates),
            "openings": ngettext(
                "%(num)d instaptaak of opleidingsplek", "%(num)d instaptaken en opleidingsplekken", openings
            ),
        }
    ]
    if not candidates or not openings:
        lines.append(_("Er viel niets te koppelen: er waren geen deelnemers of geen plekken met ruimte."))
    else:
        assigned = c.get("assigned", 0)
        lines.append(
            ngettext(
                "In de beste verdeling krijgt %(num)d deelnemer een voorstel.",
                "In de beste verdeling krijgen %(num)d deelnemers een voorstel.",
                assigned,
            )
        )
        lines.append(
            ngettext("%(num)d voorstel is nieuw.", "%(num)d voorstellen zijn nieuw.", c.get("created", 0))
            + " "
            + ngettext(
                "%(num)d voorstel bestond al en blijft staan.",
                "%(num)d voorstellen bestonden al en blijven staan.",
                c.get("kept", 0),
            )
        )
    withdrawn = c.get("withdrawn", 0)
    if run.kind == "full" and withdrawn:
        lines.append(
            ngettext(
                "%(num)d oud voorstel is ingetrokken: niemand had er nog iets mee gedaan en het past niet "
                "meer in de beste verdeling. Voorstellen waar een jobcoach of organisatie al ja op zei, "
                "blijven altijd staan.",
                "%(num)d oude voorstellen zijn ingetrokken: niemand had er nog iets mee gedaan en ze passen "
                "niet meer in de beste verdeling. Voorstellen waar een jobcoach of organisatie al ja op zei, "
                "blijven altijd staan.",
                withdrawn,
            )
        )
    return lines


def withdrawal_reason(proposal: Proposal, candidate: Candidate | None) -> str:
    """Why a proposal was withdrawn, from what is true now (the lifecycle has one 'ingetrokken')."""
    kind_is_task = proposal.task_id is not None
    shares = (
        candidate is not None
        and candidate.removed_at is None
        and (candidate.share_with_employer if kind_is_task else candidate.share_with_trainer)
    )
    if not shares:
        return _(
            "De deelnemer doet niet meer mee, of wil zijn gegevens niet meer delen met "
            "werkgevers of opleiders (toestemming ingetrokken)."
        )
    opening = proposal.task if kind_is_task else proposal.slot
    if opening is not None and opening.status != "open":
        return (
            _("De instaptaak is gesloten door de aannemer.")
            if kind_is_task
            else _("De opleidingsplek is gesloten door de opleider.")
        )
    return _(
        "Een volledige matchronde vond een betere verdeling over alle deelnemers. Niemand had nog "
        "iets met dit voorstel gedaan. De deelnemer kan in een volgende ronde weer een voorstel krijgen."
    )


# About the reading level the VCA exam asks (the intake form says the same to the coach).
EXAM_READING = "A2"
VCA_CODES = ("vca_basis", "vol_vca")


def _below(level: str | None, needed: str | None) -> bool:
    """True when a known level is lower than the level needed (unknown is not called lower)."""
    order = list(reference.LANGUAGE_LEVELS)
    if not needed or needed not in order:
        return False
    if not level or level not in order:
        return False
    return order.index(level) < order.index(needed)


def _level(code: str | None) -> str:
    return code if code and code != "moedertaal" else _("moedertaal") if code else _("onbekend")


def risks(proposal: Proposal, candidate: Candidate | None) -> list[str]:
    """What does not fit, or is a risk to discuss, from the profile and the opening as they are now.
    The engine's explanation says what fits; this is the other side, in plain Dutch."""
    if candidate is None:
        return []
    out: list[str] = []
    held = {x.get("code") for x in candidate.certificates or []}
    task = proposal.task
    slot = proposal.slot
    exam = slot is not None and (slot.vca_exam_included or any(c in VCA_CODES for c in slot.grants or []))
    if exam and _below(candidate.language_written, EXAM_READING):
        out.append(
            _(
                "Leest Nederlands op niveau %(level)s. Voor het VCA-examen is lezen op ongeveer A2 tot B1 "
                "nodig. Bespreek extra taalsteun of een examen met voorleeshulp.",
                level=_level(candidate.language_written),
            )
        )
    if task is not None:
        if _below(candidate.language_spoken, task.req_language_spoken):
            out.append(
                _(
                    "Spreekt Nederlands op niveau %(level)s; de taak vraagt %(needed)s.",
                    level=_level(candidate.language_spoken),
                    needed=task.req_language_spoken,
                )
            )
        if _below(candidate.language_written, task.req_language_written):
            out.append(
                _(
                    "Leest en schrijft Nederlands op niveau %(level)s; de taak vraagt %(needed)s.",
                    level=_level(candidate.language_written),
                    needed=task.req_language_written,
                )
            )
        missing = [c for c in task.req_certificates or [] if c not in held]
        if missing:
            names = reference.names("certificates")
            out.append(
                _("Heeft nog niet: %(certs)s. Dat is verplicht voor deze taak.")
                % {"certs": ", ".join(names.get(c, c) for c in missing)}
            )
        if task.req_driving_licence and not candidate.driving_licence and "rijbewijs_b" not in held:
            out.append(_("Voor deze taak is rijbewijs B nodig; de deelnemer heeft het niet."))
        if task.req_work_at_height and not candidate.work_at_height:
            out.append(_("Het werk is op hoogte; de deelnemer wil of kan dat (nog) niet."))
        if task.req_heavy_work and not candidate.heavy_work:
            out.append(_("Het werk is zwaar; de deelnemer wil of kan dat (nog) niet."))
        if candidate.hours_per_week and task.hours_per_week > candidate.hours_per_week:
            out.append(
                _(
                    "De taak is %(task)s uur per week; de deelnemer wil %(own)s uur werken.",
                    task=task.hours_per_week,
                    own=candidate.hours_per_week,
                )
            )
    opening = task or slot
    if opening is not None and candidate.available_from and candidate.available_from > opening.start_date:
        out.append(
            _(
                "De deelnemer kan pas beginnen op %(from)s; de start is %(start)s.",
                **{"from": local_date(candidate.available_from), "start": local_date(opening.start_date)},
            )
        )
    return out
