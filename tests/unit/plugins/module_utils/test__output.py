"""Unit tests of the line a failure message quotes from an error output."""

from __future__ import annotations

import pytest

from ansible_collections.dockyard.django.plugins.module_utils._output import last_error_line

MIGRATION_FAILURE = """\
Operations to perform:
  Apply all migrations: notes
Running migrations:
  Applying notes.0003_fail_on_purpose...Traceback (most recent call last):
  File "/app/manage.py", line 22, in <module>
    main()
    ~~~~^^
  File "/opt/venv/lib/python3.13/site-packages/django/db/migrations/operations/special.py", line 196, in database_forwards
    self.code(from_state.apps, schema_editor)
    ~~~~~~~~~^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "/app/notes/migrations/0003_fail_on_purpose.py", line 8, in fail
    raise RuntimeError("this migration fails on purpose")
RuntimeError: this migration fails on purpose
"""
# Docker keeps the first 4096 bytes of a health check's output: the exception may be cut off.
TRUNCATED = 'Traceback (most recent call last):\n  File "<string>", line 1, in <module>\n' \
            '    import urllib.request; urllib.request.urlopen(u)\n                           ^^^^^^^^^^^^^^^\n'


@pytest.mark.parametrize(("text", "line"), [
    (MIGRATION_FAILURE, "RuntimeError: this migration fails on purpose"),
    ("health path answered 301 to https://demo.lab/healthz\n\n", "health path answered 301 to https://demo.lab/healthz"),
    (TRUNCATED, "import urllib.request; urllib.request.urlopen(u)"),
    ("\x1b[31mCommandError: boom\x1b[0m", "CommandError: boom"),
    ("", ""),
    ("^^^^\n", ""),
])
def test_last_error_line(text: str, line: str) -> None:
    assert last_error_line(text) == line


def test_long_lines_are_cut() -> None:
    assert len(last_error_line("x" * 1000)) == 300
