"""Demo events, a 质量月 campaign, registrations in every state, achievements and adoption records."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

ORDER = 30

#: (category slug, title, summary, mode, place) per province code; {p} is the province's short name.
EVENTS = [
    ("quality-month", "{p}质量月企业质量开放日", "组织会员企业开放生产现场，展示质量改进成果。", "in_person", "{p}会员企业生产基地"),
    ("mass-quality", "{p}群众性质量提升活动推进会", "交流QC小组、质量信得过班组等群众性质量活动经验。", "hybrid", "{p}质量协会会议中心"),
    ("quality-lecture", "{p}质量大讲堂：数字化质量管理", "邀请专家讲解数字化转型中的质量管理方法与案例。", "online", ""),
    ("international", "{p}国际质量交流研讨会", "与海外质量组织交流卓越绩效模式与质量奖评审实践。", "hybrid", "{p}国际会议中心"),
    ("training", "{p}六西格玛绿带培训班", "为期三天的六西格玛绿带系统培训，含案例实操。", "in_person", "{p}质量协会培训教室"),
    ("roundtable", "{p}长三角质协负责人圆桌会议筹备会", "筹备本年度圆桌会议议题与成果分享安排。", "in_person", "{p}质量协会"),
]
SHORT = {"SH": "上海", "JS": "江苏", "ZJ": "浙江", "AH": "安徽", "JX": "江西"}

ACHIEVEMENTS = [
    ("qc-circle", "降低发动机缸体砂眼缺陷率", "运用QC小组活动与因果分析，砂眼缺陷率由2.1%降至0.6%。", ["QC小组", "铸造"]),
    ("improvement", "缩短家电装配线换型时间", "通过SMED快速换型，将换型时间从45分钟缩短至12分钟。", ["精益", "装配"]),
    ("excellence", "卓越绩效模式在中小企业的落地实践", "以卓越绩效评价准则为框架，建立战略、顾客与过程管理体系。", ["卓越绩效", "中小企业"]),
    ("lean-six-sigma", "提升注塑件一次合格率的六西格玛项目", "DMAIC方法定位关键工艺参数，一次合格率提升至99.3%。", ["六西格玛", "注塑"]),
    ("site-management", "化工企业现场6S与目视化管理案例", "推进6S与目视化管理，现场隐患整改率达到100%。", ["现场管理", "安全"]),
]
ORGANISATIONS = {
    "SH": ["上海申江机械制造有限公司", "上海浦江电子科技有限公司"],
    "JS": ["江苏苏南精密铸造有限公司", "江苏运河家电集团"],
    "ZJ": ["浙江钱塘塑胶制品有限公司", "浙江之江化工股份有限公司"],
    "AH": ["安徽江淮汽车零部件有限公司", "安徽徽商电器有限公司"],
    "JX": ["江西赣江新材料有限公司", "江西庐山医药有限公司"],
}


def _user(username):
    return get_user_model().objects.filter(username=username).first()


def _publish(page, editor):
    """Publish as the province's moderator; joint events go the whole way through the sign-off workflow."""
    from cms.services import signoff_decide

    moderator = _user(f"{page.province.code.lower()}-moderator")
    revision = page.save_revision(user=editor)
    co_organisers = list(page.co_organisers.all()) if hasattr(page, "co_organisers") else []
    if not co_organisers:
        revision.publish(user=moderator)
        return
    page.get_workflow().start(page, editor)
    page.current_workflow_task_state.approve(user=moderator, comment="主办方审核通过。")
    for province in co_organisers:
        signoff_decide(task_state=page.current_workflow_task_state, user=_user(f"{province.code.lower()}-moderator"),
                       approve=True, comment=f"{province.name_zh}同意联合主办。")


