"""Background tasks of the 警情 app (django-tasks, worked by ``manage.py db_worker``)."""

from __future__ import annotations

from django_tasks import task

from fengqiao.incidents import whistles


@task()
def escalate_whistles() -> int:
    """升级督办: escalate the whistles (吹哨报到) still open after their due time; return
    how many were escalated. Idempotent, so it may run as often as wanted — every few
    minutes, enqueued by ``manage.py escalate_whistles --enqueue`` from cron."""
    return whistles.escalate_overdue()
