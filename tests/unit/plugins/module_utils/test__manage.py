"""Unit tests of the manage module's pure logic: Django output parsing, files, argv, redaction."""

from __future__ import annotations

import pytest

from ansible_collections.dockyard.django.plugins.module_utils._manage import (
    REDACTED,
    build_cmd,
    check_argv,
    check_volume,
    collectstatic_changed,
    command_kind,
    migrate_changed,
    parse_env_file,
    parse_migrate_progress,
    parse_plan,
    plan_argv,
    redact,
    redact_all,
    secret_values,
    tail,
)
from ansible_collections.dockyard.django.plugins.module_utils._validation import ValidationError

# Real Django 4.2 output (python manage.py migrate --noinput), first run.
MIGRATE_FIRST = """\
Operations to perform:
  Apply all migrations: contenttypes, notes
Running migrations:
  Applying contenttypes.0001_initial... OK
  Applying contenttypes.0002_remove_content_type_name... OK
  Applying notes.0001_initial... OK
"""

MIGRATE_NOTHING = """\
Operations to perform:
  Apply all migrations: contenttypes, notes
Running migrations:
  No migrations to apply.
"""

# --verbosity 2 adds timings; a coloured terminal adds escapes.
MIGRATE_VERBOSE_COLOURED = (
    "\x1b[36;1mOperations to perform:\x1b[0m\n"
    "\x1b[1m  Apply all migrations: \x1b[0mnotes\n"
    "\x1b[36;1mRunning migrations:\x1b[0m\n"
    "  Applying notes.0002_seed_note...\x1b[32;1m OK (0.004s)\x1b[0m\n"
)

MIGRATE_BACKWARDS = """\
Operations to perform:
  Target specific migration: 0001_initial, from notes
Running migrations:
  Rendering model states... DONE
  Unapplying notes.0002_seed_note... OK
"""

MIGRATE_FAKED = """\
Operations to perform:
  Apply all migrations: notes
Running migrations:
  Applying notes.0002_seed_note... FAKED
"""

PLAN_PENDING = """\
Planned operations:
contenttypes.0001_initial
    Create model ContentType
    Alter unique_together for contenttype (1 constraint(s))
contenttypes.0002_remove_content_type_name
    Change Meta options on contenttype
    Alter field name on contenttype
    Raw Python operation
    Remove field name from contenttype
notes.0001_initial
    Create model Note
"""

PLAN_DATA_ONLY = """\
Planned operations:
notes.0002_seed_note
    Raw Python operation -> Seed a note.
"""

PLAN_EMPTY = """\
Planned operations:
  No planned migration operations.
"""

COLLECTSTATIC_COPIED = "\n1 static file copied to '/static'.\n"
COLLECTSTATIC_MANY = "\n130 static files copied to '/static', 2 unmodified.\n"
COLLECTSTATIC_NOTHING = "\n0 static files copied to '/static', 131 unmodified.\n"
# ManifestStaticFilesStorage post-processes every file on every run, copying nothing.
COLLECTSTATIC_MANIFEST_NOTHING = "\n0 static files copied to '/static', 131 unmodified, 131 post-processed.\n"
COLLECTSTATIC_LINKED = "\n4 static files symlinked to '/static'.\n"
COLLECTSTATIC_DRY_RUN = "Pretending to copy '/app/notes/static/notes/notes.css'\n\n1 static file copied to '/static'.\n"


# -- migrate ------------------------------------------------------------------------------------

def test_first_migrate_lists_applied_in_order() -> None:
    applied, unapplied = parse_migrate_progress(MIGRATE_FIRST)
    assert applied == ["contenttypes.0001_initial", "contenttypes.0002_remove_content_type_name", "notes.0001_initial"]
    assert unapplied == []
    assert migrate_changed(MIGRATE_FIRST)


def test_no_migrations_to_apply_is_not_a_change() -> None:
    assert parse_migrate_progress(MIGRATE_NOTHING) == ([], [])
    assert not migrate_changed(MIGRATE_NOTHING)


