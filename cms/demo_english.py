"""English versions of the main demo pages (Wagtail translations, hub.translations): the home page, every province's
section, three general pages, the 质量月 campaign, a few events and achievements; one more English version is left
as a draft, which the public never sees. Everything else shows the Chinese text with the fallback marker.

Each translation is published by the staff of the province that owns it (the secretariat for roundtable pages).
"""
from __future__ import annotations

import json

from django.contrib.auth import get_user_model

ORDER = 35  # after the events and achievements (cms.demo_events)

HOME = {
    "title": "Yangtze River Delta Quality Associations Roundtable",
    "intro": ("<p>The roundtable of the heads of the quality associations of Shanghai, Jiangsu, Zhejiang, Anhui and "
              "Jiangxi works on the principle of “government guidance, associations in collaboration, enterprises "
              "taking part”. It runs four mechanisms — sharing quality-innovation achievements, sharing quality "
              "professionals, mutual recognition of group standards and coordinated evaluation and certification — "
              "and joint activities such as Quality Month.</p>"),
    "body": [
        ("heading", "Priorities for 2026"),
        ("paragraph", ("<p>The Shanghai Association for Quality hosts the roundtable this year. Three things come "
                       "first: an expert pool shared by the five associations, with experts lent across provinces, "
                       "drawn at random and subject to conflict-of-interest rules; a review of every association's "
                       "group standards for mutual recognition, with the first list of recognised standards by the "
                       "end of the year; and a travelling “Yangtze River Delta Quality Lecture Hall” during Quality "
                       "Month in September.</p>")),
    ],
}

SECTIONS = {
    "SH": ("Shanghai Association for Quality", "Events, achievements and group standards of the Shanghai Association "
           "for Quality. We host the roundtable in 2026 and lead the joint Quality Month activities."),
    "JS": ("Jiangsu Association for Quality", "News of the Jiangsu Association for Quality. Our QC circles reach "
           "a great many enterprises; sister associations are welcome to exchange QC results and experts with us."),
    "ZJ": ("Zhejiang Association for Quality", "News of the Zhejiang Association for Quality, with long practice in "
           "promoting the performance excellence model and “Made in Zhejiang” group standards."),
    "AH": ("Anhui Association for Quality", "News of the Anhui Association for Quality. We work on quality "
           "improvement in manufacturing and welcome experts from every province as quality award reviewers."),
    "JX": ("Jiangxi Association for Quality", "News of the Jiangxi Association for Quality. We take an active part "
           "in the Delta's quality cooperation, in the mutual recognition of group standards and in the exchange of "
           "quality professionals."),
}

