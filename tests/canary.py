"""The read canary: unique markers planted in every kind of non-public material of one province, and every URL the
hub serves, enumerated from the URL resolver, filled with the planted objects' ids.

``plant()`` builds the material; ``every_url(planted)`` lists the URLs. A pattern whose parameters this module cannot
fill fails loudly (``UnfilledPattern``): a new view is covered the day it is added, or its author says here why it
needs no check (``ALLOWED_UNCHECKED``).
"""
from __future__ import annotations

import datetime
import itertools
import re
import uuid
import zlib
from dataclasses import dataclass, field

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

OWNER = "SH"
#: Every actor of the permission matrix that is not the owning province: (label, province code, role).
ACTORS = (
    [(f"AH {role}", "AH", role) for role in ("editor", "moderator", "reviewer", "coordinator", "member")]
    + [("secretariat", None, "secretariat"), ("outsider", None, None), ("anonymous", None, "anonymous")]
)
#: Actors who see more than an expert's public profile (staff of any province): they may read availability.
STAFF_ACTORS = {"AH editor", "AH moderator", "AH reviewer", "AH coordinator"}
#: Roundtable staff and members (any province, the secretariat): they may download non-public standard texts.
ROUNDTABLE_ACTORS = STAFF_ACTORS | {"AH member", "secretariat"}

#: Patterns deliberately not requested, with the reason. Everything else must be filled and checked.
ALLOWED_UNCHECKED = {
    "accounts/logout/": "ends the actor's session; shows nothing",
    "admin/logout/": "ends the actor's session; shows nothing",
    "admin/password_reset/confirm/<uidb64>/<token>/": "needs a valid reset token; shows only a password form",
    "accounts/password/reset/<uidb64>/<token>/": "needs a valid reset token; shows only a password form",
    "admin/password_reset/complete/": "static confirmation text",
    "admin/password_reset/done/": "static confirmation text",
    "healthz": "database status only",
    "admin/editing-sessions/ping/<str:app_label>/<str:model_name>/<str:object_id>/<int:session_id>/":
        "POST only (editing-session heartbeat)",
    "admin/editing-sessions/release/<int:session_id>/": "POST only (editing-session release)",
    "admin/jsi18n/": "JavaScript translation catalogue",
    "admin/sprite/": "SVG icon sprite",
    "admin/failwhale/": "Wagtail's deliberate error page (raises by design)",
}


def _marker(kind: str) -> str:
    # Lower-case letters and digits only: one word for the search tokenizers, unchanged by HTML or JSON escaping.
    return f"canary{kind}{uuid.uuid4().hex[:10]}"


@dataclass
class Planted:
    markers: dict[str, str] = field(default_factory=dict)  # kind -> marker string
    allowed: dict[str, set[str]] = field(default_factory=dict)  # kind -> actor labels who may read it
    ids: dict[str, list] = field(default_factory=dict)  # what fills URL parameters
    page_paths: list[str] = field(default_factory=list)  # site URLs of the planted pages
    document_urls: list[str] = field(default_factory=list)
    private_images: list = field(default_factory=list)
    availability_dates: tuple[datetime.date, datetime.date] | None = None

    def forbidden_for(self, label: str) -> dict[str, str]:
        return {kind: marker for kind, marker in self.markers.items() if label not in self.allowed.get(kind, set())}


def _document(collection, title: str, marker: str):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from wagtail.documents import get_document_model

    doc = get_document_model().objects.create(title=title, collection=collection)
    content = b"%PDF-1.4\n% " + marker.encode() + b"\n%%EOF\n"
    doc.file.save(f"{marker}.pdf", SimpleUploadedFile(f"{marker}.pdf", content), save=True)
    return doc


def _image(collection, title: str):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image as PILImage
    from wagtail.images import get_image_model

    buffer = io.BytesIO()
    PILImage.new("RGB", (8, 8), "red").save(buffer, "PNG")
    return get_image_model().objects.create(title=title, collection=collection, width=8, height=8,
                                            file=SimpleUploadedFile("cover.png", buffer.getvalue()))


