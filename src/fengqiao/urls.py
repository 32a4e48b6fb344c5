from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from django.views.i18n import set_language

from fengqiao.api.api import api
from fengqiao.core import errors


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("dashboard/reports/", include("fengqiao.dashboards.report_urls")),
    path("", include("fengqiao.dashboards.urls")),
    path("accounts/staff/", include("fengqiao.personnel.urls")),
    path("accounts/", include("fengqiao.accounts.urls")),
    path("setup/", include("fengqiao.setup.urls")),
    path("jurisdictions/", include("fengqiao.jurisdictions.urls")),
    path("registry/import/", include("fengqiao.registry.import_urls")),
    path("registry/", include("fengqiao.registry.urls")),
    path("addresses/", include("fengqiao.addresses.urls")),
    path("audit/", include("fengqiao.audit.urls")),
    # Without a CSRF token, so the public pages (doorplates, cached by proxies) carry the
    # switch and still set no cookie; the worst a forged post can do is change a language.
    path("i18n/setlang/", csrf_exempt(set_language), name="set_language"),
    path("api/v1/", api.urls),
    path("incidents/", include("fengqiao.incidents.urls")),
    path("disputes/", include("fengqiao.disputes.urls")),
    path("scoring/", include("fengqiao.scoring.urls")),
    path("staffing/", include("fengqiao.scoring.staffing_urls")),
    path("", include("fengqiao.portal.urls")),
    path("healthz", healthz, name="healthz"),
]

handler500 = errors.server_error
