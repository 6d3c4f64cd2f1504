"""Demo group standards: about 60 across the five associations, along the whole lifecycle, with proposals,
recognitions (some with conditions, some declined, one superseded), one draft decision, and one standard in
public comment with comments and dispositions."""
import datetime

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from wagtail.documents.models import Document

from hub.demo import demo_username
from hub.models import Province
from hub.selectors import province_collection
from sharing import services
from sharing.models import GroupStandard
from sharing.models.standards import Status

ORDER = 40

TOPICS = [
    ("质量管理小组活动成果评价准则", "Evaluation criteria for QC circle results", "03.120.10", "A00"),
    ("卓越绩效评价准则实施指南", "Implementation guide for performance excellence criteria", "03.120.10", "A00"),
    ("现场管理星级评价规范", "Star rating of on-site management", "03.100.50", "A01"),
    ("精益生产实施指南", "Guidelines for implementing lean production", "03.100.50", "A01"),
    ("六西格玛项目评价规范", "Evaluation of six sigma projects", "03.120.30", "A41"),
    ("质量信用评价规范", "Quality credit evaluation", "03.120.10", "A00"),
    ("首席质量官任职能力要求", "Competence requirements for chief quality officers", "03.100.30", "A02"),
    ("质量标杆遴选与评价", "Selection and evaluation of quality benchmarks", "03.120.10", "A00"),
    ("用户满意度测评方法", "Methods for measuring customer satisfaction", "03.120.10", "A00"),
    ("质量改进项目成果评价", "Evaluation of quality improvement projects", "03.120.10", "A00"),
    ("品牌价值评价 制造业", "Brand value evaluation: manufacturing", "03.100.01", "A00"),
    ("数字化质量管理能力成熟度评价", "Maturity of digital quality management capability", "35.240.50", "L67"),
]
PROVINCE_FOCUS = {
    "SH": "", "JS": "（制造业）", "ZJ": "（中小企业）", "AH": "（汽车零部件）", "JX": "（有色金属行业）",
}
#: Lifecycle of the 12 standards of each province, in order.
PLAN = [Status.IN_FORCE] * 6 + [Status.PUBLISHED, Status.REVIEW, Status.WITHDRAWN, Status.REVISED,
                                Status.DRAFTING, Status.IN_FORCE]
DRAFTERS = ["上海宝钢包装股份有限公司", "江苏徐工工程机械研究院", "浙江正泰电器股份有限公司", "安徽江淮汽车集团",
            "江西铜业股份有限公司", "中国质量认证中心", "复旦大学管理学院", "浙江大学质量管理研究中心"]
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")


def _user(code, role):
    return get_user_model().objects.get(username=demo_username(code, role))


def _document(title, province):
    doc = Document(title=title, collection=province_collection(province) or Document.get_default_collection())
    doc.file.save(f"{province.code.lower()}-{abs(hash(title)) % 10**6}.pdf", ContentFile(PDF), save=False)
    doc.save()
    return doc


def ensure_workflow():
    """Edits of group standards go through the issuing province's moderators before they are published."""
    from django.contrib.contenttypes.models import ContentType
    from wagtail.models import Workflow, WorkflowContentType, WorkflowTask

    from sharing.models import ProvinceApprovalTask

    task, _created = ProvinceApprovalTask.objects.get_or_create(name="发布省市审核")
    workflow, created = Workflow.objects.get_or_create(name="团体标准发布审核")
    if created:
        WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
    WorkflowContentType.objects.update_or_create(content_type=ContentType.objects.get_for_model(GroupStandard),
                                                 defaults={"workflow": workflow})
    return workflow