def seed(ctx):
    from cms.achievements import AchievementPage, AchievementType
    from cms.events import CampaignPage, EventCategory, EventPage, EventQuestion, Registration
    from cms.taxonomy import ensure_taxonomies
    from hub.models import Province

    ensure_taxonomies(EventCategory, AchievementType)
    if EventPage.objects.exists():
        ctx.say("events already present; skipped")
        return
    provinces = list(Province.objects.ordered())
    codes = [p.code for p in provinces]
    today = timezone.localdate()
    categories = {c.slug: c for c in EventCategory.objects.all()}

    # --- the 质量月 campaign, led by the first province, with sub-events from every province -------------------
    year = today.year if today.month < 9 else today.year + 1
    lead = provinces[0]
    lead_editor = _user(f"{lead.code.lower()}-editor")
    campaign = CampaignPage(title=f"{year}年长三角质量月", slug=f"quality-month-{year}", owner=lead_editor,
                            province=lead,
                            summary="五省市质量协会共同开展质量月活动：质量开放日、质量大讲堂、群众性质量提升活动同步推进。",
                            start_date=date(year, 9, 1), end_date=date(year, 9, 30))
    lead.section_page.add_child(instance=campaign)
    _publish(campaign, lead_editor)

    events = []
    for index, province in enumerate(provinces):
        editor = _user(f"{province.code.lower()}-editor")
        short = SHORT.get(province.code, province.name_zh)
        for offset, (slug, title, summary, mode, place) in enumerate(EVENTS):
            # Half the year ahead, some behind: the listing has both upcoming and past events.
            start = today + timedelta(days=(offset * 23 + index * 5) % 150 - 40)
            multi = slug == "training"
            event = EventPage(
                title=title.format(p=short), slug=f"{slug}-{province.code.lower()}", owner=editor,
                summary=summary, category=categories[slug], mode=mode, place=place.format(p=short),
                meeting_url="https://meeting.example.invalid/roundtable" if mode != "in_person" else "",
                all_day=multi, start_date=start, end_date=start + timedelta(days=2 if multi else 0),
                start_time=None if multi else time(9, 30), end_time=None if multi else time(11, 30),
                registration_open=True, capacity=3 if slug == "quality-lecture" else 80,
                registration_requires_approval=slug == "training", province=province,
            )
            if slug == "training" and start > today + timedelta(days=5):
                # Registration closes three days before the course starts.
                event.registration_deadline = timezone.make_aware(
                    datetime.combine(start - timedelta(days=3), time(17, 0)))
            province.section_page.add_child(instance=event)
            if slug in ("international", "roundtable"):
                event.co_organisers.set([p for p in provinces if p.pk != province.pk][:2])
            _publish(event, editor)
            events.append(event)
        sub = EventPage(
            title=f"{year}年质量月·{short}质量开放日", slug=f"quality-month-{year}-{province.code.lower()}", owner=editor,
            summary=f"{short}质量协会组织会员企业开展质量月系列活动。", category=categories["quality-month"],
            campaign=campaign, mode="in_person", place=f"{short}会员企业", all_day=True,
            start_date=date(year, 9, 3 + index * 4), end_date=date(year, 9, 3 + index * 4),
            registration_open=True, capacity=100, province=province,
        )
        province.section_page.add_child(instance=sub)
        _publish(sub, editor)
    ctx.say(f"{len(events)} events across {len(provinces)} provinces, campaign “{campaign.title}” with "
            f"{campaign.sub_events.count()} sub-events")

    # --- a joint event waiting for the co-organisers' sign-off -------------------------------------------------
    editor, moderator = _user(f"{lead.code.lower()}-editor"), _user(f"{lead.code.lower()}-moderator")
    joint = EventPage(
        title=f"{year}年长三角质量月联合启动仪式", slug=f"quality-month-{year}-launch", owner=editor,
        summary="五省市质协共同启动质量月，发布长三角质量提升倡议。", category=categories["quality-month"],
        campaign=campaign, mode="hybrid", place="上海国际会议中心", meeting_url="https://meeting.example.invalid/launch",
        start_date=date(year, 9, 1), end_date=date(year, 9, 1), start_time=time(9), end_time=time(12), live=False,
    )
    lead.section_page.add_child(instance=joint)
    joint.co_organisers.set(provinces[1:3])
    joint.save_revision(user=editor)
    joint.get_workflow().start(joint, editor)
    joint.current_workflow_task_state.approve(user=moderator, comment="主办方审核通过，请协办省市会签。")
    ctx.say(f"joint event awaiting sign-off by {', '.join(p.name_zh for p in provinces[1:3])} moderators")

    # --- registrations in every state ---------------------------------------------------------------------------
    people = ["王芳", "李强", "张伟", "刘洋", "陈静", "杨磊", "赵敏", "黄涛", "周丽", "吴刚"]
    full = next(e for e in events if e.capacity == 3)
    EventQuestion.objects.create(page=full, label="所在部门", kind="text", required=False)
    approval = next(e for e in events if e.registration_requires_approval)
    rows = []
    for i, status in enumerate(["confirmed", "confirmed", "confirmed", "waitlisted", "waitlisted", "cancelled"]):
        rows.append(Registration(event=full, name=people[i], email=f"demo{i}@demo.roundtable.invalid",
                                 organisation=ORGANISATIONS[lead.code][i % 2], status=status,
                                 answers={"所在部门": "质量部"}))
    for i, status in enumerate(["pending", "pending", "confirmed", "rejected"]):
        rows.append(Registration(event=approval, name=people[6 + i], email=f"demo{6 + i}@demo.roundtable.invalid",
                                 organisation=ORGANISATIONS[approval.province.code][i % 2], status=status))
    Registration.objects.bulk_create(rows)
    ctx.say(f"{len(rows)} registrations (confirmed, pending, waitlisted, cancelled, rejected)")

    # --- achievements and where they spread ---------------------------------------------------------------------
    from sharing.models import Adoption

    types = {t.slug: t for t in AchievementType.objects.all()}
    achievements = []
    for index, province in enumerate(provinces):
        editor = _user(f"{province.code.lower()}-editor")
        for offset in range(3):
            slug, title, summary, tags = ACHIEVEMENTS[(index + offset) % len(ACHIEVEMENTS)]
            organisation = ORGANISATIONS.get(province.code, [province.name_zh + "会员企业"] * 2)[offset % 2]
            page = AchievementPage(
                title=f"{organisation}{title}", slug=f"{slug}-{province.code.lower()}", owner=editor,
                organisation=organisation,
                achievement_type=types[slug], year=today.year - offset, summary=summary,
                visibility="members" if offset == 2 else "public", province=province,
            )
            if offset == 0:
                page.body = _achievement_body(title, summary)
            province.section_page.add_child(instance=page)
            page.tags.add(*tags)
            if offset == 0:
                page.attachments.create(document=_report(page, province))
            _publish(page, editor)
            achievements.append(page)
    adoptions = []
    for index, page in enumerate(achievements[::2]):
        for step in (1, 2)[: 1 + index % 2]:
            adopter = provinces[(codes.index(page.province.code) + step) % len(provinces)]
            adoptions.append(Adoption(
                achievement=page, province=adopter, organisation=ORGANISATIONS.get(adopter.code, ["会员企业"])[step % 2],
                adopted_on=today - timedelta(days=30 * (index + step)), outcome="推广应用后相关指标改善明显，已纳入企业标准作业程序。",
                feedback="建议补充现场培训视频。" if step == 2 else "", recorded_by=_user(f"{adopter.code.lower()}-editor"),
            ))
    Adoption.objects.bulk_create(adoptions)
    ctx.say(f"{len(achievements)} achievements ({sum(a.visibility == 'members' for a in achievements)} members-only), "
            f"{len(adoptions)} adoption records")


