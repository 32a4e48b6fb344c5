"""Errors a user meets are pages of the site, in his language: the frame and its
navigation, what happened, and where to go next — never Django's bare English pages."""

from __future__ import annotations

import pytest
from django.test import Client

from fengqiao.core.roles import Role

# status → (what a request reaches it by, the heading in Chinese, in English)
HEADINGS = {
    400: ("请求有误", "Bad request"),
    403: ("无权访问", "Not allowed"),
    404: ("页面不存在", "Page not found"),
    500: ("服务器出错", "Server error"),
}
URLS = {
    400: "/incidents/?q=%00",
    403: "/audit/",
    404: "/incidents/999999/",
    500: "/test-failure/",
}


@pytest.fixture
def client_in(world):
    def make(language: str) -> Client:
        client = Client(raise_request_exception=False)
        client.force_login(world.a[Role.CASE_OFFICER])  # no audit log: a 403 there
        client.cookies["fengqiao_language"] = language
        return client

    return make


@pytest.mark.urls("tests.error_urls")
@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("status", sorted(URLS))
def test_an_error_is_a_page_of_the_site_in_the_readers_language(client_in, status, language):
    answer = client_in(language).get(URLS[status])
    page = answer.content.decode()
    assert answer.status_code == status
    assert 'data-testid="error-page"' in page and 'id="mainnav"' in page
    assert f'<html lang="{language}">' in page
    assert 'href="/"' in page  # the way back home
    chinese, english = HEADINGS[status]
    assert (english if language == "en" else chinese) in page, page[:2000]
    if language == "en":
        assert not any("\u4e00" <= ch <= "\u9fff" for ch in _main(page)), _main(page)


def _main(page: str) -> str:
    """The text of the error card (the navigation may hold the language switch's 中文)."""
    start = page.index('data-testid="error-page"')
    return page[start : page.index("</section>", start)]


def test_a_signed_out_visitor_is_sent_to_the_login_not_an_error(db):
    answer = Client().get("/incidents/")
    assert answer.status_code == 302 and "/accounts/login/" in answer["Location"]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_signed_out_visitor_gets_the_404_page_with_a_way_to_log_in(db, language):
    client = Client()
    client.cookies["fengqiao_language"] = language
    page = client.get("/no-such-page/").content.decode()
    assert 'data-testid="error-page"' in page and 'href="/accounts/login/"' in page
