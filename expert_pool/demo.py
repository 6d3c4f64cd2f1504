"""Demo data of the expert pool: about 200 experts across the five provinces with availability and conflicts,
requests in every state, one recorded draw, and one expert account per province (``<code>-expert``).

Bulk inserts keep it fast; past requests are written as history directly (the services refuse past dates, which
is right for live use), current ones go through the services.
"""
import datetime

from django.utils import timezone

from expert_pool import services, visibility
from expert_pool.models import (
    LANGUAGE_LABELS,
    Assignment,
    Availability,
    Conflict,
    Expert,
    ExpertRequest,
    Qualification,
    Specialism,
)
from expert_pool.taxonomy import QUALIFICATIONS, SPECIALISMS
from hub.demo import demo_username, ensure_user
from hub.models import Province

ORDER = 50
PER_PROVINCE = 40

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = ["建国", "志强", "海燕", "文静", "国庆", "丽华", "伟民", "晓东", "春梅", "振华", "秀英", "明辉", "玉兰", "德胜",
         "雪峰", "佳怡", "俊杰", "慧敏", "永刚", "红霞", "立新", "淑芬", "卫东", "晓燕", "宏伟", "静怡", "新民", "彩霞",
         "国华", "思远", "嘉欣", "少华", "一鸣", "子涵", "维钧", "亚男", "颖", "磊", "敏", "洁"]
EMPLOYERS = {
    "SH": ["上海电气集团股份有限公司", "宝山钢铁股份有限公司", "上海汽车集团股份有限公司", "中国商用飞机有限责任公司",
           "上海市计量测试技术研究院", "上海质量管理科学研究院", "上海交通大学", "上海振华重工（集团）股份有限公司"],
    "JS": ["徐工集团工程机械股份有限公司", "南京钢铁股份有限公司", "江苏亨通光电股份有限公司", "东南大学",
           "江苏省质量和标准化研究院", "无锡小天鹅电器有限公司", "常州天合光能有限公司", "苏州工业园区质量协会"],
    "ZJ": ["浙江吉利控股集团有限公司", "杭州海康威视数字技术股份有限公司", "正泰集团股份有限公司", "浙江大学",
           "浙江方圆检测集团股份有限公司", "万向集团公司", "宁波港集团有限公司", "浙江省标准化研究院"],
    "AH": ["安徽江淮汽车集团股份有限公司", "安徽海螺水泥股份有限公司", "奇瑞汽车股份有限公司", "合肥工业大学",
           "安徽省产品质量监督检验研究院", "马鞍山钢铁股份有限公司", "科大讯飞股份有限公司", "铜陵有色金属集团"],
    "JX": ["江铃汽车股份有限公司", "江西铜业股份有限公司", "南昌大学", "晶科能源股份有限公司",
           "江西省检验检测认证总院", "洪都航空工业集团", "新余钢铁集团有限公司", "江西省质量技术评审中心"],
}
TITLES = ["正高级工程师", "高级工程师", "教授", "副教授", "高级经济师", "工程师", "研究员"]
INDUSTRIES = ["装备制造", "汽车及零部件", "钢铁冶金", "电子信息", "新能源", "建材", "医药", "服务业", "航空航天", "化工"]


def _taxonomies():
    specialisms = [Specialism.objects.get_or_create(name=name, defaults={"order": i})[0]
                   for i, name in enumerate(SPECIALISMS)]
    qualifications = [Qualification.objects.get_or_create(name=name, defaults={"order": i})[0]
                      for i, name in enumerate(QUALIFICATIONS)]
    return specialisms, qualifications


