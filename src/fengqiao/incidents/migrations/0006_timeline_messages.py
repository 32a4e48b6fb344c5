"""Timeline lines as message key + parameters (rendered in the reader's language): the
two columns, and the lines stored as Chinese sentences converted where they match the
sentences the code wrote (the others stay as stored). Reversible: the way back writes
the converted sentences into ``note`` again."""

from django.db import migrations, models

from fengqiao.core.timeline_legacy import Legacy, convert, restore

ADDITION = {"clue": "线索", "correction": "更正", "photo": "照片"}
RATING = {"satisfied": "满意", "fairly": "基本满意", "dissatisfied": "不满意"}

PATTERNS = [
    Legacy("reporter", "reporter_added", "报警人补充了%(addition)s", {"addition": ADDITION},
           flags={"photo": "（附照片）"}, note_after="："),
    Legacy("survey", "survey", "报警人评价：%(rating)s", {"rating": RATING}, note_after="："),
    Legacy("note", "address_linked", "关联标准地址：%(address)s"),
]  # fmt: skip


def _names(path: str) -> list[str]:
    return path.split("/")


def forwards(apps, schema_editor):
    event = apps.get_model("incidents", "IncidentEvent")
    convert(event, PATTERNS)
    # A category line was "刑事/盗窃" or "刑事/盗窃 → 刑事/诈骗" (the names then).
    changed = []
    for line in event.objects.filter(kind="category", message="").exclude(note=""):
        previous, _arrow, category = line.note.rpartition(" → ")
        line.params = {"category": _names(category)}
        if previous:
            line.params["previous"] = _names(previous)
        line.message = "category_changed" if previous else "category_set"
        line.note = ""
        changed.append(line)
    event.objects.bulk_update(changed, ["message", "params", "note"], batch_size=500)


def backwards(apps, schema_editor):
    event = apps.get_model("incidents", "IncidentEvent")
    restore(event, PATTERNS)
    changed = []
    for line in event.objects.filter(message__in=["category_set", "category_changed"]):
        params = line.params or {}
        text = "/".join(params.get("category", []))
        if params.get("previous"):
            text = "/".join(params["previous"]) + " → " + text
        line.note, line.message, line.params = text, "", {}
        changed.append(line)
    event.objects.bulk_update(changed, ["message", "params", "note"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0005_reporter_phone_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="incidentevent",
            name="message",
            field=models.CharField(blank=True, max_length=32, verbose_name="系统说明"),
        ),
        migrations.AddField(
            model_name="incidentevent",
            name="params",
            field=models.JSONField(blank=True, default=dict, verbose_name="说明参数"),
        ),
        migrations.RunPython(forwards, backwards, elidable=True),
    ]