def _achievement_body(title: str, summary: str) -> str:
    """Body text of a demo achievement: background, method and results, as a QC-circle report reads."""
    import json

    return json.dumps([
        {"type": "heading", "value": "课题背景"},
        {"type": "paragraph", "value": f"<p>{summary}小组围绕“{title}”开展活动，现状调查显示问题集中在两道关键工序。</p>"},
        {"type": "heading", "value": "原因分析与对策"},
        {"type": "paragraph", "value": "<p>运用鱼骨图和关联图找出末端因素 8 项，经现场验证确定主要原因 3 项，"
                                       "制定对策表并按 PDCA 循环逐项实施。</p>"},
        {"type": "heading", "value": "效果与标准化"},
        {"type": "paragraph", "value": "<p>活动目标全部实现，有效措施已纳入企业作业指导书，并在兄弟单位推广应用。</p>"},
    ])


def _report(page, province):
    """A PDF of the achievement's report in the province's collection (a document the page lists as attachment)."""
    from django.core.files.base import ContentFile
    from wagtail.documents.models import Document

    from hub.selectors import province_collection

    pdf = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Count 0/Kids[]>>endobj\n"
           b"trailer<</Root 1 0 R>>\n%%EOF\n")
    document = Document(title=f"{page.title}（成果报告）",
                        collection=province_collection(province) or Document.get_default_collection())
    document.file.save(f"achievement-report-{province.code.lower()}.pdf", ContentFile(pdf), save=False)
    document.save()
    return document
