"""Rules of the registry: numbers, lifecycle dates, proposals, decisions, supersession, lapse, region-wide."""
import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from sharing import selectors, services
from sharing.models import GroupStandard, RecognitionDecision, RecognitionProposal
from sharing.models.standards import Status, normalise_number
from tests.sharing.factories import make_standard, propose

EVIDENCE = "https://roundtable.example/minutes/2024-3"


def decide(actor, standard, province, outcome="recognised", **kw):
    kw.setdefault("rationale", "经审查委员会审议")
    kw.setdefault("evidence_url", EVIDENCE)
    return services.recognition_decide(actor=actor, standard_id=standard.pk, province_id=province.pk,
                                       outcome=outcome, **kw)


def test_number_spellings_are_normalised_to_the_em_dash():
    assert normalise_number("T/SAQ 12-2024") == "T/SAQ 12—2024"
    assert normalise_number(" t/saq  12 – 2024 ") == "T/SAQ 12—2024"
    assert normalise_number("GB/T 19001-2016") == "GB/T 19001-2016"


@pytest.mark.django_db
def test_hyphenated_number_is_stored_with_em_dash_and_found_by_either_spelling(province):
    standard = make_standard("SH", number="T/SAQ 7-2023", year=2023)
    standard.refresh_from_db()
    assert standard.number == "T/SAQ 7—2023"
    assert (standard.sequence, standard.year) == (7, 2023)
    assert GroupStandard.objects.get(number="T/SAQ 7-2023") == standard


@pytest.mark.django_db
@pytest.mark.parametrize("number", ["SAQ 7—2023", "T/SAQ—2023", "T/SAQ 7/2023", "T/saq7 2023", ""])
def test_malformed_number_is_refused(number):
    with pytest.raises(ValidationError) as err:
        make_standard("SH", number=number)
    assert "number" in err.value.message_dict
    assert not GroupStandard.objects.exists()


@pytest.mark.django_db
def test_number_must_carry_the_issuing_associations_code():
    with pytest.raises(ValidationError) as err:
        make_standard("SH", number="T/ZJAQ 3—2024")
    assert "T/SAQ" in err.value.message_dict["number"][0]


@pytest.mark.django_db
def test_duplicate_number_is_refused_even_spelled_with_a_hyphen():
    make_standard("SH", number="T/SAQ 5—2024")
    with pytest.raises(ValidationError) as err:
        make_standard("SH", number="T/SAQ 5-2024")
    assert "number" in err.value.message_dict
    assert GroupStandard.objects.count() == 1


@pytest.mark.django_db
def test_implementation_before_publication_is_refused():
    with pytest.raises(ValidationError) as err:
        make_standard("SH", publication_date=datetime.date(2024, 5, 1), implementation_date=datetime.date(2024, 4, 1))
    assert "implementation_date" in err.value.message_dict
    assert not GroupStandard.objects.exists()


@pytest.mark.django_db
def test_implementation_before_publication_is_refused_by_the_database_too():
    from django.db import IntegrityError, transaction

    standard = make_standard("SH")
    with pytest.raises(IntegrityError), transaction.atomic():
        GroupStandard.objects.filter(pk=standard.pk).update(implementation_date=datetime.date(2000, 1, 1))


@pytest.mark.django_db
@pytest.mark.parametrize("ics", ["3.120", "03.12.10", "ICS 03", ""])
def test_malformed_ics_is_refused(ics):
    with pytest.raises(ValidationError) as err:
        make_standard("SH", ics_codes=ics)
    assert "ics_codes" in err.value.message_dict


@pytest.mark.django_db
def test_lifecycle_dates_belong_to_their_status():
    with pytest.raises(ValidationError) as err:
        make_standard("SH", status=Status.WITHDRAWN, withdrawal_date=None)
    assert "withdrawal_date" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        make_standard("SH", status=Status.PUBLISHED, publication_date=None)
    assert "publication_date" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        make_standard("SH", status=Status.REVISED)
    assert "replaced_by" in err.value.message_dict


