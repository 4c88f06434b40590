"""Celery tasks."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from notes.models import Heartbeat


@shared_task(ignore_result=True)
def heartbeat(beat_host: str, beat_container: str) -> int:
    """Record one beat tick; beat passes its own identity (see CELERY_BEAT_SCHEDULE)."""
    row = Heartbeat.objects.create(beat_host=beat_host, beat_container=beat_container,
                                   worker_host=settings.DOCKYARD_HOST)
    return row.pk
