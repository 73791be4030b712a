"""The notices' texts: Jinja templates in Chinese (the default) and English, and SMS length rules.

SMS texts carry no names and no more than the notice needs (a tracking code, a locker, a time).
A Chinese SMS is UCS-2: 70 characters in one segment, 67 in each part of a longer one; a plain
ASCII one fits 160, or 153 per part. Texts are held to :data:`MAX_SEGMENTS` segments; a long
materials list is shortened to "and N more" in the SMS (WeChat gets the whole list).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from jinja2 import DictLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from core.clock import SHANGHAI

MAX_SEGMENTS = 3
#: Parameters that must not outlive the notice: redacted once it is sent or dead.
SECRET_PARAMS = frozenset({"code", "link"})
REDACTED = "******"

_SOURCES: dict[str, dict[str, str]] = {
    "deposit_receipt": {
        "zh_CN": "【校园快递】您的材料 {{ tracking_code }} 已于 {{ at|when('zh_CN') }} "
        "投递至{{ place }}，可在网站查看进度。",
        "en": "[Campus courier] Your documents {{ tracking_code }} were deposited at "
        "{{ place }} on {{ at|when('en') }}. Track them on the website.",
    },
    "pickup_ready": {
        "zh_CN": "【校园快递】{{ tracking_code }} 已可取件：{{ place }}{{ locker }} "
        "{{ compartment }}号格，取件码 {{ code }}，请于 {{ until|when('zh_CN') }} 前取走。"
        "{{ link }}",
        "en": "[Campus courier] {{ tracking_code }}: code {{ code }}, {{ locker }} "
        "#{{ compartment }}, by {{ until|when('en') }}. {{ link }}",
    },
    # To a bare phone (a colleague of the recipient): no name, the link shows the same code.
    "pickup_for_colleague": {
        "zh_CN": "【校园快递】同事请您代取 {{ tracking_code }}：{{ place }}{{ locker }} "
        "{{ compartment }}号格，取件码 {{ code }}，请于 {{ until|when('zh_CN') }} 前取走。"
        "{{ link }}",
        "en": "[Campus courier] Collect {{ tracking_code }} by {{ until|when('en') }}: code "
        "{{ code }}, {{ locker }} #{{ compartment }} {{ link }}",
    },
    "desk_ready": {
        "zh_CN": "【校园快递】{{ tracking_code }} 已办结，请到{{ place }}服务台领取，"
        "领取码 {{ code }}（或出示证件）。",
        "en": "[Campus courier] {{ tracking_code }} is ready at the service desk of {{ place }}: "
        "show code {{ code }} (or your ID).",
    },
    "pickup_reminder_24h": {
        "zh_CN": "【校园快递】提醒：{{ tracking_code }} 仍在{{ place }}{{ locker }}"
        "{{ compartment }}号格待取，请于 {{ until|when('zh_CN') }} 前凭取件码取走。",
        "en": "[Campus courier] Reminder: {{ tracking_code }} still waits in {{ locker }} "
        "#{{ compartment }} at {{ place }}. Collect it with your code by "
        "{{ until|when('en') }}.",
    },
    "pickup_reminder_48h": {
        "zh_CN": "【校园快递】再次提醒：{{ tracking_code }} 已在{{ place }}{{ locker }}"
        "{{ compartment }}号格存放两天，请于 {{ until|when('zh_CN') }} 前取走。",
        "en": "[Campus courier] Second reminder: {{ tracking_code }} has waited two days in "
        "{{ locker }} #{{ compartment }} at {{ place }}. Collect it by {{ until|when('en') }}.",
    },
    "pickup_final": {
        "zh_CN": "【校园快递】最后提醒：{{ tracking_code }} 若未于 {{ until|when('zh_CN') }} "
        "前取走，将移至服务台，届时请凭证件到服务台领取。",
        "en": "[Campus courier] Last notice: unless collected by {{ until|when('en') }}, "
        "{{ tracking_code }} moves to the service desk; collect it there with your ID.",
    },
    "moved_to_desk": {
        "zh_CN": "【校园快递】{{ tracking_code }} 未在 {{ until|when('zh_CN') }} 前取走，"
        "已转由{{ place }}服务台保管，请凭证件到服务台领取。{{ link }}",
        # UCS-2 as soon as the campus is named in Chinese: 134 characters in two segments.
        "en": "[Campus courier] Uncollected, {{ tracking_code }} is at the {{ place }} "
        "desk: bring ID. {{ link }}",
    },
    # How to send them comes first: a long list is cut, the supplement link never is.
    "materials_missing": {
        "zh_CN": "【校园快递】{{ tracking_code }} 需补充材料"
        "{% if supplement_url %}，无需跑腿：打开 {{ supplement_url }} 打印补正标签，"
        "贴在材料上投入任一投递柜{% endif %}。缺：{{ items|join('；') }}。"
        "{% if note %}说明：{{ note }}{% endif %}",
        "en": "[Campus courier] {{ tracking_code }} needs more materials"
        "{% if supplement_url %}. No trip: print the label at {{ supplement_url }}, "
        "drop it with them in any drop box{% endif %}. Missing: "
        "{{ items|join('; ') }}.{% if note %} Note: {{ note }}{% endif %}",
    },
    "sla_warning": {
        "zh_CN": "【校园快递】{{ tracking_code }} 已用去八成办理时限，应于 "
        "{{ due|when('zh_CN') }} 前办结。",
        "en": "[Campus courier] {{ tracking_code }} has used 80% of its time limit; "
        "it is due {{ due|when('en') }}.",
    },
    "sla_breach": {
        "zh_CN": "【校园快递】{{ tracking_code }} 已超过办理时限（{{ due|when('zh_CN') }}），"
        "请尽快处理。",
        "en": "[Campus courier] {{ tracking_code }} is past its time limit "
        "({{ due|when('en') }}); please deal with it now.",
    },
    "outcome_rejected": {
        "zh_CN": "【校园快递】{{ tracking_code }} 不予办理，原因：{{ note }}",
        "en": "[Campus courier] {{ tracking_code }} was rejected: {{ note }}",
    },
    "outcome_done": {
        "zh_CN": "【校园快递】{{ tracking_code }} 已办结，结果送回后将通知您取件。",
        "en": "[Campus courier] {{ tracking_code }} is done; we will tell you where to collect "
        "the result.",
    },
    "outcome_damaged": {
        "zh_CN": "【校园快递】{{ tracking_code }} 在途中受损，照片和处理进度见 {{ link }}",
        "en": "[Campus courier] {{ tracking_code }} was damaged on the way; photo and next steps: "
        "{{ link }}",
    },
    "outcome_missing": {
        "zh_CN": "【校园快递】{{ tracking_code }} 下落不明，服务中心正在查找，将另行通知您。",
        "en": "[Campus courier] {{ tracking_code }} is missing; the service centre is looking "
        "for it and will tell you.",
    },
    "outcome_late": {
        "zh_CN": "【校园快递】{{ tracking_code }} 未能在 {{ due|when('zh_CN') }} 前办结，"
        "我们正在催办。",
        "en": "[Campus courier] {{ tracking_code }} was not done by {{ due|when('en') }}; "
        "we are chasing it.",
    },
    "outcome_collected": {
        "zh_CN": "【校园快递】{{ tracking_code }} 已于 {{ at|when('zh_CN') }} 在{{ place }}"
        "由{{ who }}取走。",
        "en": "[Campus courier] {{ tracking_code }} was collected by {{ who }} at {{ place }} "
        "on {{ at|when('en') }}.",
    },
    "locker_alarm": {
        "zh_CN": "【校园快递】柜机告警 {{ locker }}{% if compartment %} {{ compartment }}号格"
        "{% endif %}：{{ message }}"
        "{% if count is defined and count > 1 %}（15 分钟内共 {{ count }} 次）{% endif %}",
        "en": "[Campus courier] Locker alarm {{ locker }}{% if compartment %} "
        "#{{ compartment }}{% endif %}: {{ message }}"
        "{% if count is defined and count > 1 %} ({{ count }} times in 15 minutes){% endif %}",
    },
    # Sent by an administrator from the user management page; the link works once.
    "password_set": {
        "zh_CN": "【校园快递】请在 {{ hours }} 小时内打开以下链接设置登录密码（仅可使用一次）："
        "{{ link }}",
        "en": "[Campus courier] Set your password within {{ hours }} hours (the link works "
        "once): {{ link }}",
    },
    "turn_near": {
        "zh_CN": "【办事大厅】您的号码 {{ ticket }} 前面还有 {{ ahead }} 位，请到{{ area }}等候。",
        "en": "[Service hall] Ticket {{ ticket }}: {{ ahead }} ahead of you. "
        "Please wait near {{ area }}.",
    },
    # 好差评: the invitation after a 代办 pickup, and a poor rating's follow-up (整改).
    "rating_invite": {
        "zh_CN": "【校园快递】{{ tracking_code }} 已取件，请对本次代办服务进行评价（一事一评）："
        "{{ url }}",
        "en": "[Campus courier] {{ tracking_code }} was collected. Please rate how we handled "
        "it: {{ url }}",
    },
    "follow_up_assigned": {
        "zh_CN": "【好差评】{{ label }} 收到差评，请于 {{ due|when('zh_CN') }} 前完成整改并登记："
        "{{ url }}",
        "en": "[Ratings] {{ label }} was rated poorly. Record the rectification by "
        "{{ due|when('en') }}: {{ url }}",
    },
    "follow_up_rectified": {
        "zh_CN": "【好差评】您对 {{ label }} 的差评已整改{% if url %}，查看结果或提出申诉："
        "{{ url }}{% else %}，感谢您的监督。{% endif %}",
        "en": "[Ratings] Your rating of {{ label }} was followed up{% if url %}. See what was "
        "done or appeal: {{ url }}{% else %}. Thank you.{% endif %}",
    },
    "follow_up_reviewed": {
        "zh_CN": "【好差评】{{ label }} 的整改{% if decision == 'accepted' %}已审核通过"
        "{% else %}未通过审核，须于 {{ due|when('zh_CN') }} 前重新整改{% endif %}"
        "{% if url %}：{{ url }}{% endif %}",
        "en": "[Ratings] The rectification of {{ label }} was {% if decision == 'accepted' %}"
        "accepted{% else %}sent back: redo it by {{ due|when('en') }}{% endif %}"
        "{% if url %}. {{ url }}{% endif %}",
    },
    "follow_up_overdue": {
        "zh_CN": "【好差评】{{ label }} 的整改已超期（期限 {{ due|when('zh_CN') }}），请尽快处理："
        "{{ url }}",
        "en": "[Ratings] The rectification of {{ label }} is overdue (due {{ due|when('en') }}): "
        "{{ url }}",
    },
    "appointment_booked": {
        "zh_CN": "【办事大厅】已预约{{ item }}：{{ at|when('zh_CN') }}，{{ hall }}（{{ place }}），"
        "签到码 {{ code }}。请携带：{{ items|join('、') if items else '无需材料' }}。"
        "取消、改约或加入日历：{{ link }}",
        "en": "[Service hall] Booked: {{ item }}, {{ at|when('en') }} at {{ hall }} "
        "({{ place }}), check-in code {{ code }}. Bring: "
        "{{ items|join(', ') if items else 'nothing' }}. Cancel, rebook or add to your "
        "calendar: {{ link }}",
    },
    "appointment_reminder": {
        "zh_CN": "【办事大厅】提醒：明天 {{ at|when('zh_CN') }} 在{{ hall }}（{{ place }}）"
        "办理{{ item }}，签到码 {{ code }}。"
        "请携带：{{ items|join('、') if items else '无需材料' }}。{{ link }}",
        "en": "[Service hall] Reminder: {{ item }} tomorrow {{ at|when('en') }} at {{ hall }} "
        "({{ place }}), check-in code {{ code }}. Bring: "
        "{{ items|join(', ') if items else 'nothing' }}. {{ link }}",
    },
}

TEMPLATES = frozenset(_SOURCES)


def _when(value: str | dt.datetime, language: str) -> str:
    at = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    local = at.astimezone(SHANGHAI)
    if language == "zh_CN":
        return f"{local.month}月{local.day}日 {local:%H:%M}"
    return f"{local:%b} {local.day} {local:%H:%M}"


_env = SandboxedEnvironment(
    loader=DictLoader({f"{n}.{lang}": s for n, by in _SOURCES.items() for lang, s in by.items()}),
    undefined=StrictUndefined,
    autoescape=False,
    keep_trailing_newline=False,
)
_env.filters["when"] = _when


def segments(text: str) -> int:
    """How many SMS segments ``text`` takes (UCS-2 unless every character is ASCII)."""
    single, part = (160, 153) if text.isascii() else (70, 67)
    if len(text) <= single:
        return 1
    return -(-len(text) // part)


def _limit(text: str) -> int:
    return (153 if text.isascii() else 67) * MAX_SEGMENTS


def render(template: str, language: str, params: dict[str, Any], *, sms: bool) -> str:
    """The notice's text; an SMS is held to :data:`MAX_SEGMENTS` segments."""
    source = _env.get_template(f"{template}.{language if language == 'en' else 'zh_CN'}")
    text = source.render(**params).strip()
    if not sms or segments(text) <= MAX_SEGMENTS:
        return text
    items = list(params.get("items") or ())
    more = "and %d more" if language == "en" else "等%d项"
    while len(items) > 1:
        items.pop()
        shortened = [*items, more % (len(params["items"]) - len(items))]
        text = source.render(**{**params, "items": shortened}).strip()
        if segments(text) <= MAX_SEGMENTS:
            return text
    return text[: _limit(text) - 1] + "…"


def redact(text: str, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """``text`` and ``params`` without the secret parameters' values."""
    kept = dict(params)
    for name in SECRET_PARAMS & params.keys():
        secret = str(params[name])
        if secret:
            text = text.replace(secret, REDACTED)
        kept[name] = REDACTED
    return text, kept


def staff_text(payload: dict[str, Any]) -> str:
    """A queued notice's text as staff may read it: a notice still waiting to go out carries
    its code and link, which only its recipient may see."""
    return redact(str(payload.get("text", "")), dict(payload.get("params") or {}))[0]
