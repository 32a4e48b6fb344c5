"""治安工作统计报表: the .xlsx and PDF reports carry the dashboard's own numbers, for a month
and for a year; scoping, capability, file names and the audit record."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal
from types import SimpleNamespace
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from fengqiao.audit.models import AuditEvent
from fengqiao.core.exports import safe_cell
from fengqiao.core.roles import Role
from fengqiao.dashboards import reports
from fengqiao.dashboards.figures import node_dashboard
from fengqiao.disputes.models import Category as DisputeCategory
from fengqiao.disputes.models import FollowUp, Satisfaction
from fengqiao.disputes.models import Status as DisputeStatus
from fengqiao.incidents.models import Category, Deadline, Incident, SurveyResponse
from fengqiao.jurisdictions.models import Kind
from fengqiao.rollups import store as rollups
from fengqiao.scoring import periods
from tests.conftest import make_node, make_user

SHANGHAI = ZoneInfo("Asia/Shanghai")
MARCH = periods.month(2025, 3)
YEAR = periods.year(2025)


def at(year: int, month: int, day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=SHANGHAI)


@pytest.fixture
def data(world, places, make_incident, make_dispute):
    """Station A (district A covers 凤台社区) and station B (书院社区), with incidents in
    March 2025, February 2025, March 2024 and June 2025; disputes, a survey, a follow-up
    and clocks in March 2025."""
    theft = Category.objects.get(code="0101")
    fraud = Category.objects.get(code="0102")
    beating = Category.objects.get(code="0201")
    fire = Category.objects.get(code="0401")

    def incident(when: dt.datetime, category: Category, **values) -> Incident:
        return make_incident(received_at=when, category=category, **values)

    march = [
        incident(at(2025, 3, 2), theft),
        incident(at(2025, 3, 5), theft),
        incident(at(2025, 3, 9), fraud),
        incident(at(2025, 3, 12), beating),
        incident(at(2025, 3, 20), beating),
        incident(at(2025, 3, 28), fire),
    ]
    # A theft in 凤台社区's grid: the community is not 零发案 in March.
    crime_in_grid = march[0]
    crime_in_grid.grid = places.grid_a
    crime_in_grid.save()
    incident(at(2025, 2, 3), theft)
    incident(at(2025, 2, 14), beating)
    for day in (1, 4, 8, 15, 22):
        incident(at(2024, 3, day), theft)
    incident(at(2024, 3, 25), beating)
    incident(at(2025, 6, 6), theft)
    incident(at(2025, 3, 7), fraud, jurisdiction=world.district_b, actor=world.b_officer)

    resolved = make_dispute(category=DisputeCategory.NEIGHBOURS)
    failed = make_dispute(category=DisputeCategory.NEIGHBOURS)
    criminal = make_dispute(category=DisputeCategory.MARRIAGE_FAMILY)
    for case, status, registered in (
        (resolved, DisputeStatus.RESOLVED, at(2025, 3, 3)),
        (failed, DisputeStatus.FAILED, at(2025, 3, 10)),
        (criminal, DisputeStatus.REGISTERED, at(2025, 3, 18)),
    ):
        case.status = status
        case.registered_at = registered
        case.turned_criminal = case is criminal
        if status != DisputeStatus.REGISTERED:
            case.closed_at = registered + dt.timedelta(days=5)
        case.save()
    FollowUp.objects.create(case=resolved, due_on=dt.date(2025, 3, 20), done_at=at(2025, 3, 20),
                            satisfaction=Satisfaction.SATISFIED, outcome="stable")  # fmt: skip
    SurveyResponse.objects.create(incident=march[1], rating="satisfied")
    SurveyResponse.objects.create(incident=march[2], rating="dissatisfied")
    SurveyResponse.objects.filter(incident__in=march[1:3]).update(at=at(2025, 3, 15))
    # Clocks: one met on time, one late, the rest of March's still running (overdue).
    clocks = list(Deadline.objects.filter(incident__in=march).order_by("due_at", "pk"))
    assert len(clocks) >= 3, "intake set no clocks"
    clocks[0].met_at = clocks[0].due_at - dt.timedelta(minutes=1)
    clocks[0].save()
    clocks[1].met_at = clocks[1].due_at + dt.timedelta(hours=2)
    clocks[1].save()
    # Survey times were moved by update(): recount from the records.
    rollups.rebuild()
    return SimpleNamespace(chief=world.a[Role.STATION_CHIEF], analyst=world.analyst)


def download(client, user, name: str, **params):
    client.force_login(user)
    return client.get(reverse(f"dashboard_reports:{name}"), params)


def workbook(content: bytes):
    return load_workbook(io.BytesIO(content))


def row_of(sheet, label: str) -> list:
    """The values of the first row whose first text cell is ``label``."""
    for row in sheet.iter_rows(values_only=True):
        texts = [value for value in row if isinstance(value, str)]
        if texts and texts[0] == label:
            return list(row)
    raise AssertionError(f"no row {label!r} in {sheet.title}")


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))


def fraction(value: Decimal | None) -> object:
    return "—" if value is None else pytest.approx(float(value) / 100)


def change_words(value: Decimal | None) -> str:
    if value is None:
        return "—"
    if value > 0:
        return f"上升{value}%"
    return f"下降{-value}%" if value < 0 else "持平"


# --- the numbers are the dashboard's -----------------------------------------------------


def test_the_month_workbook_holds_the_dashboards_numbers(client, world, data):
    board = node_dashboard(data.chief, world.station_a, MARCH)
    # The data set really exercises the figures (not a report of zeros).
    assert (board.incidents.value, board.criminal.value) == (6, 3)
    assert (board.incidents.previous, board.incidents.year_before) == (2, 6)
    assert board.disputes.value == 3 and board.disputes_resolved.value == 1
    assert board.clocks_breached > 0 and board.surveys.value == 2

    response = download(client, data.chief, "xlsx", node=world.station_a.pk, period="2025-03")
    assert response.status_code == 200
    book = workbook(response.content)
    assert book.sheetnames == ["概况", "分类", "趋势", "矛盾纠纷", "下级单位", "零发案社区"]

    overview = book["概况"]
    assert overview["A1"].value == "甲派出所 2025年3月 治安工作统计报表"
    assert any(cell.value == "数据来源：系统记录自动汇总" for cell in overview["A"])
    for label, figure in (("警情总数", board.incidents), ("其中：刑事警情", board.criminal),
                          ("矛盾纠纷受理", board.disputes), ("民转刑", board.turned_criminal),
                          ("时限按时完成", board.clocks_met)):  # fmt: skip
        assert row_of(overview, label)[:6] == [
            label,
            figure.value,
            figure.previous,
            fraction(figure.change),
            figure.year_before,
            fraction(figure.change_yoy),
        ]
    assert row_of(overview, "矛盾纠纷化解率")[2:5] == [
        board.disputes_resolved.value, board.disputes_closed.value,
        fraction(board.resolution_rate),
    ]  # fmt: skip
    assert row_of(overview, "时限达标率")[2:5] == [
        board.clocks_met.value, board.clocks_met.value + board.clocks_breached,
        fraction(board.clock_rate),
    ]  # fmt: skip
    assert row_of(overview, "报警人评价")[1:4] == [
        board.surveys.value,
        board.surveys_satisfied.value,
        fraction(board.survey_rate),
    ]
    assert row_of(overview, "回访")[1:4] == [
        board.visits.value,
        board.visits_satisfied.value,
        fraction(board.visit_rate),
    ]
    assert row_of(overview, "合计")[1:4] == [
        sum(x.figure.value for x in board.clocks_late),
        sum(x.figure.value for x in board.clocks_overdue),
        board.clocks_breached,
    ]

    categories = book["分类"]
    for row in board.by_category:
        assert row_of(categories, row.code)[1:7] == [
            row.label,
            row.figure.value,
            row.figure.previous,
            fraction(row.figure.change),
            row.figure.year_before,
            fraction(row.figure.change_yoy),
        ]
    total = next(r for r in categories.iter_rows(values_only=True) if r[1] == "合计")
    assert total[2] == board.incidents.value

    trend = book["趋势"]
    months = [r for r in trend.iter_rows(values_only=True) if r[0] and "年" in str(r[0])
              and isinstance(r[1], int)]  # fmt: skip
    assert [(r[1], r[2]) for r in months] == [(p.value, p.year_before) for p in board.trend]
    assert months[-1][0] == "2025年3月" and len(months) == 12

    disputes = book["矛盾纠纷"]
    assert row_of(disputes, "化解")[1] == board.disputes_resolved.value
    for row in board.dispute_categories:
        assert row_of(disputes, row.label)[1] == row.figure.value

    children = book["下级单位"]
    district = row_of(children, "甲一警务区")
    (child,) = board.children
    assert district[2:6] == [child.incidents.value, child.criminal.value, child.disputes.value,
                             child.breached]  # fmt: skip


def test_percent_cells_are_numbers_formatted_as_percent_and_headers_are_frozen(client, world, data):
    response = download(client, data.chief, "xlsx", node=world.station_a.pk, period="2025-03")
    book = workbook(response.content)
    overview = book["概况"]
    for row in overview.iter_rows():
        if row[0].value == "警情总数":
            assert isinstance(row[1].value, int)
            assert isinstance(row[3].value, int | float) and "%" in row[3].number_format
    header_row = int(re.sub(r"\D", "", overview.freeze_panes)) - 1
    assert overview.cell(row=header_row, column=1).value == "指标"
    assert overview.column_dimensions["A"].width >= 10


def test_the_month_pdf_holds_the_dashboards_numbers_and_title(client, world, data):
    board = node_dashboard(data.chief, world.station_a, MARCH)
    response = download(client, data.chief, "pdf", node=world.station_a.pk, period="2025-03")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "甲派出所2025年3月治安工作统计报表" in text
    assert "数据来源：系统记录自动汇总" in text
    assert "第1/" in text  # page numbers
    criminal = board.criminal
    assert (f"其中：刑事警情{criminal.value}{criminal.previous}{change_words(criminal.change)}"
            f"{criminal.year_before}{change_words(criminal.change_yoy)}") in text  # fmt: skip
    assert f"警情总数{board.incidents.value}{board.incidents.previous}" in text
    assert f"化解率{board.resolution_rate}%" in text
    assert f"时限达标率按时完成÷到期时限数{board.clocks_met.value}" in text
    for row in board.by_category:
        assert f"{row.code}{row.label}{row.figure.value}{row.figure.previous}" in text
    for point in board.trend:
        assert f"{point.month.year}年{point.month.month}月{point.value}{point.year_before}" in text
    (child,) = board.children
    assert (f"甲一警务区警务区{child.incidents.value}{child.criminal.value}"
            f"{child.disputes.value}{child.breached}") in text  # fmt: skip


def test_the_year_report_covers_the_years_twelve_months(client, world, data):
    board = node_dashboard(data.analyst, world.bureau, YEAR)
    # 2025: March 6 at A and 1 at B, February 2, June 1; 2024: March 6.
    assert (board.incidents.value, board.incidents.year_before) == (10, 6)
    response = download(client, data.analyst, "xlsx", node=world.bureau.pk, period="2025")
    book = workbook(response.content)
    overview = book["概况"]
    assert overview["A1"].value == "测试分局 2025年度 治安工作统计报表"
    assert row_of(overview, "警情总数")[:4] == [
        "警情总数",
        board.incidents.value,
        board.incidents.year_before,
        fraction(board.incidents.change_yoy),
    ]
    trend = book["趋势"]
    months = [
        r[0]
        for r in trend.iter_rows(values_only=True)
        if isinstance(r[0], str) and r[0].startswith("2025年") and isinstance(r[1], int)
    ]
    assert months == [f"2025年{m}月" for m in range(1, 13)]
    assert [p.value for p in board.trend] == [
        r[1] for r in trend.iter_rows(values_only=True) if r[0] in months
    ]
    children = {r[0]: r for r in book["下级单位"].iter_rows(values_only=True) if r[0]}
    for child in board.children:
        assert children[child.node.name][2:6] == (
            child.incidents.value,
            child.criminal.value,
            child.disputes.value,
            child.breached,
        )
    zero = [r[1] for r in book["零发案社区"].iter_rows(values_only=True) if isinstance(r[0], int)]
    assert zero == [c.name for c in board.zero_case] == ["书院社区"]

    pdf = download(client, data.analyst, "pdf", node=world.bureau.pk, period="2025")
    text = pdf_text(pdf.content)
    assert "测试分局2025年度治安工作统计报表" in text
    assert f"警情总数{board.incidents.value}{board.incidents.year_before}" in text
    assert "三、警情趋势（2025年各月）" in text
    assert "2025年12月" in text and "2024年12月" not in text
    assert "零发案（无刑事警情）1个" in text and "书院社区" in text


# --- who may download what ---------------------------------------------------------------


def test_a_unit_outside_the_scope_is_not_found(client, world, data):
    for name in ("xlsx", "pdf", "page"):
        response = download(client, data.chief, name, node=world.station_b.pk, period="2025-03")
        assert response.status_code == 404


def test_without_the_aggregates_capability_it_is_refused(client, world, data):
    mediator = world.a[Role.MEDIATOR]
    for name in ("xlsx", "pdf", "page"):
        response = download(client, mediator, name, node=world.station_a.pk, period="2025-03")
        assert response.status_code == 403
    assert not AuditEvent.objects.filter(object_type="dashboards.report").exists()


def test_a_malformed_or_future_period_is_a_bad_request(client, world, data):
    for period in ("2025-13", "25-3", "abc", "1999", "2999-01"):
        response = download(client, data.chief, "xlsx", node=world.station_a.pk, period=period)
        assert response.status_code == 400, period


def test_the_file_names_are_ascii_with_the_chinese_title_encoded(client, world, data):
    response = download(client, data.chief, "xlsx", node=world.station_a.pk, period="2025-03")
    disposition = response["Content-Disposition"]
    ascii_name = f"report-{world.station_a.pk}-2025-03.xlsx"
    assert disposition.startswith(f'attachment; filename="{ascii_name}"; ')
    chinese = quote("甲派出所2025年3月治安工作统计报表.xlsx", safe="")
    assert f"filename*=UTF-8''{chinese}" in disposition
    pdf = download(client, data.chief, "pdf", node=world.station_a.pk, period="2025")
    assert quote("甲派出所2025年度治安工作统计报表.pdf", safe="") in pdf["Content-Disposition"]


def test_a_download_is_recorded_in_the_audit_log(client, world, data):
    download(client, data.chief, "pdf", node=world.station_a.pk, period="2025-03")
    event = AuditEvent.objects.get(object_type="dashboards.report")
    assert event.action == "export" and event.actor_id == data.chief.pk
    assert event.object_id == str(world.station_a.pk)
    assert "2025年3月" in event.object_repr and "period=2025-03" in event.reason


def test_the_picker_offers_the_units_of_the_scope_and_links_the_downloads(client, world, data):
    client.force_login(data.analyst)
    response = client.get(reverse("dashboard_reports:page"),
                          {"node": world.station_a.pk, "period": "2025-03"})  # fmt: skip
    assert response.status_code == 200
    page = response.content.decode()
    for name in ("测试分局", "甲派出所", "乙派出所", "甲一警务区"):
        assert name in page
    assert "刑侦大队" not in page and "测试省公安厅" not in page
    assert reverse("dashboard_reports:xlsx") in page and reverse("dashboard_reports:pdf") in page
    assert 'value="2025-03" selected' in page
    assert "甲派出所 2025年3月 治安工作统计报表" in page


# --- the layout, on its own --------------------------------------------------------------


def test_a_unit_named_like_a_formula_stays_text_in_the_workbook(world, data):
    world.station_a.name = "=HYPERLINK(1)"
    board_user = data.chief
    report = reports.build_report(board_user, world.station_a, MARCH)
    book = workbook(reports.report_xlsx(report))
    assert book["概况"]["A1"].value == safe_cell(report.title)
    assert book["概况"]["A1"].value.startswith("'=")


def test_a_long_table_repeats_its_header_on_every_page(world):
    # A bureau with 90 stations: the 下级单位 table runs over pages.
    bureau = make_node(Kind.COUNTY_BUREAU, "大分局", world.bureau.parent)
    for n in range(90):
        make_node(Kind.STATION, f"第{n + 1}派出所", bureau)
    analyst = make_user(Role.ANALYST, bureau)
    report = reports.build_report(analyst, bureau, MARCH)
    reader = PdfReader(io.BytesIO(reports.report_pdf(report)))
    pages = [re.sub(r"\s+", "", page.extract_text()) for page in reader.pages]
    with_rows = [text for text in pages if "派出所派出所" in text]
    assert len(with_rows) >= 2
    assert all("单位类别警情刑事警情矛盾纠纷超时时限" in text for text in with_rows)
    assert all(f"/{len(pages)}页" in text for text in pages)