def plant() -> Planted:
    """Every kind of non-public material of Shanghai, each carrying its own marker."""
    from django.contrib.auth.models import Group
    from wagtail.models import PageViewRestriction

    from cms.events import EventAttachment, Registration
    from expert_pool.models import Availability
    from hub.meetings import notes
    from hub.meetings import services as meeting_services
    from hub.models import Participant, Province
    from hub.roles import ROLES, group_name
    from hub.services.provisioning import province_collection
    from sharing.models import RecognitionDecision
    from tests.cms.factories import content_page, event
    from tests.conftest import make_user
    from tests.expert_pool.factories import make_expert
    from tests.hub.meetings.factories import MeetingFactory
    from tests.sharing.factories import make_standard, propose

    p = Planted()
    sh = Province.objects.get(code=OWNER)
    collection = province_collection(sh)
    m = {kind: _marker(kind) for kind in (
        "draftpage", "revision", "membersonly", "standardtext", "draftfile", "draftimage", "draftstandard",
        "draftdecision", "expertphone", "expertemail", "registration", "notes", "minutes", "draftprogramme",
        "application", "scorecomment", "attachment", "drafttranslation", "memberstranslation")}
    p.markers = dict(m)
    p.markers["expertphone"] = "1390" + str(uuid.uuid4().int)[:7]
    section = sh.section_page

    draft = content_page(section, f"草稿 {m['draftpage']}", intro=f"<p>{m['draftpage']}</p>", publish=False)
    live = content_page(section, "已发布的页面", intro="<p>公开内容</p>")
    live.title = f"修订 {m['revision']}"
    live.intro = f"<p>{m['revision']}</p>"
    live.save_revision()
    participants = [Group.objects.get(name=group_name(OWNER, role)) for role in ROLES if "participate" in role.actions]
    members = content_page(section, f"会员内参 {m['membersonly']}", intro=f"<p>{m['membersonly']}</p>")
    restriction = PageViewRestriction.objects.create(page=members, restriction_type=PageViewRestriction.GROUPS)
    restriction.groups.set(participants)

    # English versions (hub.translations): a draft one of a public page, and a published one of the members-only
    # page whose copy lost its restriction. Neither may show anywhere, in either language.
    from wagtail.models import Locale

    from cms.translations import translation_of

    english = Locale.objects.get(language_code="en")
    draft_translation = translation_of(live, english, title=f"Draft {m['drafttranslation']}",
                                       intro=f"<p>{m['drafttranslation']}</p>")
    draft_translation.save_revision()
    members_translation = translation_of(members, english, title=f"Members {m['memberstranslation']}",
                                         intro=f"<p>{m['memberstranslation']}</p>")
    members_translation.save_revision().publish()
    PageViewRestriction.objects.filter(page=members_translation).delete()

    text = _document(collection, f"全文 {m['standardtext']}", m["standardtext"])
    standard = make_standard(sh, full_text=text, text_public=False)
    draft_standard = make_standard(sh, status="drafting", live=False, title_zh=f"起草 {m['draftstandard']}")

    draft_file = _document(collection, f"议程 {m['draftfile']}", m["draftfile"])
    picture = _image(collection, f"封面 {m['draftimage']}")
    draft_event = event(sh, publish=False, title=f"活动草稿 {m['draftfile']}", cover_image=picture)
    EventAttachment.objects.create(page=draft_event, document=draft_file)

    public_event = event(sh, title="公开活动")
    registration = Registration.objects.create(event=public_event, name=f"报名 {m['registration']}",
                                               email=f"{m['registration']}@example.test",
                                               phone="13800000000", organisation=m["registration"])

    js_standard = make_standard("JS")
    propose(js_standard, OWNER)
    evidence = _document(collection, f"依据 {m['draftdecision']}", m["draftdecision"])
    decision = RecognitionDecision.objects.create(standard=js_standard, province=sh, outcome="recognised",
                                                  rationale=m["draftdecision"], evidence_document=evidence,
                                                  is_final=False)

    expert_user = make_user(province_code=None, role=None)
    expert = make_expert(sh, name="上海专家", user=expert_user, phone=p.markers["expertphone"],
                         email=f"{m['expertemail']}@example.test")
    start = datetime.date(2033, 7, 19)
    availability = Availability.objects.create(expert=expert, start=start, end=start + datetime.timedelta(days=2))
    # The filter asks for a day inside the range but not its first, so the marker dates are never echoed back.
    p.availability_dates = (start + datetime.timedelta(days=1), start + datetime.timedelta(days=1))
    for kind, text_ in (("availability1", "2033-07-19"), ("availability2", "2033年7月19日"),
                        ("availability3", "7月19日")):
        p.markers[kind] = text_

    sh_editor = make_user(province_code=OWNER, role="editor")
    meeting = MeetingFactory(title="上海内部会议", host=sh)
    Participant.objects.create(meeting=meeting, group=participants[0], role="editor")
    update = notes.seed_document([{"t": "p", "text": m["notes"]}])
    notes.append_updates(meeting_id=meeting.pk, items=[
        notes.Pending(update, sh_editor.pk, frozenset(notes.update_clients(update)))])
    closed = MeetingFactory(title="上海已结束会议", host=sh)
    update = notes.seed_document([{"t": "p", "text": m["minutes"]}])
    notes.append_updates(meeting_id=closed.pk, items=[
        notes.Pending(update, sh_editor.pk, frozenset(notes.update_clients(update)))])
    minutes = meeting_services.meeting_close(actor=sh_editor, meeting_id=closed.pk)

    evaluation = _plant_evaluation(sh, m)
    attachment = _document(collection, f"申报附件 {m['attachment']}", m["attachment"])
    from sharing.models.evaluations import ApplicationAttachment

    ApplicationAttachment.objects.create(application_id=evaluation["application"][0], document=attachment)

    p.allowed = {"standardtext": ROUNDTABLE_ACTORS,
                 **{f"availability{i}": STAFF_ACTORS for i in (1, 2, 3)}}
    p.ids = {
        "page": [draft.pk, live.pk, members.pk, draft_event.pk, draft_translation.pk, members_translation.pk],
        "revision": [live.latest_revision_id, draft.latest_revision_id],
        "standard": [draft_standard.pk, standard.pk],
        "decision_standard": [js_standard.pk],
        "document": [text.pk, draft_file.pk, evidence.pk, attachment.pk],
        "image": [picture.pk],
        "event": [draft_event.pk, public_event.pk],
        "registration": [registration.pk],
        "registration_token": [str(registration.token)],
        "expert": [expert.pk],
        "availability": [availability.pk],
        "meeting": [meeting.pk, closed.pk],
        "minutes": [minutes.pk],
        "section": [section.pk],
        "collection": [collection.pk],
        "decision": [decision.pk],
        **evaluation,
    }
    p.page_paths = [page.url_path for page in (draft, live, members, draft_event)]
    p.document_urls = [doc.url for doc in (text, draft_file, evidence, attachment)]
    p.private_images = [picture]
    return p