def _experts(ctx, provinces, specialisms, qualifications, today):
    rnd = ctx.random
    rows, relations = [], []
    for province in provinces:
        for n in range(PER_PROVINCE):
            name = rnd.choice(SURNAMES) + rnd.choice(GIVEN)
            spec = rnd.sample(specialisms, rnd.randint(1, 3))
            quals = rnd.sample(qualifications, rnd.randint(0, 2))
            languages = ["zh"] + (["en"] if rnd.random() < 0.35 else []) + (["ja"] if rnd.random() < 0.05 else [])
            status = "active" if n >= 4 else ["pending", "pending", "suspended", "retired"][n]
            expert = Expert(
                province=province, name=name, employer=rnd.choice(EMPLOYERS.get(province.code, ["某质量协会"])),
                title=rnd.choice(TITLES), industries="、".join(rnd.sample(INDUSTRIES, 2)),
                languages="," + ",".join(languages) + ",", status=status, external_ref=f"DEMO-{province.code}-{n:03d}",
                bio=f"长期从事{spec[0].name}工作，参与{province.name_zh}质量奖评审与企业质量诊断，熟悉{INDUSTRIES[n % 10]}行业。",
                phone=f"13{rnd.randint(0, 9)}{rnd.randint(10**7, 10**8 - 1)}",
                email=f"expert{province.code.lower()}{n}@demo.roundtable.invalid",
                visibility={"contact": "home"} if n % 5 else {"contact": "staff", "work": "public"},
                approved_at=timezone.now() if status != "pending" else None,
            )
            values = {"name": expert.name, "province": province.name_zh, "title": expert.title,
                      "specialisms": "、".join(s.name for s in spec), "qualifications": "、".join(q.name for q in quals),
                      "languages": "、".join(str(LANGUAGE_LABELS[c]) for c in languages), "employer": expert.employer,
                      "industries": expert.industries, "bio": expert.bio, "phone": expert.phone,
                      "email": expert.email}
            for key, value in visibility.search_documents(expert, values).items():
                setattr(expert, key, value)
            rows.append(expert)
            relations.append((spec, quals))
    Expert.objects.bulk_create(rows)
    through_s, through_q = Expert.specialisms.through, Expert.qualifications.through
    through_s.objects.bulk_create([through_s(expert_id=e.pk, specialism_id=s.pk)
                                   for e, (spec, _q) in zip(rows, relations, strict=False) for s in spec])
    through_q.objects.bulk_create([through_q(expert_id=e.pk, qualification_id=q.pk)
                                   for e, (_s, quals) in zip(rows, relations, strict=False) for q in quals])
    # Registrations that look like someone already in the pool, for the coordinators' duplicate check.
    for pending in [e for e in rows if e.status == "pending"][:3]:
        original = next(e for e in rows if e.province_id == pending.province_id and e.status == "active")
        Expert.objects.filter(pk=pending.pk).update(name=original.name, employer=original.employer,
                                                    possible_duplicate_of=original)
    availability, conflicts = [], []
    for e in rows:
        start = today + datetime.timedelta(days=rnd.randint(0, 20))
        end = start + datetime.timedelta(days=rnd.randint(30, 120))
        availability.append(Availability(expert=e, start=start, end=end,
                                         mode="onsite" if rnd.random() < 0.8 else "remote"))
        later = start + datetime.timedelta(days=150)
        availability.append(Availability(expert=e, start=later, end=later + datetime.timedelta(days=60), mode="onsite"))
        if rnd.random() < 0.3:
            other = rnd.choice([name for names in EMPLOYERS.values() for name in names])
            conflicts.append(Conflict(expert=e, organisation=other, kind=rnd.choice(["worked_for", "worked_with"]),
                                      until=today - datetime.timedelta(days=rnd.randint(0, 900))))
    Availability.objects.bulk_create(availability)
    Conflict.objects.bulk_create(conflicts)
    return rows


def _account_experts(provinces, rows, today):
    """The demo account ``<code>-expert`` is the first active expert of each province."""
    accounts = {}
    for province in provinces:
        expert = next(e for e in rows if e.province_id == province.pk and e.status == "active")
        user = ensure_user(demo_username(province.code, "expert"), first_name=expert.name,
                           last_name=f"（{province.name_zh}专家）")
        Expert.objects.filter(pk=expert.pk).update(user=user, email=user.email)
        expert.user = user
        accounts[province.code] = expert
    return accounts