GENERAL = {
    "about": {
        "title": "About the roundtable",
        "search_description": "How the roundtable of the five quality associations came about, its members and "
                              "how it works.",
        "intro": "<p>The roundtable is where the heads of the five quality associations meet regularly; the host "
                 "association of the year convenes the meetings and follows up the decisions.</p>",
        "body": [
            ("heading", "Origins"),
            ("paragraph", "<p>In 2020 the Shanghai Association for Quality proposed a standing roundtable of the "
                          "heads of the Yangtze River Delta's quality associations; the associations of Jiangsu, "
                          "Zhejiang, Anhui and Jiangxi joined at once. The roundtable meets at least twice a year, "
                          "hosted in turn by each association; its minutes are edited together on this platform "
                          "and every decision is followed up.</p>"),
            ("heading", "Members"),
            ("paragraph", "<ul><li>Shanghai Association for Quality</li><li>Jiangsu Association for Quality</li>"
                          "<li>Zhejiang Association for Quality</li><li>Anhui Association for Quality</li>"
                          "<li>Jiangxi Association for Quality</li></ul>"),
            ("callout", {"title": "Contact the secretariat", "text": "<p>The secretariat sits with the host "
                         "association: secretariat@roundtable.invalid.</p>"}),
        ],
    },
    "mechanisms": {
        "title": "How we cooperate",
        "search_description": "Sharing quality-innovation achievements and quality professionals, mutual "
                              "recognition of group standards, coordinated evaluation and certification.",
        "intro": "<p>Four mechanisms join the associations' achievements, experts and standards into one network, "
                 "so that enterprises in the region travel less and gain more.</p>",
        "body": [
            ("heading", "Sharing quality-innovation achievements"),
            ("paragraph", "<p>QC-circle results, quality-improvement projects, performance-excellence practice, "
                          "lean and six-sigma projects and on-site management cases are published by one "
                          "association; the others read them, reuse them and report back where they were "
                          "adopted.</p>"),
            ("heading", "Sharing quality professionals"),
            ("paragraph", "<p>Each association opens its expert pool to the region. Experts serve as quality "
                          "award reviewers, judges of QC presentations, trainers and diagnosticians for "
                          "enterprises; panels are formed by a recorded random draw with conflict-of-interest "
                          "avoidance.</p>"),
            ("heading", "Mutual recognition of group standards"),
            ("paragraph", "<p>The group standards each association issues (numbered like T/SHAQ 1—2024) are "
                          "reviewed by the other associations, which decide whether they recognise them; a "
                          "standard every member recognises is recognised region-wide.</p>"),
            ("heading", "Coordinated evaluation and certification"),
            ("paragraph", "<p>Joint review panels and shared evaluation criteria: the associations act as one in "
                          "drawing experts, deciding on recognition and accepting each other's results.</p>"),
        ],
    },
    "quality-month-2026": {
        "title": "Joint Quality Month 2026 in the Yangtze River Delta",
        "search_description": "Quality Lecture Hall, QC exchange and experts visiting enterprises: the five "
                              "associations' joint programme for Quality Month in September.",
        "intro": "<p>This September is the 49th national Quality Month. The five quality associations hold a "
                 "series of joint activities; member enterprises are welcome to register.</p>",
        "body": [
            ("heading", "Programme"),
            ("table", [["Date", "Activity", "Lead association"],
                       ["5 September", "Quality Month opening and Quality Lecture Hall (Shanghai)",
                        "Shanghai Association for Quality"],
                       ["12 September", "Cross-province exchange of QC-circle results",
                        "Jiangsu Association for Quality"],
                       ["19 September", "Workshop on the mutual recognition of group standards",
                        "Zhejiang Association for Quality"],
                       ["26 September", "Quality experts visit enterprises",
                        "Anhui and Jiangxi Associations for Quality"]]),
            ("paragraph", "<p>Every activity takes online registrations. For the enterprise visits, experts are "
                          "drawn at random from the shared pool; enterprises may send their questions in "
                          "advance.</p>"),
        ],
    },
}
#: A translation written but not yet published: the public keeps seeing the Chinese page with the marker.
DRAFT = ("expert-pool-rules", {
    "title": "Rules of the shared expert pool (trial)",
    "intro": "<p>Draft English version, under review.</p>",
})

#: English text of the demo events by (category slug, province code): title, summary, place.
EVENTS = {
    ("quality-month", "SH"): ("Shanghai Quality Month: open day at member enterprises",
                              "Member enterprises open their production sites and show their quality improvements.",
                              "Production sites of Shanghai member enterprises"),
    ("quality-lecture", "SH"): ("Shanghai Quality Lecture Hall: quality management in the digital age",
                                "Experts explain quality-management methods and cases of digital transformation.",
                                ""),
    ("mass-quality", "JS"): ("Jiangsu meeting on mass quality-improvement activities",
                             "Exchange of experience with QC circles, trusted-quality teams and other mass "
                             "quality activities.", "Conference centre of the Jiangsu Association for Quality"),
    ("international", "ZJ"): ("Zhejiang international quality exchange seminar",
                              "Exchange with quality organisations abroad on the performance excellence model and "
                              "quality award assessment.", "Zhejiang International Conference Centre"),
}
#: English text of the first (public, with body text) achievement of these provinces: title, summary, organisation.
ACHIEVEMENTS = {
    "SH": ("Shanghai Shenjiang Machinery: fewer sand holes in engine blocks",
           "A QC circle used cause-and-effect analysis to cut the sand-hole defect rate from 2.1% to 0.6%.",
           "Shanghai Shenjiang Machinery Co., Ltd."),
    "JS": ("Jiangsu Sunan Precision Casting: shorter changeovers on the appliance assembly line",
           "Single-minute exchange of die cut changeover time from 45 to 12 minutes.",
           "Jiangsu Sunan Precision Casting Co., Ltd."),
}
ACHIEVEMENT_BODY = [
    ("heading", "Background"),
    ("paragraph", "<p>The team's survey of the current state showed the problem concentrated in two key "
                  "operations.</p>"),
    ("heading", "Causes and countermeasures"),
    ("paragraph", "<p>Fishbone and relation diagrams found eight end causes; on-site checks confirmed three main "
                  "causes, which a countermeasure plan addressed one by one in PDCA cycles.</p>"),
    ("heading", "Results and standardisation"),
    ("paragraph", "<p>Every target was met; the effective measures are now part of the company's work "
                  "instructions and have been adopted by sister companies.</p>"),
]