def _plant_evaluation(sh, m) -> dict:
    """Shanghai's draft programme, a Shanghai enterprise's application to a programme in review (its title and
    summary carry a marker) and a reviewer's score comment: none of it is any other actor's to read."""
    import datetime as dt

    from django.utils import timezone

    from sharing.models.evaluations import (
        Application,
        Criterion,
        Enterprise,
        Programme,
        ResultLevel,
        Score,
        ScoreSheet,
        Seat,
    )
    from tests.conftest import make_user
    from tests.expert_pool.factories import make_expert

    now = timezone.now()
    dates = {"apply_opens": (now - dt.timedelta(days=30)).date(), "apply_closes": now - dt.timedelta(days=20),
             "check_closes": (now - dt.timedelta(days=15)).date(), "review_closes": now + dt.timedelta(days=10),
             "announce_closes": now + dt.timedelta(days=20), "publish_on": (now + dt.timedelta(days=21)).date()}
    draft = Programme.objects.create(province=sh, title=f"草稿项目 {m['draftprogramme']}", kind="qc",
                                     summary=m["draftprogramme"], **dates)
    review = Programme.objects.create(province=sh, title="评审中的项目", kind="qc", stage="review", **dates)
    criterion = Criterion.objects.create(programme=review, name="评价项", max_points=100)
    ResultLevel.objects.create(programme=review, name="一等", min_total=80)
    enterprise = Enterprise.objects.create(province=sh, user=make_user(), name="上海申报企业",
                                           credit_code="91310000CANARY0001", status="confirmed")
    application = Application.objects.create(programme=review, enterprise=enterprise, province=sh,
                                             title=f"申报 {m['application']}", summary=m["application"],
                                             status="accepted", receipt="SBCANARY01")
    reviewer = make_expert(sh, user=make_user())
    seat = Seat.objects.create(programme=review, expert=reviewer, role="principal", order=0)
    sheet = ScoreSheet.objects.create(application=application, seat=seat, status="submitted", submitted_at=now)
    Score.objects.create(sheet=sheet, criterion=criterion, points=90, comment=m["scorecomment"])
    return {"programme": [draft.pk, review.pk], "application": [application.pk], "sheet": [sheet.pk],
            "result": [1]}