@pytest.mark.django_db
def test_issuer_proposes_to_every_other_member(staff_of, province):
    standard = make_standard("SH")
    services.standard_propose(actor=staff_of("SH", "editor"), standard_id=standard.pk)
    assert set(standard.proposals.values_list("province__code", flat=True)) == {"JS", "ZJ", "AH", "JX"}
    services.standard_propose(actor=staff_of("SH", "editor"), standard_id=standard.pk)
    assert standard.proposals.count() == 4


@pytest.mark.django_db
def test_issuer_proposes_to_chosen_members_only_and_never_to_itself(staff_of, province):
    standard = make_standard("SH")
    editor = staff_of("SH", "editor")
    services.standard_propose(actor=editor, standard_id=standard.pk, province_ids=[province("JS").pk])
    assert list(standard.proposals.values_list("province__code", flat=True)) == ["JS"]
    with pytest.raises(ValidationError):
        services.standard_propose(actor=editor, standard_id=standard.pk, province_ids=[province("SH").pk])


@pytest.mark.django_db
def test_another_province_cannot_propose_my_standard(staff_of):
    standard = make_standard("SH")
    with pytest.raises(PermissionDenied):
        services.standard_propose(actor=staff_of("ZJ", "moderator"), standard_id=standard.pk)
    assert not RecognitionProposal.objects.exists()


@pytest.mark.django_db
def test_reviewer_decides_for_own_province(staff_of, province):
    standard = make_standard("SH")
    propose(standard)
    decision = decide(staff_of("ZJ", "reviewer"), standard, province("ZJ"), "conditional",
                      conditions="仅适用于制造业企业")
    assert decision.is_current and decision.is_final
    assert selectors.standard_cells(standard)[2].state.key == "conditional"


@pytest.mark.django_db
def test_conditional_recognition_needs_conditions_and_every_decision_needs_evidence(staff_of, province):
    standard = make_standard("SH")
    propose(standard)
    with pytest.raises(ValidationError) as err:
        decide(staff_of("ZJ", "reviewer"), standard, province("ZJ"), "conditional")
    assert "conditions" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        decide(staff_of("ZJ", "reviewer"), standard, province("ZJ"), evidence_url="")
    assert "evidence_url" in err.value.message_dict
    assert not RecognitionDecision.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["editor", "moderator", "member", "coordinator"])
def test_only_reviewers_decide(staff_of, province, role):
    standard = make_standard("SH")
    propose(standard)
    with pytest.raises(PermissionDenied):
        decide(staff_of("ZJ", role), standard, province("ZJ"))
    assert not RecognitionDecision.objects.exists()


@pytest.mark.django_db
def test_decide_refuses_reviewer_of_another_province(staff_of, province):
    standard = make_standard("SH")
    propose(standard)
    with pytest.raises(PermissionDenied):
        decide(staff_of("JS", "reviewer"), standard, province("ZJ"))
    assert not RecognitionDecision.objects.exists()


@pytest.mark.django_db
def test_province_cannot_recognise_its_own_standard(staff_of, province):
    standard = make_standard("SH")
    with pytest.raises(ValidationError) as err:
        decide(staff_of("SH", "reviewer"), standard, province("SH"))
    assert "本省" in err.value.messages[0]
    assert not RecognitionDecision.objects.exists()


@pytest.mark.django_db
def test_decision_on_a_withdrawn_standard_is_refused(staff_of, province):
    standard = make_standard("SH", status=Status.WITHDRAWN)
    propose(standard)
    with pytest.raises(ValidationError) as err:
        decide(staff_of("ZJ", "reviewer"), standard, province("ZJ"))
    assert "废止" in err.value.messages[0]
    assert not RecognitionDecision.objects.exists()


@pytest.mark.django_db
def test_decision_on_an_unproposed_standard_is_refused(staff_of, province):
    standard = make_standard("SH")
    with pytest.raises(ValidationError):
        decide(staff_of("ZJ", "reviewer"), standard, province("ZJ"))


