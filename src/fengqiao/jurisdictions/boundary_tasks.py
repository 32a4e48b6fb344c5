"""边界上传的后台任务: checking and saving a large outline file off the request."""

from __future__ import annotations

from django_tasks import task

from fengqiao.jurisdictions import boundaries


@task()
def check_boundaries(upload_id: int) -> None:
    """Background check (and preview) of a boundary upload."""
    boundaries.run_check(upload_id)


@task()
def save_boundaries(upload_id: int) -> None:
    """Background save of a checked boundary upload (one transaction)."""
    boundaries.run_save(upload_id)
