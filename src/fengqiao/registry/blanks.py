"""台账模板: a blank .xlsx per ledger to download, fill in and import.

The header row holds each field's Chinese label (required ones marked *), a second row an
example the import reads as a valid row (so a station sees the formats: dates, ID
numbers, a free-text 现住址), and the choice columns carry Excel's drop-down validation,
its lists on a hidden sheet (a list written inline may not exceed 255 characters).
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from fengqiao.registry.imports import spec_for

# A fictional example row per ledger; the ID number and credit code pass their checksums.
EXAMPLES: dict[str, dict[str, Any]] = {
    "addresses": {"text": "幸福路12号3栋2单元502室"},
    "houses": {"address_text": "幸福路12号3栋2单元502室", "owner_name": "张三",
               "owner_phone": "13800000000", "use": "出租", "area_m2": "89.5",
               "rental_rooms": "2", "rented_since": dt.date(2024, 5, 1)},
    "people": {"name": "张三", "id_number": "110101199003074477", "phone": "13800000000",
               "household_type": "户籍人口", "address_text": "幸福路12号3栋2单元502室",
               "relation": "家庭成员", "moved_in": dt.date(2024, 5, 1), "note": ""},
    "organisations": {"name": "幸福便利店", "credit_code": "91350100M000100Y43",
                      "industry": "小商店", "address_text": "幸福路12号",
                      "responsible_name": "李四", "responsible_phone": "13900000000"},
}  # fmt: skip
EXAMPLE_ROW_NOTE = "示例行，导入前请删除"


def template_xlsx(kind: str) -> tuple[str, bytes]:
    """The blank ledger of ``kind``: (file name, .xlsx bytes)."""
    spec = spec_for(kind)
    book = Workbook()
    sheet = book.active
    sheet.title = _(spec.label)[:31]
    lists = book.create_sheet("选项")
    lists.sheet_state = "hidden"
    example = EXAMPLES.get(kind, {})
    headers, values = [], []
    for column, target in enumerate(spec.fields, start=1):
        headers.append(target.label + ("*" if target.required else ""))
        value = example.get(target.name, "")
        values.append(value)
        letter = get_column_letter(column)
        sheet.column_dimensions[letter].width = max(12, 2 * len(target.label) + 4)
        choices = getattr(target.convert, "choices", None)
        if choices is not None:
            labels = [str(label) for label in choices.labels]
            for row, label in enumerate(labels, start=1):
                lists.cell(row=row, column=column, value=label)
            rule = DataValidation(
                type="list",
                formula1=f"'选项'!${letter}$1:${letter}${len(labels)}",
                allow_blank=not target.required,
                showErrorMessage=True,
                errorTitle=_("不是可选值"),
                error=_("请从下拉列表中选择。"),
            )
            sheet.add_data_validation(rule)
            rule.add(f"{letter}2:{letter}100000")
    sheet.append(headers)
    sheet.append(values)
    for cell in sheet[2]:
        if isinstance(cell.value, dt.date):
            cell.number_format = "yyyy-mm-dd"
    sheet.cell(row=1, column=len(headers) + 2, value=_(EXAMPLE_ROW_NOTE))
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return f"{kind}-template.xlsx", buffer.getvalue()
