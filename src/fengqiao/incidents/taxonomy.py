"""The seeded category and clock-rule names, marked for translation.

Names are data (stations may add their own, which then show as typed); the ones the
platform seeds (migration 0002) are listed here so the English catalogue carries them and
:func:`label` can show them in the user's language."""

from __future__ import annotations

from django.utils.translation import gettext, gettext_noop

SEEDED_NAMES = (
    gettext_noop("刑事"), gettext_noop("盗窃"), gettext_noop("诈骗"), gettext_noop("电信网络诈骗"),
    gettext_noop("抢劫抢夺"), gettext_noop("故意伤害"), gettext_noop("毒品犯罪"),
    gettext_noop("其他刑事"), gettext_noop("治安"), gettext_noop("殴打他人"),
    gettext_noop("寻衅滋事"), gettext_noop("赌博"), gettext_noop("扰乱公共秩序"),
    gettext_noop("噪声扰民"), gettext_noop("故意损毁财物"), gettext_noop("其他治安"),
    gettext_noop("交通事故"), gettext_noop("财产损失事故"), gettext_noop("人员受伤事故"),
    gettext_noop("交通堵塞"), gettext_noop("火警"), gettext_noop("火灾"),
    gettext_noop("燃气泄漏爆炸"), gettext_noop("纠纷"), gettext_noop("家庭纠纷"),
    gettext_noop("邻里纠纷"), gettext_noop("经济纠纷"), gettext_noop("劳资纠纷"),
    gettext_noop("物业纠纷"), gettext_noop("其他纠纷"), gettext_noop("群众求助"),
    gettext_noop("走失寻人"), gettext_noop("突发疾病"), gettext_noop("求助开锁"),
    gettext_noop("其他求助"), gettext_noop("举报投诉"), gettext_noop("举报违法犯罪"),
    gettext_noop("投诉"), gettext_noop("其他"), gettext_noop("其他警情"),
    gettext_noop("派警：接警后5分钟内派警"),
    gettext_noop("到场：派警后按时到达现场（接警后20分钟内）"),
    gettext_noop("小案快侦：盗窃案件24小时内侦破"),
    gettext_noop("快侦快破：发案1小时内报警的盗窃，3小时内侦破追赃"),
    gettext_noop("纠纷：72小时内化解或转调解"),
)  # fmt: skip


def label(name: str) -> str:
    """A seeded name in the active language; any other name as it was typed."""
    return gettext(name) if name else name