def seed(ctx):
    ensure_workflow()
    if GroupStandard.objects.exists():
        ctx.say("group standards already present; left alone")
        return
    rnd = ctx.random
    provinces = list(Province.objects.filter(is_member=True).select_related("association").ordered())
    resolutions = {p.code: _document(f"{p.association.short_name or p.name_zh}2025年第2次团体标准互认审查会决议", p)
                   for p in provinces}
    created, to_withdraw = [], []
    for p in provinces:
        editor, moderator = _user(p.code, "editor"), _user(p.code, "moderator")
        code = p.association.standards_code
        successors = {}
        for i, ((title, title_en, ics, ccs), status) in enumerate(zip(TOPICS, PLAN, strict=False), start=1):
            year = 2019 + (i + len(p.code)) % 6
            published = datetime.date(year, rnd.randint(1, 10), rnd.randint(1, 28))
            standard = GroupStandard(
                province=p, number=f"T/{code} {i:03d}—{year}", title_zh=title + PROVINCE_FOCUS[p.code],
                title_en=title_en, ics_codes=ics, ccs_code=ccs, status=status,
                approved_on=published - datetime.timedelta(days=300),
                scope=f"本标准规定了{title}的术语、要求与评价方法，适用于{p.name_zh}及长三角地区相关组织。",
                drafting_organisations="\n".join([p.association.name_zh] + rnd.sample(DRAFTERS, 2)),
                text_public=i % 4 != 0,
            )
            if status != Status.DRAFTING:
                standard.publication_date = published
            if status in (Status.IN_FORCE, Status.REVIEW, Status.WITHDRAWN, Status.REVISED):
                standard.implementation_date = published + datetime.timedelta(days=60)
            if status == Status.WITHDRAWN:
                # Recognised while in force first, so that its recognitions visibly lapse when it is withdrawn.
                standard.status = Status.IN_FORCE
                to_withdraw.append(standard)
            if status == Status.DRAFTING:
                standard.live = False
            if i % 3 == 0:
                standard.full_text = _document(f"{standard.number} {standard.title_zh}", p)
            if status == Status.REVISED:
                successor = GroupStandard(
                    province=p, number=f"T/{code} {i:03d}—2025", title_zh=title + PROVINCE_FOCUS[p.code],
                    title_en=title_en, ics_codes=ics, ccs_code=ccs, status=Status.PUBLISHED,
                    publication_date=datetime.date(2025, 9, 1), scope=standard.scope,
                    drafting_organisations=standard.drafting_organisations)
                successor.full_clean()
                successor.save()
                successors[i] = successor
                standard.replaced_by = successor
            standard.full_clean()
            standard.save()
            revision = standard.save_revision(user=editor, log_action=True)
            if standard.live:
                revision.publish(user=moderator, log_action=False)
            created.append(standard)
        created.extend(successors.values())

    # One standard of Shanghai in public comment, with comments from other provinces and dispositions.
    sh = provinces[0]
    in_comment = GroupStandard(
        province=sh, number=f"T/{sh.association.standards_code} 013—2026", title_zh="长三角区域质量品牌共建评价规范",
        title_en="Evaluation of jointly built quality brands in the Yangtze River Delta", ics_codes="03.120.10",
        ccs_code="A00", status=Status.COMMENT, approved_on=datetime.date(2026, 3, 1),
        comment_deadline=datetime.date(2026, 12, 31),
        scope="本标准规定了长三角区域质量品牌共建的评价指标、评价程序与结果应用。",
        drafting_organisations="上海市质量协会\n江苏省质量协会\n浙江省质量协会", text_public=True)
    in_comment.full_text = _document(f"{in_comment.number} {in_comment.title_zh}（征求意见稿）", sh)
    in_comment.full_clean()
    in_comment.save()
    in_comment.save_revision(user=_user("SH", "editor")).publish(user=_user("SH", "moderator"), log_action=False)
    _content_pages_citing(in_comment, sh)
    comments = [
        ("JS", "3.2", "“质量品牌”的定义与 GB/T 36061 不一致，建议引用国家标准。", "改为引用 GB/T 36061—2018 第3.1条。",
         "adopted", ""),
        ("ZJ", "5.1", "评价指标权重偏重规模，中小企业难以达标。", "增加按企业规模分档的权重。", "partly",
         "增加了小微企业的调整系数，未采用完全分档。"),
        ("AH", "6.3", "现场评价天数过长。", "由3天改为2天。", "not_adopted", "现场评价需覆盖三个环节，2天不足。"),
        ("JX", "附录A", "建议增加有色金属行业的示例。", "", "", ""),
    ]
    for code, clause, text, suggestion, disposition, reason in comments:
        comment = services.comment_post(actor=_user(code, "member"), standard_id=in_comment.pk,
                                        province_id=Province.objects.get(code=code).pk, clause=clause, text=text,
                                        suggestion=suggestion)
        if disposition:
            services.comment_dispose(actor=_user("SH", "editor"), comment_id=comment.pk, disposition=disposition,
                                     reason=reason)

    # Proposals and decisions: most valid standards are proposed to everyone; reviewers decide.
    decisions = 0
    for standard in created:
        if not standard.live or standard.status not in (Status.PUBLISHED, Status.IN_FORCE, Status.REVIEW) \
                or standard.replaced_by_id:
            continue
        if rnd.random() < 0.1:
            continue  # not yet proposed
        services.standard_propose(actor=_user(standard.province.code, "editor"), standard_id=standard.pk)
        everyone = rnd.random() < 0.35
        for p in provinces:
            if p.pk == standard.province_id:
                continue
            roll = rnd.random()
            if not everyone and roll > 0.8:
                continue  # still pending
            if everyone or roll < 0.55:
                outcome, conditions = "recognised", ""
            elif roll < 0.7:
                outcome, conditions = "conditional", rnd.choice([
                    "仅适用于规模以上工业企业。", "须配合本省地方标准 DB 相关条款使用。", "评价员须经本省协会培训备案。"])
            else:
                outcome, conditions = "declined", ""
            rationale = {
                "recognised": "经本会标准化工作委员会审查，技术内容科学合理，与本省现行标准无冲突，同意认可。",
                "conditional": "技术内容总体可行，但适用范围需结合本省产业情况加以限定。",
                "declined": "与本省已发布的同类团体标准内容重复，暂不认可，建议双方协调整合。",
            }[outcome]
            services.recognition_decide(actor=_user(p.code, "reviewer"), standard_id=standard.pk, province_id=p.pk,
                                        outcome=outcome, conditions=conditions, rationale=rationale,
                                        evidence_document_id=resolutions[p.code].pk)
            decisions += 1
    # A decision that was later revisited: Jiangsu first declined a Shanghai standard, then recognised it.
    first_sh = next(s for s in created if s.province_id == sh.pk and s.status == Status.IN_FORCE
                    and s not in to_withdraw)
    js = provinces[1]
    services.standard_propose(actor=_user("SH", "editor"), standard_id=first_sh.pk)
    current = first_sh.decisions.filter(province=js, is_current=True).first()
    declined = services.recognition_decide(
        actor=_user("JS", "reviewer"), standard_id=first_sh.pk, province_id=js.pk, outcome="declined",
        rationale="需进一步比对本省同类标准。", evidence_document_id=resolutions["JS"].pk,
        supersedes_id=current.pk if current else None)
    services.recognition_decide(
        actor=_user("JS", "reviewer"), standard_id=first_sh.pk, province_id=js.pk, outcome="recognised",
        rationale="复审后确认与本省标准互补，同意认可。", evidence_document_id=resolutions["JS"].pk,
        supersedes_id=declined.pk)
    # A draft decision only Zhejiang's reviewers can see.
    pending = next((s for s in created if s not in to_withdraw and s.proposals.filter(province__code="ZJ").exists()
                    and not s.decisions.filter(province__code="ZJ").exists()), None)
    if pending is not None:
        services.recognition_decide(actor=_user("ZJ", "reviewer"), standard_id=pending.pk,
                                    province_id=provinces[2].pk, outcome="recognised",
                                    rationale="初审意见：拟认可，待审查会确认。", final=False)
    for standard in to_withdraw:
        standard.status = Status.WITHDRAWN
        standard.withdrawal_date = datetime.date(2025, 6, 30)
        standard.full_clean()
        standard.save()
        standard.save_revision(user=_user(standard.province.code, "moderator")).publish(
            user=_user(standard.province.code, "moderator"), log_action=False)
    ctx.say(f"{GroupStandard.objects.count()} group standards, {decisions + 2} recognition decisions, "
            "1 standard in public comment with 4 comments")