def _stream(blocks):
    return json.dumps([{"type": kind, "value": value} for kind, value in blocks])


def _user(username):
    return get_user_model().objects.filter(username=username).first()


def _english(page, *, publisher, **text):
    """The page's English translation with ``text``, published by ``publisher`` (None: left as a draft)."""
    from cms.translations import content_locales, translation_of

    locale = next(locale for locale in content_locales() if locale.language_code == "en")
    translated = translation_of(page, locale, **text)
    translated.owner = publisher or translated.owner
    revision = translated.save_revision(user=publisher)
    if publisher is not None:
        # A province's moderator publishes through its page permissions on the English section (provisioning);
        # the roundtable's own pages belong to no province, and the secretariat publishes them as cms.demo does.
        revision.publish(user=publisher, skip_permission_checks=publisher.username == "secretariat")
    return translated


def seed(ctx):
    from cms.achievements import AchievementPage
    from cms.events import CampaignPage, EventPage
    from cms.models import ContentPage, HomePage, ProvinceSectionPage

    secretariat = _user("secretariat")
    home = HomePage.objects.get(locale__language_code="zh-hans")
    _english(home, publisher=secretariat, title=HOME["title"], intro=HOME["intro"], body=_stream(HOME["body"]))
    count = 1
    for section in ProvinceSectionPage.objects.filter(province__isnull=False).select_related("province"):
        code = section.province.code
        if code not in SECTIONS:
            continue
        title, intro = SECTIONS[code]
        _english(section, publisher=_user(f"{code.lower()}-moderator"), title=title, seo_title=title,
                 intro=f"<p>{intro}</p>")
        count += 1
    for slug, text in GENERAL.items():
        page = ContentPage.objects.filter(slug=slug, locale__language_code="zh-hans").first()
        if page is not None:
            owner = page.get_parent().specific
            publisher = (_user(f"{owner.province.code.lower()}-moderator")
                         if isinstance(owner, ProvinceSectionPage) else secretariat)
            _english(page, publisher=publisher, **{**text, "body": _stream(text["body"])})
            count += 1
    draft = ContentPage.objects.filter(slug=DRAFT[0], locale__language_code="zh-hans").first()
    if draft is not None:
        _english(draft, publisher=None, **DRAFT[1])
    campaign = CampaignPage.objects.filter(locale__language_code="zh-hans").select_related("province").first()
    if campaign is not None:
        _english(campaign, publisher=_user(f"{campaign.province.code.lower()}-moderator"),
                 title=f"Yangtze River Delta Quality Month {campaign.start_date.year}",
                 summary="The five quality associations hold Quality Month together: open days, the Quality "
                         "Lecture Hall and mass quality-improvement activities at the same time.")
        count += 1
    for (category, code), (title, summary, place) in EVENTS.items():
        event = (EventPage.objects.filter(locale__language_code="zh-hans", category__slug=category,
                                          province__code=code, co_organisers__isnull=True, live=True)
                 .order_by("pk").first())
        if event is not None:
            _english(event, publisher=_user(f"{code.lower()}-moderator"), title=title, summary=summary,
                     place=place or event.place)
            count += 1
    for code, (title, summary, organisation) in ACHIEVEMENTS.items():
        candidates = AchievementPage.objects.filter(locale__language_code="zh-hans", province__code=code,
                                                    visibility="public", live=True).order_by("pk")
        achievement = next((page for page in candidates if len(page.body)), None)
        if achievement is not None:
            _english(achievement, publisher=_user(f"{code.lower()}-moderator"), title=title, summary=summary,
                     organisation=organisation, body=_stream(ACHIEVEMENT_BODY))
            count += 1
    ctx.say(f"{count} English versions of pages published, 1 left as a draft")
