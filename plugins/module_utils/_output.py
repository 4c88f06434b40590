# Copyright: dockyard.django contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a person acts on in a command's error output: its last meaningful line.

A Python traceback ends with the exception ("django.db.utils.ProgrammingError: ..."), but the
lines around it are decoration: "Traceback (most recent call last):", "File ..., line N",
the carets under the failing expression. Failure messages quote the last line that is not
decoration; the whole output stays in the module's result.

Private to this collection (the leading underscore): no compatibility promise.
"""

from __future__ import annotations

import re

_ANSI_RE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_DECORATION_RE = re.compile(
    r"^(?:[\^~\s]+"
    r"|Traceback \(most recent call last\):"
    r"|File \".*\", line \d+.*"
    r"|During handling of the above exception, another exception occurred:"
    r"|The above exception was the direct cause of the following exception:"
    r"|[-=_*]{3,})$"
)
MAX_LINE = 300


def last_error_line(text: str) -> str:
    """The last line of ``text`` that is not traceback decoration, stripped, at most 300
    characters; empty when there is none."""
    for line in reversed(_ANSI_RE.sub("", text or "").splitlines()):
        line = line.strip()
        if line and not _DECORATION_RE.match(line):
            return line if len(line) <= MAX_LINE else line[:MAX_LINE - 3] + "..."
    return ""