@pytest.mark.django_db
def test_new_decision_supersedes_and_history_stays(staff_of, province):
    standard = make_standard("SH")
    propose(standard)
    reviewer = staff_of("ZJ", "reviewer")
    first = decide(reviewer, standard, province("ZJ"), "declined")
    second = decide(reviewer, standard, province("ZJ"), "recognised", supersedes_id=first.pk)
    first.refresh_from_db()
    assert not first.is_current and first.superseded_by == second
    assert first.outcome == "declined"  # never edited
    history = list(selectors.decision_history(standard, reviewer))
    assert history == [second, first]


@pytest.mark.django_db
def test_stale_decision_is_refused(staff_of, province):
    standard = make_standard("SH")
    propose(standard)
    first = decide(staff_of("ZJ", "reviewer"), standard, province("ZJ"), "declined")
    with pytest.raises(ValidationError) as err:
        decide(staff_of("ZJ", "reviewer"), standard, province("ZJ"), "recognised")  # did not see `first`
    assert "另一位审查员" in err.value.messages[0]
    assert list(RecognitionDecision.objects.values_list("pk", flat=True)) == [first.pk]


@pytest.mark.django_db
def test_draft_decision_is_seen_only_by_own_province(staff_of, province):
    standard = make_standard("SH")
    propose(standard)
    reviewer = staff_of("ZJ", "reviewer")
    draft = decide(reviewer, standard, province("ZJ"), "recognised", final=False, evidence_url="")
    assert not draft.is_final and not draft.is_current
    assert list(selectors.decision_history(standard, reviewer)) == [draft]
    assert list(selectors.decision_history(standard, staff_of("JS", "reviewer"))) == []
    assert list(selectors.decision_history(standard, staff_of("SH", "moderator"))) == []
    assert selectors.standard_cells(standard)[2].state.key == "pending"
    assert list(RecognitionDecision.objects.restrict(staff_of("JS", "reviewer"), "review")) == []
    final = decide(reviewer, standard, province("ZJ"), "recognised")
    assert final.pk == draft.pk and final.is_current
    assert RecognitionDecision.objects.count() == 1


@pytest.mark.django_db
def test_recognitions_lapse_when_the_standard_is_withdrawn(staff_of, province):
    standard = make_standard("SH")
    propose(standard)
    for code in ("JS", "ZJ", "AH", "JX"):
        decide(staff_of(code, "reviewer"), standard, province(code))
    assert selectors.is_region_wide(standard)
    standard.status = Status.WITHDRAWN
    standard.withdrawal_date = datetime.date(2025, 1, 1)
    standard.full_clean()
    standard.save()
    assert {c.state.key for c in selectors.standard_cells(standard)} == {"issuer", "lapsed"}
    assert not selectors.is_region_wide(standard)


@pytest.mark.django_db
def test_recognitions_lapse_when_the_standard_is_replaced(staff_of, province):
    standard = make_standard("SH")
    propose(standard, "ZJ")
    decide(staff_of("ZJ", "reviewer"), standard, province("ZJ"))
    successor = make_standard("SH", year=2025)
    standard.replaced_by = successor
    standard.status = Status.REVISED
    standard.full_clean()
    standard.save()
    assert selectors.standard_cells(standard)[2].state.key == "lapsed"


@pytest.mark.django_db
def test_region_wide_needs_every_other_member_and_follows_a_new_member(staff_of, province):
    from hub.models import Association, Province

    standard = make_standard("SH")
    propose(standard)
    for code in ("JS", "ZJ", "AH"):
        decide(staff_of(code, "reviewer"), standard, province(code))
    assert not selectors.is_region_wide(standard)
    decide(staff_of("JX", "reviewer"), standard, province("JX"), "conditional", conditions="限江西省内企业")
    assert selectors.is_region_wide(standard)
    assert selectors.region_wide_count() == 1
    newcomer = Province.objects.create(code="FJ", name_zh="福建", name_en="Fujian", order=6)
    Association.objects.create(province=newcomer, name_zh="福建省质量协会", name_en="Fujian AQ", standards_code="FJAQ")
    assert not selectors.is_region_wide(standard)
    newcomer.is_member = False
    newcomer.save()
    assert selectors.is_region_wide(standard)


