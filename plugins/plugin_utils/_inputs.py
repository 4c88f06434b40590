# Copyright: dockyard.django contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the input checks of the playbooks share: how a bad value is shown in a message, and
how a whole number typed on the command line is read."""

from __future__ import annotations

import re
from typing import Any

_WHOLE_RE = re.compile(r"^[0-9]+$")


def shown(value: Any) -> str:
    """The value as a message quotes it (long values cut, so one line stays one line)."""
    text = str(value)
    return repr(text if len(text) <= 60 else text[:57] + "...")


def whole(value: Any) -> int | None:
    """A whole number given as an int or as digits (the command line gives strings); else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _WHOLE_RE.match(value.strip()):
        return int(value.strip())
    return None