# --- URL enumeration -------------------------------------------------------------------------------------------

class UnfilledPattern(AssertionError):
    pass


def url_patterns():
    """(route, name) of every URL pattern, resolvers walked recursively; route is the concatenated pattern text."""
    found = []

    def walk(patterns, prefix):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + [pattern.pattern])
            elif isinstance(pattern, URLPattern):
                found.append((prefix + [pattern.pattern], pattern.name))

    walk(get_resolver().url_patterns, [])
    return found


def _route_text(parts) -> str:
    text = ""
    for part in parts:
        text += str(part) if isinstance(part, RoutePattern) else f"«{part._regex}»"
    return text


_PARAM = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")


def _values_for(name: str, route: str, p: Planted) -> list[str]:
    """The values a parameter takes, chosen by its name and the route it sits in; KeyError if unknown."""
    ids = p.ids
    if name in ("pk", "object_id"):
        for prefix, key in (("standards/comments", "decision"), ("standards/", "standard"), ("events/registrations", "registration"),
                            ("events/", "event"), ("achievements/", "page"), ("meetings/", "meeting"),
                            ("experts/me/availability", "availability"), ("experts/", "expert"),
                            ("admin/snippets/sharing/groupstandard", "standard"),
                            ("admin/snippets/choose/sharing/groupstandard", "standard"),
                            ("admin/documents", "document"), ("admin/images", "image"),
                            ("admin/api/main/«^documents", "document"), ("admin/api/main/«^images", "image"),
                            ("admin/pages", "page"), ("admin/api/main/«^pages", "page"),
                            ("admin/collections", "collection"), ("evaluations/", "programme")):
            if route.startswith(prefix):
                return [str(v) for v in ids[key]]
        return [str(ids["page"][0])]  # users, groups, sites, workflows…: any id; nothing planted there
    table = {
        "page_id": ids["page"], "parent_page_id": ids["page"] + ids["section"], "page_to_move_id": ids["page"],
        "destination_id": ids["section"], "page_pk": ids["page"], "revision_id": ids["revision"],
        "image_id": ids["image"], "document_id": ids["document"], "doc_id": ids["document"],
        "collection_id": ids["collection"], "item_id": [1], "participant_id": [1], "comment_id": [1],
        "workflow_state_id": [1], "task_state_id": [1], "task_id": [1], "workflow_pk": [1], "workflow_id": [1],
        "uploaded_file_id": [1], "restriction_id": [1], "page_view_restriction_id": [1], "redirect_id": [1],
        "session_id": [1], "slug": ["quality-month"], "code": [OWNER],
        "other": ids["expert"], "application_id": ids["application"], "sheet_id": ids["sheet"], "result_id": ids["result"],
        "token": [str(uuid.uuid4())],  # a visitor without the registrant's e-mailed link
        "fmt": ["md", "docx", "pdf", "xlsx", "csv"], "step": ["accept", "decline", "complete"],
        "app_label": ["sharing"], "model_name": ["groupstandard"], "app_name": ["sharing"],
        "content_type_app_name": ["cms"], "content_type_model_name": ["contentpage"], "action_name": ["move"],
        "action": ["delete"], "filter_spec": ["original"], "revision_id_a": ["live", "earliest"],
        "revision_id_b": ["latest"],
    }
    return [str(v) for v in table[name]]