def _history(provinces, rows, accounts, today):
    """Past requests, confirmed and completed (rated and not), written as history."""
    by_code = {p.code: p for p in provinces}
    codes = [p.code for p in provinces]
    specialism = Specialism.objects.get(name="质量奖评审")
    active = [e for e in rows if e.status == "active"]
    requests = []
    for i, code in enumerate(codes):
        lender = codes[(i + 1) % len(codes)]
        start = today - datetime.timedelta(days=40 + i * 7)
        creator = ensure_user(demo_username(code, "editor"), first_name="")
        request = ExpertRequest.objects.create(
            requesting_province=by_code[code], created_by=creator, title=f"{by_code[code].name_zh}质量奖现场评审（第 {i + 1} 组）",
            purpose="award", start=start, end=start + datetime.timedelta(days=2), place=f"{by_code[code].name_zh}",
            number_needed=2, respond_by=start - datetime.timedelta(days=3))
        request.specialisms.add(specialism)
        helpers = [accounts[lender]] + [e for e in active if e.province_id == by_code[lender].pk][5 + i:6 + i]
        for j, expert in enumerate(helpers):
            rated = j == 0
            Assignment.objects.create(
                request=request, expert=expert, start=request.start, end=request.end, status="completed",
                completed_at=timezone.now() - datetime.timedelta(days=5 + i), rating=5 - (i % 2) if rated else None,
                rating_comment="评审细致，意见中肯。" if rated else "", rated_at=timezone.now() if rated else None)
        requests.append(request)
    return requests


