from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "fengqiao.incidents"
    label = "incidents"

    def ready(self) -> None:
        from fengqiao.incidents import facts

        facts.connect()  # the incidents' counts, kept by the rollups
        register_open_work()


def register_open_work() -> None:
    """What keeps a unit from being retired (辖区撤销): its open incidents and whistles."""
    from django.db.models import Q
    from django.utils.translation import gettext_lazy as _

    from fengqiao.incidents.models import OPEN_STATUSES, OPEN_WHISTLES, Incident, WhistleRequest
    from fengqiao.jurisdictions.editing import register_open_work as register

    register(
        "incidents",
        label=_("%(n)d 起未办结警情"),
        count=lambda node: Incident.objects.filter(
            jurisdiction=node, status__in=OPEN_STATUSES
        ).count(),
    )
    register(
        "whistles",
        label=_("%(n)d 个未办结的吹哨请求"),
        count=lambda node: WhistleRequest.objects.filter(
            Q(raised_by_unit=node) | Q(to_unit=node), status__in=OPEN_WHISTLES
        ).count(),
    )
