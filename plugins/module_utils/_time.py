# Copyright: dockyard.django contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one clock of the collection's modules: UTC, to the second, written as ISO 8601 with a 'Z'.

Private to this collection (the leading underscore): no compatibility promise.
"""

from __future__ import annotations

from datetime import datetime, timezone

ISO_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def utc_now() -> datetime:
    """The current time in UTC, without microseconds."""
    return datetime.now(timezone.utc).replace(microsecond=0)


def format_utc(moment: datetime) -> str:
    """``moment`` as ISO 8601 UTC with a 'Z': 2026-11-30T16:00:00Z."""
    return moment.astimezone(timezone.utc).strftime(ISO_FORMAT)


def parse_utc(text: str) -> datetime:
    """The moment a :func:`format_utc` text names; ValueError when it is not one."""
    return datetime.strptime(text, ISO_FORMAT).replace(tzinfo=timezone.utc)