def test_verbose_coloured_output_is_parsed() -> None:
    assert parse_migrate_progress(MIGRATE_VERBOSE_COLOURED) == (["notes.0002_seed_note"], [])
    assert migrate_changed(MIGRATE_VERBOSE_COLOURED)


def test_unapplying_is_a_change() -> None:
    assert parse_migrate_progress(MIGRATE_BACKWARDS) == ([], ["notes.0002_seed_note"])
    assert migrate_changed(MIGRATE_BACKWARDS)


def test_faked_counts_as_applied() -> None:
    assert parse_migrate_progress(MIGRATE_FAKED) == (["notes.0002_seed_note"], [])


def test_silent_migrate_is_assumed_changed() -> None:
    # --verbosity 0 prints nothing: we cannot know, so we do not claim "ok".
    assert migrate_changed("")


# -- migrate --plan -----------------------------------------------------------------------------

def test_plan_lists_migrations_not_operations() -> None:
    assert parse_plan(PLAN_PENDING) == [
        "contenttypes.0001_initial", "contenttypes.0002_remove_content_type_name", "notes.0001_initial",
    ]


def test_plan_with_data_migration_only() -> None:
    assert parse_plan(PLAN_DATA_ONLY) == ["notes.0002_seed_note"]


def test_empty_plan() -> None:
    assert parse_plan(PLAN_EMPTY) == []


def test_plan_ignores_warnings_before_the_header() -> None:
    text = "System check identified some issues:\nnotes.W001 something\n" + PLAN_DATA_ONLY
    assert parse_plan(text) == ["notes.0002_seed_note"]


def test_output_without_plan_is_an_error() -> None:
    with pytest.raises(ValueError, match="Planned operations"):
        parse_plan("Unknown command: 'migrate'\n")


# -- collectstatic ------------------------------------------------------------------------------

@pytest.mark.parametrize("output", [COLLECTSTATIC_COPIED, COLLECTSTATIC_MANY, COLLECTSTATIC_LINKED,
                                    COLLECTSTATIC_DRY_RUN, ""])
def test_collectstatic_changed(output: str) -> None:
    assert collectstatic_changed(output)


@pytest.mark.parametrize("output", [COLLECTSTATIC_NOTHING, COLLECTSTATIC_MANIFEST_NOTHING])
def test_collectstatic_unchanged(output: str) -> None:
    assert not collectstatic_changed(output)


# -- env file -----------------------------------------------------------------------------------

ENV_FILE = """\
# shop's environment (root 0600)

SECRET_KEY=abc#def
export DATABASE_URL=postgres://shop:p%40ss@db1/shop
DEBUG=0   # bare values end at ' #'
SINGLE='literal $HOME \\n # kept'
DOUBLE="line1\\nline2 \\"quoted\\" # kept"
EMPTY=
  SPACED = value with spaces
DOTTED.KEY=x
"""


def test_env_file() -> None:
    assert parse_env_file(ENV_FILE, "/etc/default/shop") == {
        "SECRET_KEY": "abc#def",
        "DATABASE_URL": "postgres://shop:p%40ss@db1/shop",
        "DEBUG": "0",
        "SINGLE": "literal $HOME \\n # kept",
        "DOUBLE": 'line1\nline2 "quoted" # kept',
        "EMPTY": "",
        "SPACED": "value with spaces",
        "DOTTED.KEY": "x",
    }


def test_later_lines_win() -> None:
    assert parse_env_file("A=1\nA=2\n", "f") == {"A": "2"}


@pytest.mark.parametrize("text, line", [
    ("GOOD=1\njust some text {s}\n", 2),
    ("={s}\n", 1),
    ("BAD KEY={s}\n", 1),
    ("1ABC={s}\n", 1),
    ("A=1\nB='unterminated {s}\n", 2),
    ('A="{s}" trailing\n', 1),
])
def test_bad_env_lines_are_named_by_number_not_content(text: str, line: int) -> None:
    with pytest.raises(ValidationError, match=f"/etc/default/shop line {line}") as info:
        parse_env_file(text.format(s="hunter22"), "/etc/default/shop")
    assert "hunter22" not in str(info.value)