#: Regex patterns (re_path), by their regex: how to fill them.
def _regex_urls(regex: str, prefix: str, p: Planted) -> list[str] | None:
    if regex == r"^((?:[\w\-]+/)*)$":  # Wagtail's page serving
        return [prefix + path.split("/", 2)[-1] for path in p.page_paths] + [prefix]
    if regex == r"^(\d+)/(.*)$":  # Wagtail's document serving
        return list(p.document_urls)
    if "revision_id_a" in regex:
        base = regex.split("(?P<pk>", 1)[0].lstrip("^")
        key = "standard" if "history" in regex else "page"
        return [f"{prefix}{base}{pk}/revisions/compare/live...latest/" for pk in p.ids[key]]
    if regex.startswith("^") and "(" not in regex:
        return [prefix + regex.strip("^$")]
    if regex == "^media/(?P<path>.*)$":
        return []  # checked through hub.media directly (DEBUG only)
    return None


def every_url(p: Planted) -> list[str]:
    """Every URL to request: each pattern filled with the planted ids (cycling through the values of each
    parameter), plus search and chooser queries for every marker."""
    return list(every_url_by_source(p))


def every_url_by_source(p: Planted) -> dict[str, str]:
    """``every_url`` with where each URL comes from: the URL pattern's route, or the query form with the marker's
    kind in place of the marker. The source does not depend on the planted ids or markers, so every process that
    plants its own material splits the URLs the same way (``chunk``)."""
    sourced: list[tuple[str, str]] = []
    for parts, _name in url_patterns():
        route = _route_text(parts)
        if route in ALLOWED_UNCHECKED or route.startswith("static/"):
            continue
        if "«" in route:
            head, _sep, rest = route.partition("«")
            regex, _sep, tail = rest.partition("»")
            if _PARAM.search(head) or "«" in tail:
                raise UnfilledPattern(f"cannot fill {route!r}: add it to tests/canary.py")
            filled = _regex_urls(regex, head, p)
            if filled is None:
                if not re.search(r"\(", regex):
                    filled = [head + regex.strip("^$") + tail]
                else:
                    raise UnfilledPattern(f"cannot fill regex pattern {route!r}: add it to tests/canary.py")
            sourced.extend((route, "/" + u.lstrip("/") if not u.startswith("/") else u) for u in filled)
            continue
        names = [match.group("name") for match in _PARAM.finditer(route)]
        if not names:
            sourced.append((route, "/" + route))
            continue
        try:
            values = {name: _values_for(name, route, p) for name in names}
        except KeyError as exc:
            raise UnfilledPattern(f"cannot fill parameter {exc} of {route!r}: add it to tests/canary.py") from exc
        rounds = max(len(v) for v in values.values())
        for i in range(rounds):
            url = _PARAM.sub(lambda match, i=i, values=values: values[match.group("name")][i % len(values[match.group("name")])],
                             route)
            sourced.append((route, "/" + url))
    queries = [(f"/search/?q=<{kind}>", f"/search/?q={marker}") for kind, marker in p.markers.items()]
    for kind, marker in p.markers.items():
        queries += [(f"{base}?q=<{kind}>", f"{base}?q={marker}") for base in (
            "/admin/choose-page/search/", "/admin/pages/search/", "/admin/documents/chooser/results/",
            "/admin/images/chooser/results/", "/admin/snippets/choose/sharing/groupstandard/results/",
            "/admin/documents/", "/admin/images/", "/admin/snippets/sharing/groupstandard/", "/experts/",
            "/experts/api/experts.json", "/admin/pages/search/results/", "/standards/", "/events/", "/achievements/")]
    start, end = p.availability_dates
    queries += [(f"{base}?available_from=<day>&available_to=<day>", f"{base}?available_from={start}&available_to={end}")
                for base in ("/experts/", "/experts/api/experts.json", "/experts/export.xlsx")]
    by_source: dict[str, str] = {}
    for source, url in itertools.chain(sourced, queries):
        by_source.setdefault(url, source)
    return by_source


def chunk(by_source: dict[str, str], index: int, chunks: int) -> list[str]:
    """The URLs of one of ``chunks`` parts, chosen by a stable hash of each URL's source: the parts are disjoint,
    together they are every URL, and a source lands in the same part in every process (pytest-xdist workers plant
    their own material with their own ids)."""
    return [url for url, source in by_source.items() if zlib.crc32(source.encode()) % chunks == index]