def _content_pages_citing(standard, province):
    """A published notice whose text names the standard (the number becomes a link with its status), and a
    second notice scheduled to go live in ten minutes, which the running scheduler (make run) publishes."""
    from django.utils import timezone

    from cms.models import ContentPage

    section = province.section_page
    editor, moderator = _user(province.code, "editor"), _user(province.code, "moderator")
    in_force = GroupStandard.objects.filter(province=province, status=Status.IN_FORCE).order_by("number").first()
    cited = f"已实施的 {in_force.number}" if in_force else "已实施的相关团体标准"
    notice = ContentPage(
        title=f"关于《{standard.title_zh}》公开征求意见的通知", slug="standard-comment-notice",
        search_description="团体标准征求意见稿已发布，欢迎各省市会员单位提出意见。",
        intro=(f"<p>{standard.number}《{standard.title_zh}》征求意见稿已在团体标准栏目公开，意见截止日期为"
               f"{standard.comment_deadline:%Y年%m月%d日}。该标准参考了{cited}，请各会员单位对照条款提出意见。</p>"),
    )
    section.add_child(instance=notice)
    notice.save_revision(user=editor).publish(user=moderator)
    scheduled = ContentPage(
        title="2026年长三角质量品牌共建工作会议通知（定时发布）", slug="brand-meeting-notice",
        search_description="定时发布示例：发布时间到后由调度程序自动上线。",
        intro="<p>本通知设置了定时发布：在管理后台可看到“已计划”状态，时间一到自动上线。</p>",
        go_live_at=timezone.now() + datetime.timedelta(minutes=10), live=False,
    )
    section.add_child(instance=scheduled)
    scheduled.save_revision(user=editor).publish(user=moderator)
