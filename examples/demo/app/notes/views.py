"""The page: the release, the latest notes, a form to add one (CSRF-protected)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from notes.forms import NoteForm
from notes.models import Heartbeat, Note


def index(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = NoteForm(request.POST)
        if form.is_valid():
            form.save()
            return redirect("index")
    else:
        form = NoteForm()
    context = {
        "form": form,
        "notes": Note.objects.all()[:10],
        "heartbeat": Heartbeat.objects.first(),
        "release": settings.DOCKYARD_RELEASE,
        "host": settings.DOCKYARD_HOST,
    }
    return render(request, "notes/index.html", context)
