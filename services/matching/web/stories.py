"""What the numbers on the matching pages mean, said in plain Dutch sentences (B1)."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import ngettext

from services.matching.models import Candidate, MatchRun, Proposal


def run_story(run: MatchRun) -> list[str]:
    """A match run's counts as sentences a coach or the bureau can read without a legend."""
    if run.status == "queued":
        return [_("Deze ronde wacht op haar beurt. Vernieuw de pagina over een paar seconden.")]
    if run.status == "running":
        return [_("Deze ronde is nu bezig (%(p)s%% klaar).", p=run.progress)]
    if run.status == "failed":
        return [_("Deze ronde is mislukt, ook na opnieuw proberen. Er is niets veranderd aan de voorstellen.")]
    c = run.counts or {}
    candidates, openings = c.get("candidates", 0), c.get("openings", 0)
    lines = [
        _("Bekeken: %(people)s en %(openings)s met nog plaats.")
        % {
            "people": ngettext("%(num)d deelnemer", "%(num)d deelnemers", candidates),
            "openings": ngettext("%(num)d instaptaak of opleidingsplek", "%(num)d instaptaken en opleidingsplekken", openings),
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
