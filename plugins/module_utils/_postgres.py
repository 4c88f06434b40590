# Copyright: dockyard.django contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PostgreSQL password verifiers: tell whether a stored one matches a password, and make one.

PostgreSQL keeps a role's password as a verifier in pg_authid.rolpassword: SCRAM-SHA-256
(``SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>``, RFC 5803, the default since
PostgreSQL 14) or, from older settings, ``md5`` + md5(password + role). A verifier given as the
password of CREATE/ALTER ROLE is stored as it is, so the password itself never reaches the server
(nor its statement log).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import unicodedata

SCRAM_PREFIX = "SCRAM-SHA-256$"
# PostgreSQL's own default (scram_iterations) and salt length.
SCRAM_ITERATIONS = 4096
SCRAM_SALT_BYTES = 16


def _scram_keys(password: bytes, salt: bytes, iterations: int) -> tuple[bytes, bytes]:
    """StoredKey and ServerKey of a password (RFC 5802, section 3)."""
    salted = hashlib.pbkdf2_hmac("sha256", password, salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
    return hashlib.sha256(client_key).digest(), server_key


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _password_forms(password: str) -> list[bytes]:
    """The byte strings PostgreSQL may have hashed: the password as given and, for a non-ASCII
    one, its normalised form (PostgreSQL applies SASLprep, whose core is NFKC, when it can)."""
    forms = [password.encode("utf-8")]
    if not password.isascii():
        normalised = unicodedata.normalize("NFKC", password).encode("utf-8")
        if normalised not in forms:
            forms.append(normalised)
    return forms


def scram_verifier(password: str, salt: bytes | None = None, iterations: int = SCRAM_ITERATIONS) -> str:
    """A SCRAM-SHA-256 verifier of an ASCII password, as PostgreSQL stores it."""
    if not password.isascii():
        raise ValueError("only an ASCII password gets a verifier made here (PostgreSQL normalises others)")
    salt = os.urandom(SCRAM_SALT_BYTES) if salt is None else salt
    stored_key, server_key = _scram_keys(password.encode("ascii"), salt, iterations)
    return f"{SCRAM_PREFIX}{iterations}:{_b64(salt)}${_b64(stored_key)}:{_b64(server_key)}"


def verifier_matches(verifier: str | None, password: str, role: str) -> bool:
    """Whether a stored verifier (None: no password) was made from this password."""
    if not verifier:
        return False
    if verifier.startswith(SCRAM_PREFIX):
        try:
            head, keys = verifier[len(SCRAM_PREFIX):].split("$", 1)
            iterations_text, salt_text = head.split(":", 1)
            stored_text, server_text = keys.split(":", 1)
            iterations = int(iterations_text)
            salt = base64.b64decode(salt_text, validate=True)
            stored_key = base64.b64decode(stored_text, validate=True)
            server_key = base64.b64decode(server_text, validate=True)
        except ValueError:
            return False
        for form in _password_forms(password):
            wanted_stored, wanted_server = _scram_keys(form, salt, iterations)
            if hmac.compare_digest(stored_key, wanted_stored) and hmac.compare_digest(server_key, wanted_server):
                return True
        return False
    if verifier.startswith("md5") and len(verifier) == 35:
        expected = "md5" + hashlib.md5((password + role).encode("utf-8")).hexdigest()  # nosec: PostgreSQL's own md5 format
        return hmac.compare_digest(verifier, expected)
    # A plain-text password (PostgreSQL 9 and older stored some).
    return hmac.compare_digest(verifier.encode("utf-8"), password.encode("utf-8"))
