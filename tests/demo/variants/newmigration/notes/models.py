"""VARIANT newmigration: the models of the next release (Note.pinned added by 0003)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class Note(models.Model):
    title = models.CharField(max_length=200)
    # Added by 0002 with a database default, so a row inserted by an older release (one
    # that does not know the column, e.g. after a rollback) still gets a value.
    body = models.TextField(blank=True, default="", db_default="")
    # VARIANT newmigration: added by 0003_note_pinned, with a database default for rollbacks.
    pinned = models.BooleanField(default=False, db_default=False)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class Heartbeat(models.Model):
    """One row per beat tick: which beat sent it, which worker ran it, and when."""

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    beat_host = models.CharField(max_length=255)
    beat_container = models.CharField(max_length=255)
    worker_host = models.CharField(max_length=255)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.created_at.isoformat()} beat={self.beat_host} worker={self.worker_host}"
