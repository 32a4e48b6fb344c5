"""Timeline lines as message key + parameters (rendered in the reader's language): the
two columns, and the lines stored as Chinese sentences converted where they match the
sentences the code wrote (the others — assignments with their reasons, visits,
agreements, hand-offs — stay as stored and are shown so). Reversible: the way back
writes the converted sentences into ``note`` again."""

from django.db import migrations, models

from fengqiao.core.timeline_legacy import Legacy, convert, restore

ROLE = {"applicant": "申请人", "respondent": "被申请人", "third_party": "第三人"}
CONSENT = {"pending": "未表态", "given": "同意调解", "refused": "拒绝调解"}
LEVEL = {"low": "低", "medium": "中", "high": "高"}

PATTERNS = [
    Legacy("note", "party_added", "增加当事人：%(role)s", {"role": ROLE}),
    Legacy("consent", "consent", "%(role)s %(consent)s", {"role": ROLE, "consent": CONSENT},
           note_after=" "),
    Legacy("transition", "refused", "当事人拒绝调解（人民调解法 第十七条）。",
           fixed={"rule": "people_refusal"}),
    Legacy("transition", "refused", "当事人拒绝调解（公安机关治安调解工作规范 第三条）。",
           fixed={"rule": "police_exclusion"}),
    Legacy("extension", "extended", "延长%(days)d天（双方同意）", note_after="："),
    Legacy("session", "session", "%(when)s 在%(place)s调解。参加人员：%(who)s"),
    Legacy("transition", "agreed", "达成调解协议。"),
    Legacy("transition", "agreed_again", "重新达成调解协议。"),
    Legacy("transition", "all_performed", "协议条款全部履行完毕。"),
    Legacy("transition", "referred", "移交%(to)s", note_after="："),
    Legacy("note", "transferred", "转办：责任单位由%(old)s变更为%(new)s。",
           flags={"ended": "原调解员指派已结束，请接收单位重新指派。"}),
    Legacy("assignment", "assignment_ended", "结束指派：%(name)s。", note_after="理由："),
    Legacy("note", "court_enforcement", "协议已经司法确认，当事人可以向人民法院申请强制执行。"),
    Legacy("note", "court_action",
           "当事人可以就调解协议的履行或者内容向人民法院提起诉讼（人民调解法 第三十二条）。"),
    Legacy("note", "police_relapse", "治安调解已结案，纠纷复发的，请作为新的警情或纠纷登记处理。"),
    Legacy("note", "risk_reassessed", "重新评估风险：%(score)d分（%(level)s）", {"level": LEVEL}),
    Legacy("warning", "risk_warned", "风险等级升为高（%(score)d分），已预警通知：%(who)s。"),
    Legacy("warning", "risk_read", "%(who)s已阅风险预警。"),
]  # fmt: skip


def forwards(apps, schema_editor):
    convert(apps.get_model("disputes", "CaseEvent"), PATTERNS)


def backwards(apps, schema_editor):
    restore(apps.get_model("disputes", "CaseEvent"), PATTERNS)


class Migration(migrations.Migration):
    dependencies = [
        ("disputes", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="caseevent",
            name="message",
            field=models.CharField(blank=True, max_length=32, verbose_name="系统说明"),
        ),
        migrations.AddField(
            model_name="caseevent",
            name="params",
            field=models.JSONField(blank=True, default=dict, verbose_name="说明参数"),
        ),
        migrations.RunPython(forwards, backwards, elidable=True),
    ]
