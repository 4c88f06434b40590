from __future__ import annotations

from django.contrib import admin

from notes.models import Heartbeat, Note

admin.site.register(Note)
admin.site.register(Heartbeat)