def _live(ctx, provinces, rows, accounts, today):
    """Current requests, through the services, one per state of the flow."""
    by_code = {p.code: p for p in provinces}
    specialism = Specialism.objects.get(name="质量奖评审")
    qc = Specialism.objects.get(name="QC小组成果评审")

    def staff(code, role):
        return ensure_user(demo_username(code, role), first_name="")

    def ask(code, expert, title, start, purpose="award", **extra):
        return services.request_create(
            actor=staff(code, "editor"), province=by_code[code], title=title, purpose=purpose,
            start=today + datetime.timedelta(days=start), end=today + datetime.timedelta(days=start + 1),
            place=f"{by_code[code].name_zh}会展中心", specialisms=[specialism], expert_ids=[expert.pk], **extra)

    def step(assignment, *names):
        for name in names:
            if name == "approve":
                services.assignment_approve(actor=staff(assignment.expert.province.code, "coordinator"),
                                            assignment_id=assignment.pk, approve=True)
            elif name == "refuse":
                services.assignment_approve(actor=staff(assignment.expert.province.code, "coordinator"),
                                            assignment_id=assignment.pk, approve=False, note="该专家同期另有任务")
            elif name in ("accept", "decline"):
                services.assignment_answer(actor=assignment.expert.user, assignment_id=assignment.pk,
                                           accept=name == "accept")
            elif name == "confirm":
                services.assignment_confirm(actor=staff(assignment.request.requesting_province.code, "editor"),
                                            assignment_id=assignment.pk)

    # Every state, each with a demo expert account so that anyone can click through it.
    plan = [
        ("SH", "ZJ", "上海市质量金奖现场评审", 25, ()),  # requested: zj-coordinator approves, zj-expert answers
        ("JS", "SH", "江苏省QC小组成果发表赛评委", 30, ("approve",)),  # approved: sh-expert to answer
        ("ZJ", "AH", "浙江制造团体标准审查会", 35, ("approve", "accept")),  # accepted: zj-editor to confirm
        ("AH", "JX", "安徽省质量奖复审", 40, ("approve", "accept", "confirm")),  # confirmed
        ("JX", "JS", "江西省卓越绩效培训授课", 45, ("approve", "decline")),  # declined
        ("SH", "AH", "上海企业现场管理诊断", 60, ("refuse",)),  # refused by the home coordinator
    ]
    # Accepted by JX's expert before the Anhui booking below is confirmed: confirming it afterwards finds the
    # clash, quotes the Anhui booking and releases this assignment as 时间冲突 (the request is not stuck).
    clash = ask("SH", accounts["JX"], "上海市质量奖预评审（与安徽任务时间冲突）", 40)
    step(clash.assignments.select_related("expert__province", "request__requesting_province").get(),
         "approve", "accept")
    for code, lender, title, start, steps in plan:
        request = ask(code, accounts[lender], title, start)
        assignment = request.assignments.select_related("expert__province", "request__requesting_province").get()
        assignment.expert.user = accounts[lender].user
        step(assignment, *steps)
    try:
        step(clash.assignments.select_related("expert__province", "request__requesting_province").get(), "confirm")
    except services.DoubleBooked:
        pass
    withdrawn = ask("ZJ", accounts["SH"], "浙江省质量月活动专家讲座", 70, purpose="training")
    services.request_withdraw(actor=staff("ZJ", "editor"), request_id=withdrawn.pk)
    expired = ask("JS", accounts["ZJ"], "江苏省精益改进项目评审（已过答复期）", 50)
    step(expired.assignments.select_related("expert__province").get(), "approve")
    ExpertRequest.objects.filter(pk=expired.pk).update(respond_by=today - datetime.timedelta(days=1))
    # One recorded draw: an elsewhere-only panel for a quality-award review, with avoidance of the enterprise's
    # province (Zhejiang) and the caps: at most two principals per province, nobody sharing an employer.
    panel = services.request_create(
        actor=staff("SH", "coordinator"), province=by_code["SH"], title="2026 年度上海市质量金奖评审组（随机抽取）",
        purpose="award", start=today + datetime.timedelta(days=28), end=today + datetime.timedelta(days=29),
        place="上海市质量协会", specialisms=[specialism, qc], number_needed=3, reserves_needed=2, elsewhere_only=True,
        organisation_under_review=EMPLOYERS["ZJ"][0], respond_by=today + datetime.timedelta(days=14),
        organisation_province=by_code["ZJ"], avoid_organisation_province=True, max_per_province=2)
    services.draw_run(actor=staff("SH", "coordinator"), request_id=panel.pk, seed=20261124)


def _duplicate_pair(provinces, specialisms):
    """Two pending registrations of one person (the phone written two ways), flagged for Jiangsu's coordinator to
    compare side by side and merge."""
    jiangsu = next(p for p in provinces if p.code == "JS")
    common = {"province": jiangsu, "name": "顾振华", "employer": "东南大学", "title": "教授",
              "specialisms": specialisms[:2], "status": Expert.Status.PENDING}
    first = services.expert_create(phone="13805170001", email="gu.zhenhua@demo.roundtable.invalid", **common)
    second = services.expert_create(phone="138 0517 0001", bio="二十年质量管理与卓越绩效评价经验。", **common)
    return first, second


def seed(ctx):
    if Expert.objects.filter(external_ref__startswith="DEMO-").exists():
        ctx.say("expert pool: demo experts already present")
        return
    today = timezone.localdate()
    provinces = list(Province.objects.ordered())
    specialisms, qualifications = _taxonomies()
    rows = _experts(ctx, provinces, specialisms, qualifications, today)
    accounts = _account_experts(provinces, rows, today)
    # sh-expert agreed on the consent page that phone and e-mail be public (/experts/me/contact/).
    services.expert_contact_consent(actor=accounts["SH"].user, consent=True)
    _history(provinces, rows, accounts, today)
    _live(ctx, provinces, rows, accounts, today)
    _duplicate_pair(provinces, specialisms)
    ctx.say(f"expert pool: {len(rows)} experts, accounts <code>-expert, requests in every state, one recorded "
            "draw (capped, avoiding the enterprise's province), a flagged duplicate pair in Jiangsu")
