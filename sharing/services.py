"""Rules of the standards registry: proposing for recognition, deciding, public comment and its dispositions.

Every service is keyword-only and atomic, checks the permission gate itself, and validates before it writes, so a
refused call leaves the database as it was.
"""
from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hub.models import Province
from hub.permissions import can, require
from sharing.models import (
    GroupStandard,
    RecognitionDecision,
    RecognitionProposal,
    StandardComment,
)
from sharing.models.standards import RECOGNISABLE, Disposition, Outcome, Status

OWN_STANDARD = _("不能认可本省自己发布的标准。")
NOT_RECOGNISABLE = _("该标准当前状态为“%(status)s”，不能作出互认决定：只有已发布、实施中或复审中的标准可以互认。")
ENDED_STANDARD = _("该标准已废止或被代替，其互认已自动失效，不能再作出决定。")
NOT_PROPOSED = _("发布方尚未提请本省认可该标准。")
STALE = _("在您填写期间，本省另一位审查员已对该标准作出了决定。请刷新页面查看最新决定后再提交。")
NOT_IN_COMMENT = _("该标准不在征求意见阶段，不能提出意见。")
OWN_COMMENT = _("发布方不能对本省的标准提出征求意见，请在标准修订中处理。")


def _standard_for_issuer(actor, standard_id: int, action: str) -> GroupStandard:
    standard = GroupStandard.objects.select_related("province").filter(pk=standard_id).first()
    if standard is None:
        raise GroupStandard.DoesNotExist
    require(actor, action, standard.province)
    return standard


@transaction.atomic
def standard_propose(*, actor, standard_id: int, province_ids: list[int] | None = None, note: str = "") -> list[RecognitionProposal]:
    """The issuing province asks all (or the chosen) other member provinces to recognise its standard."""
    standard = _standard_for_issuer(actor, standard_id, "change")
    if standard.is_ended:
        raise ValidationError(ENDED_STANDARD)
    if standard.status not in RECOGNISABLE:
        raise ValidationError(NOT_RECOGNISABLE % {"status": standard.get_status_display()})
    members = Province.objects.filter(is_member=True)
    if province_ids is not None:
        if standard.province_id in province_ids:
            raise ValidationError(OWN_STANDARD)
        members = members.filter(pk__in=province_ids)
        if members.count() != len(set(province_ids)):
            raise ValidationError(_("只能向圆桌会议正式成员提请认可。"))
    members = members.exclude(pk=standard.province_id)
    existing = set(standard.proposals.values_list("province_id", flat=True))
    created = [
        RecognitionProposal(standard=standard, province=province, proposed_by=actor, note=note)
        for province in members if province.pk not in existing
    ]
    for proposal in created:
        proposal.full_clean(validate_unique=False)
    RecognitionProposal.objects.bulk_create(created, ignore_conflicts=True)
    return created


@transaction.atomic
def recognition_decide(
    *,
    actor,
    standard_id: int,
    province_id: int,
    outcome: str,
    rationale: str,
    conditions: str = "",
    evidence_url: str = "",
    evidence_document_id: int | None = None,
    final: bool = True,
    supersedes_id: int | None = None,
) -> RecognitionDecision:
    """Record a province's decision on another province's standard, as a draft (seen by that province only) or
    final. A final decision supersedes the current one, which the reviewer must have seen (``supersedes_id``):
    of two reviewers deciding the same cell at the same moment exactly one wins."""
    require(actor, "review", province_id)
    # The proposal row is the cell's lock: concurrent deciders of one cell queue here.
    proposal = (RecognitionProposal.objects.select_for_update().select_related("standard")
                .filter(standard_id=standard_id, province_id=province_id).first())
    if proposal is None:
        standard = GroupStandard.objects.filter(pk=standard_id).only("province_id").first()
        if standard is not None and standard.province_id == province_id:
            raise ValidationError(OWN_STANDARD)
        raise ValidationError(NOT_PROPOSED)
    standard = proposal.standard
    if standard.province_id == province_id:
        raise ValidationError(OWN_STANDARD)
    if standard.is_ended:
        raise ValidationError(ENDED_STANDARD)
    if standard.status not in RECOGNISABLE:
        raise ValidationError(NOT_RECOGNISABLE % {"status": standard.get_status_display()})
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": _("请选择认可、有条件认可或不予认可。")})

    cell = RecognitionDecision.objects.filter(standard_id=standard_id, province_id=province_id)
    draft = cell.filter(is_final=False).first() or RecognitionDecision(standard=standard, province_id=province_id)
    draft.outcome = outcome
    draft.rationale = rationale
    draft.conditions = conditions if outcome == Outcome.CONDITIONAL else ""
    draft.evidence_url = evidence_url
    draft.evidence_document_id = evidence_document_id
    draft.decided_by = actor
    if not final:
        draft.full_clean(validate_constraints=False)
        draft.save()
        return draft

    current = cell.filter(is_current=True).first()
    if (current.pk if current else None) != supersedes_id:
        raise ValidationError(STALE)
    draft.is_final = True
    draft.is_current = True
    draft.supersedes = current
    draft.decided_at = timezone.now()
    draft.full_clean(validate_constraints=False)
    if current is not None:
        RecognitionDecision.objects.filter(pk=current.pk).update(is_current=False)
    try:
        with transaction.atomic():
            draft.save()
    except IntegrityError as exc:  # the partial unique index: another decider got there first
        raise ValidationError(STALE) from exc
    return draft


@transaction.atomic
def recognition_discard_draft(*, actor, standard_id: int, province_id: int) -> None:
    """Throw away a province's unfinished draft decision."""
    require(actor, "review", province_id)
    RecognitionDecision.objects.filter(standard_id=standard_id, province_id=province_id, is_final=False).delete()


@transaction.atomic
def comment_post(*, actor, standard_id: int, province_id: int, clause: str, text: str, suggestion: str = "") -> StandardComment:
    """Staff or members of another province comment on a clause of a standard in public comment."""
    require(actor, "participate", province_id)
    standard = GroupStandard.objects.filter(pk=standard_id).first()
    if standard is None:
        raise GroupStandard.DoesNotExist
    if standard.province_id == province_id:
        raise ValidationError(OWN_COMMENT)
    if standard.status != Status.COMMENT or not standard.live:
        raise ValidationError(NOT_IN_COMMENT)
    comment = StandardComment(standard=standard, province_id=province_id, author=actor, clause=clause.strip(),
                              text=text.strip(), suggestion=suggestion.strip())
    comment.full_clean()
    comment.save()
    return comment


@transaction.atomic
def comment_dispose(*, actor, comment_id: int, disposition: str, reason: str = "") -> StandardComment:
    """The issuing province records how it handled one comment."""
    comment = StandardComment.objects.select_for_update().select_related("standard").filter(pk=comment_id).first()
    if comment is None:
        raise StandardComment.DoesNotExist
    if not can(actor, "change", comment.standard.province_id):
        raise PermissionDenied
    if disposition not in Disposition.values:
        raise ValidationError({"disposition": _("请选择采纳、部分采纳或不采纳。")})
    comment.disposition = disposition
    comment.disposition_reason = reason.strip()
    comment.disposed_by = actor
    comment.disposed_at = timezone.now()
    comment.full_clean()
    comment.save()
    return comment
