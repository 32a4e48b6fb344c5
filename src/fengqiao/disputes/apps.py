from django.apps import AppConfig


class DisputesConfig(AppConfig):
    name = "fengqiao.disputes"
    label = "disputes"

    def ready(self) -> None:
        from fengqiao.disputes import facts

        facts.connect()  # the disputes' counts, kept by the rollups
        register_open_work()
        # The timeline's sentences: they name enums of several modules of the app.
        from fengqiao.disputes import timeline  # noqa: F401


def register_open_work() -> None:
    """What keeps a unit from being retired (辖区撤销): its open dispute cases."""
    from django.utils.translation import gettext_lazy as _

    from fengqiao.disputes.models import OPEN_STATUSES, DisputeCase
    from fengqiao.jurisdictions.editing import register_open_work as register

    register(
        "disputes",
        label=_("%(n)d 件未办结矛盾纠纷"),
        count=lambda node: DisputeCase.objects.filter(
            jurisdiction=node, status__in=OPEN_STATUSES
        ).count(),
    )
