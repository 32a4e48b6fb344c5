from django.apps import AppConfig


class RollupsConfig(AppConfig):
    """汇总: the counts every domain keeps and the dashboards and scores read. It sits
    below the domains and imports none: each domain registers its facts here
    (:func:`fengqiao.rollups.store.register`, from its ``facts.py`` in its own ``ready``)."""

    name = "fengqiao.rollups"
    label = "rollups"

    def ready(self) -> None:
        from fengqiao.rollups import tree

        tree.connect()  # counts follow a moved or merged unit
