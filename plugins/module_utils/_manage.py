# Copyright: dockyard.django contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure logic of the manage module: no Docker, no files, so it is unit-testable.

Reading a release's TAG file and an app's env file, building the container's argv,
validating volume specs, telling from Django's own output whether anything changed, and
keeping the env file's values out of everything the module returns.

Private to this collection (the leading underscore): no compatibility promise.
"""

from __future__ import annotations

import re
from urllib.parse import unquote
from collections.abc import Iterable, Sequence

from ansible_collections.dockyard.django.plugins.module_utils._validation import ValidationError

REDACTED = "********"

# Shorter values would blank out ordinary words and digits all over the output while
# protecting nothing worth a secret's name.
MIN_SECRET_LENGTH = 4

# Flags, not secrets: masking them would make every "True" in Django's output unreadable.
_NOT_SECRET = frozenset({"true", "false", "none", "null", "yes", "off"})

# Django colours its output on a TTY or when asked to (FORCE_COLOR); parse the plain text.
_ANSI_RE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

# A release as the classic docker-runner convention records it: `export TAG=<tag>`.

_ENV_KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")

# migrate's progress lines: "  Applying notes.0002_x... OK" (" (0.004s)" from verbosity 2 on).
_PROGRESS_RE = re.compile(r"^\s*(Applying|Unapplying) ([\w]+\.[\w]+)\.\.\.\s*(OK|FAKED)\b", re.MULTILINE)

# migrate --plan lists each migration as "app_label.name" at column 0, its operations indented.
_URL_PASSWORD_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[^:/@]*:(?P<password>[^@/]+)@")
_PLAN_ITEM_RE = re.compile(r"^([A-Za-z_]\w*\.\w+)\s*$")

# collectstatic's summary: "0 static files copied to '/static', 130 unmodified."
# ("symlinked" with --link; the count is "1 static file" when singular).
_COLLECTSTATIC_RE = re.compile(r"(\d+) static files? (?:copied|symlinked)\b")

_VOLUME_MODES = frozenset({"ro", "rw", "z", "Z", "nocopy", "shared", "rshared", "slave", "rslave",
                           "private", "rprivate"})


def strip_ansi(text: str) -> str:
    return _ANSI_RE.sub("", text)


# ---------------------------------------------------------------------------------------------
# Inputs: the release's TAG file, the env file, volumes, argv.
# ---------------------------------------------------------------------------------------------

def _unquote_env_value(raw: str, lineno: int, path: str) -> str:
    """Decode a value the way docker compose reads env_file: quoted or bare."""
    raw = raw.strip()
    if raw[:1] in ("'", '"'):
        quote = raw[0]
        end = _closing_quote(raw, quote)
        if end < 0:
            raise ValidationError(f"{path} line {lineno}: unterminated {quote} quote")
        rest = raw[end + 1:].strip()
        if rest and not rest.startswith("#"):
            raise ValidationError(f"{path} line {lineno}: unexpected text after the closing quote")
        inner = raw[1:end]
        return _unescape_double(inner) if quote == '"' else inner
    # A bare value ends at a comment only when whitespace precedes the '#', so "a#b" keeps it.
    return re.split(r"\s+#", raw, maxsplit=1)[0].rstrip()


def _closing_quote(raw: str, quote: str) -> int:
    index = 1
    while index < len(raw):
        if raw[index] == "\\" and quote == '"':
            index += 2
            continue
        if raw[index] == quote:
            return index
        index += 1
    return -1


def _unescape_double(inner: str) -> str:
    escapes = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "$": "$"}
    return re.sub(r"\\(.)", lambda m: escapes.get(m.group(1), "\\" + m.group(1)), inner)


def parse_env_file(text: str, path: str) -> dict[str, str]:
    """Parse an env file (``KEY=value`` lines, 12-factor) into a dict.

    Blank lines and ``#`` comments are skipped, an ``export `` prefix is allowed, values may be
    single-quoted (literal) or double-quoted (``\\n``, ``\\"``, ``\\\\`` escapes). Errors name the
    line number but never the line: it may hold a secret.
    """
    env: dict[str, str] = {}
    for lineno, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("export "):
            stripped = stripped[len("export "):].lstrip()
        key, sep, raw = stripped.partition("=")
        key = key.strip()
        if not sep or not _ENV_KEY_RE.match(key):
            raise ValidationError(f"{path} line {lineno} is not a KEY=value line")
        env[key] = _unquote_env_value(raw, lineno, path)
    return env


def check_volume(spec: object) -> str:
    """Return ``spec`` if it is ``src:dst[:mode]`` with an absolute dst, else raise."""
    if not isinstance(spec, str) or not spec:
        raise ValidationError(f"volumes: each entry must be a non-empty 'src:dst[:mode]' string, got {spec!r}")
    parts = spec.split(":")
    if len(parts) not in (2, 3) or not parts[0] or not parts[1]:
        raise ValidationError(f"volumes: {spec!r} is not 'src:dst[:mode]'")
    if not parts[1].startswith("/"):
        raise ValidationError(f"volumes: {spec!r}: the container path {parts[1]!r} must be absolute")
    if len(parts) == 3 and not set(parts[2].split(",")) <= _VOLUME_MODES:
        raise ValidationError(f"volumes: {spec!r}: unknown mode {parts[2]!r} "
                              f"(one or more of {', '.join(sorted(_VOLUME_MODES))}, comma-separated)")
    return spec


def check_argv(argv: object, what: str = "argv") -> list[str]:
    """Return ``argv`` as a list of strings if it names a command, else raise."""
    if not isinstance(argv, list) or not argv:
        raise ValidationError(f"{what} must be a non-empty list naming the manage.py command, e.g. [migrate, --noinput]")
    if not all(isinstance(item, str) for item in argv) or not argv[0].strip():
        raise ValidationError(f"{what} must be a list of strings whose first item is the command name")
    if argv[0].startswith("-"):
        raise ValidationError(f"{what} must start with the command name, not an option ({argv[0]!r})")
    return list(argv)


# Django's own commands that only read (the database, the settings, the files): they change
# nothing, whatever the module's `changes` says. migrate --plan and --check only read too.
READ_ONLY_COMMANDS = frozenset({"check", "diffsettings", "dumpdata", "findstatic", "help", "inspectdb",
                                "showmigrations", "sqlflush", "sqlmigrate", "sqlsequencereset", "version"})
_READ_ONLY_MIGRATE_OPTIONS = frozenset({"--plan", "--check"})


def command_kind(argv: Sequence[str]) -> str:
    """'migrate' or 'collectstatic' (their output tells what changed), 'read-only' (changes
    nothing) or 'other' (the module's `changes` tells)."""
    if not argv:
        return "other"
    if argv[0] in READ_ONLY_COMMANDS or (argv[0] == "migrate" and _READ_ONLY_MIGRATE_OPTIONS & set(argv)):
        return "read-only"
    return argv[0] if argv[0] in ("migrate", "collectstatic") else "other"


def plan_argv(argv: Sequence[str]) -> list[str]:
    """The read-only variant of a migrate argv: same target and options, plus --plan."""
    return list(argv) if "--plan" in argv else [*argv, "--plan"]


def build_cmd(manage: Sequence[str], argv: Sequence[str]) -> list[str]:
    """The container's command: what runs manage.py, then the manage.py argv."""
    return [*manage, *argv]


# ---------------------------------------------------------------------------------------------
# Outputs: what Django says it did.
# ---------------------------------------------------------------------------------------------

def parse_migrate_progress(stdout: str) -> tuple[list[str], list[str]]:
    """Return (applied, unapplied) migration names from migrate's progress lines."""
    applied: list[str] = []
    unapplied: list[str] = []
    for verb, name, _status in _PROGRESS_RE.findall(strip_ansi(stdout)):
        (applied if verb == "Applying" else unapplied).append(name)
    return applied, unapplied


def migrate_changed(stdout: str) -> bool:
    """Whether a migrate run changed the database, as far as its output tells.

    Without Django's own "No migrations to apply." (e.g. at --verbosity 0) we cannot know,
    so the answer is the safe one: changed.
    """
    applied, unapplied = parse_migrate_progress(stdout)
    if applied or unapplied:
        return True
    return "No migrations to apply." not in strip_ansi(stdout)


def parse_plan(stdout: str) -> list[str]:
    """Return the migrations `migrate --plan` lists, in order ('app.name')."""
    text = strip_ansi(stdout)
    _before, found, body = text.partition("Planned operations:")
    if not found:
        raise ValueError("no 'Planned operations:' in the output of migrate --plan")
    return [match.group(1) for line in body.splitlines() if (match := _PLAN_ITEM_RE.match(line))]


def collectstatic_changed(stdout: str) -> bool:
    """Whether collectstatic wrote anything: its summary counts copied/symlinked files.

    'post-processed' is ignored: hashed storages re-process every file on every run without
    changing any. No summary (--verbosity 0) means we cannot know: changed.
    """
    counts = [int(count) for count in _COLLECTSTATIC_RE.findall(strip_ansi(stdout))]
    return not counts or any(counts)


# ---------------------------------------------------------------------------------------------
# Secrets.
# ---------------------------------------------------------------------------------------------

# Keys the django_app role writes itself (app name, image, host): public, and masking them
# would hide the image name in every message.
_PUBLIC_KEY_PREFIX = "DOCKYARD_"


def secret_values(env: dict[str, str]) -> list[str]:
    """The env values worth masking, longest first so that a value containing another goes whole.

    The password of a URL value (DATABASE_URL, CELERY_BROKER_URL) counts on its own too, as it
    is and decoded: Django prints it alone (diffsettings shows DATABASES' PASSWORD).
    """
    values = {value for key, value in env.items()
              if len(value) >= MIN_SECRET_LENGTH and value.lower() not in _NOT_SECRET
              and not key.startswith(_PUBLIC_KEY_PREFIX)}
    for value in list(values):
        password = _url_password(value)
        if password:
            values |= {password, unquote(password)}
    return sorted(values, key=len, reverse=True)


def _url_password(value: str) -> str | None:
    """The password part of scheme://user:password@host/..., as written, else None."""
    match = _URL_PASSWORD_RE.match(value)
    return match.group("password") if match and len(match.group("password")) >= MIN_SECRET_LENGTH else None


def redact(text: str, secrets: Iterable[str]) -> str:
    """Replace every occurrence of every secret in ``text`` with ``********``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return text


def redact_all(value: object, secrets: Sequence[str]) -> object:
    """Redact strings inside nested lists/dicts, for whole result dicts."""
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, list):
        return [redact_all(item, secrets) for item in value]
    if isinstance(value, dict):
        return {key: redact_all(item, secrets) for key, item in value.items()}
    return value


def tail(text: str, lines: int = 20, chars: int = 2000) -> str:
    """The end of a command's output, short enough for a failure message."""
    kept = "\n".join(text.rstrip().splitlines()[-lines:])
    return kept if len(kept) <= chars else "..." + kept[-chars:]