# -- argv, volumes ------------------------------------------------------------------------------

def test_build_cmd() -> None:
    assert build_cmd(["python", "manage.py"], ["migrate", "--noinput"]) == ["python", "manage.py", "migrate", "--noinput"]
    assert build_cmd([], ["migrate"]) == ["migrate"]


def test_plan_argv_keeps_target_and_options() -> None:
    assert plan_argv(["migrate", "notes", "0002", "--noinput"]) == ["migrate", "notes", "0002", "--noinput", "--plan"]
    assert plan_argv(["migrate", "--plan"]) == ["migrate", "--plan"]


@pytest.mark.parametrize("argv, kind", [(["migrate"], "migrate"), (["collectstatic", "--noinput"], "collectstatic"),
                                        (["check", "--deploy"], "read-only"), (["showmigrations", "migrate"], "read-only"),
                                        (["migrate", "--plan"], "read-only"), (["migrate", "notes", "--check"], "read-only"),
                                        (["compress"], "other"), (["createsuperuser", "--noinput"], "other"), ([], "other")])
def test_command_kind(argv: list[str], kind: str) -> None:
    assert command_kind(argv) == kind


@pytest.mark.parametrize("argv", [[], "migrate", ["--noinput"], [""], ["migrate", 3], None])
def test_bad_argv(argv: object) -> None:
    with pytest.raises(ValidationError, match="argv"):
        check_argv(argv)


@pytest.mark.parametrize("spec", ["/srv/shop/static:/static", "/srv/data:/data:rw", "shopdata:/data:ro,z"])
def test_good_volumes(spec: str) -> None:
    assert check_volume(spec) == spec


@pytest.mark.parametrize("spec", ["", "/only-one", "/a:relative", "/a:/b:bogus", "/a:/b:ro:extra", ":/b", 5])
def test_bad_volumes(spec: object) -> None:
    with pytest.raises(ValidationError, match="volumes"):
        check_volume(spec)


# -- redaction ----------------------------------------------------------------------------------

def test_secret_values_skip_short_and_flag_values_longest_first() -> None:
    env = {"SECRET_KEY": "s3cr3t-key", "PART": "s3cr3t", "DEBUG": "1", "FLAG": "True", "PORT": "543", "E": ""}
    assert secret_values(env) == ["s3cr3t-key", "s3cr3t"]


def test_redact_masks_whole_values_even_when_one_contains_another() -> None:
    secrets = secret_values({"A": "s3cr3t", "B": "s3cr3t-key"})
    assert redact("key=s3cr3t-key, part=s3cr3t.", secrets) == f"key={REDACTED}, part={REDACTED}."


def test_redact_all_walks_results() -> None:
    result = {"stdout": "SECRET_KEY is hunter22", "cmd": ["echo", "hunter22"], "rc": 0, "nested": {"x": "hunter22"}}
    assert redact_all(result, ["hunter22"]) == {
        "stdout": f"SECRET_KEY is {REDACTED}", "cmd": ["echo", REDACTED], "rc": 0, "nested": {"x": REDACTED},
    }


def test_tail_keeps_the_end() -> None:
    text = "\n".join(f"line {n}" for n in range(100))
    assert tail(text, lines=3) == "line 97\nline 98\nline 99"
    assert tail("x" * 5000, chars=10) == "..." + "x" * 10


def test_dockyard_keys_are_not_masked() -> None:
    from ansible_collections.dockyard.django.plugins.module_utils._manage import secret_values
    values = secret_values({"DOCKYARD_IMAGE": "registry:5000/demo", "SECRET_KEY": "s3cret-value"})
    assert values == ["s3cret-value"]


def test_url_passwords_are_secrets_on_their_own() -> None:
    env = {"DATABASE_URL": "postgres://shop:p%40ssw0rd-long@db1:5432/shop", "DEBUG": "false"}
    secrets = secret_values(env)
    assert "p%40ssw0rd-long" in secrets and "p@ssw0rd-long" in secrets
    assert redact("'PASSWORD': 'p@ssw0rd-long'", secrets) == "'PASSWORD': '********'"