@pytest.mark.django_db
def test_declined_province_keeps_standard_from_region_wide(staff_of, province):
    standard = make_standard("SH")
    propose(standard)
    for code in ("JS", "ZJ", "AH"):
        decide(staff_of(code, "reviewer"), standard, province(code))
    decide(staff_of("JX", "reviewer"), standard, province("JX"), "declined")
    assert not selectors.is_region_wide(standard)


@pytest.mark.django_db
def test_matrix_contents(staff_of, province):
    a = make_standard("SH")
    b = make_standard("ZJ")
    ended = make_standard("JS", status=Status.WITHDRAWN)
    propose(a)
    propose(b, "SH")
    decide(staff_of("JS", "reviewer"), a, province("JS"))
    decide(staff_of("ZJ", "reviewer"), a, province("ZJ"), "declined")
    decide(staff_of("SH", "reviewer"), b, province("SH"), "conditional", conditions="仅限试点企业")
    data = selectors.matrix({})
    grid = {row.standard.pk: [c.state.key for c in row.cells] for row in data["rows"]}
    #                SH           JS            ZJ          AH         JX
    assert grid[a.pk] == ["issuer", "recognised", "declined", "pending", "pending"]
    assert grid[b.pk] == ["conditional", "none", "issuer", "none", "none"]
    assert grid[ended.pk] == ["none", "issuer", "none", "none", "none"]
    summary = {s["province"].code: s for s in data["summary"]}
    assert summary["SH"]["issued"] == 1 and summary["SH"]["conditional"] == 1
    assert summary["JS"]["recognised"] == 1 and summary["AH"]["pending"] == 1
    only_zj = selectors.matrix({"province": "ZJ"})
    assert [row.standard.pk for row in only_zj["rows"]] == [b.pk]
    pending = selectors.matrix({"recognition": "pending"})
    assert [row.standard.pk for row in pending["rows"]] == [a.pk]


@pytest.mark.django_db
def test_comment_and_disposition(staff_of, province):
    standard = make_standard("SH", status=Status.COMMENT)
    comment = services.comment_post(actor=staff_of("ZJ", "member"), standard_id=standard.pk,
                                    province_id=province("ZJ").pk, clause="5.2", text="建议明确抽样比例")
    with pytest.raises(PermissionDenied):
        services.comment_dispose(actor=staff_of("ZJ", "moderator"), comment_id=comment.pk, disposition="adopted")
    with pytest.raises(ValidationError):
        services.comment_dispose(actor=staff_of("SH", "editor"), comment_id=comment.pk, disposition="not_adopted")
    services.comment_dispose(actor=staff_of("SH", "editor"), comment_id=comment.pk, disposition="partly",
                             reason="抽样比例在附录B中给出")
    comment.refresh_from_db()
    assert comment.disposition == "partly"


@pytest.mark.django_db
def test_comments_only_from_other_provinces_and_only_in_public_comment(staff_of, province):
    open_one = make_standard("SH", status=Status.COMMENT)
    with pytest.raises(ValidationError):
        services.comment_post(actor=staff_of("SH", "member"), standard_id=open_one.pk,
                              province_id=province("SH").pk, clause="1", text="x")
    with pytest.raises(PermissionDenied):
        services.comment_post(actor=staff_of("JS", "member"), standard_id=open_one.pk,
                              province_id=province("ZJ").pk, clause="1", text="x")
    closed = make_standard("SH")
    with pytest.raises(ValidationError):
        services.comment_post(actor=staff_of("JS", "member"), standard_id=closed.pk,
                              province_id=province("JS").pk, clause="1", text="x")
