"""module_utils/_postgres.py: PostgreSQL's password verifiers, against ones PostgreSQL 17 made."""

from __future__ import annotations

import pytest

from ansible_collections.dockyard.django.plugins.module_utils._postgres import scram_verifier, verifier_matches

# Made by PostgreSQL 17 (Debian 13) for the password below: CREATE ROLE vectortest PASSWORD ...,
# once with password_encryption scram-sha-256 and once md5 (role vectortest2).
PASSWORD = "example-password-1"
SCRAM = ("SCRAM-SHA-256$4096:eVLA77ewQ7u1fIySIIZABQ==$qHVSWMWgVW8UkQaNH7CzU7OwaNZ65qfjAINZuf5cgUE="
         ":HnX4hCGbP2Q6xUHfCQdXY0jGAh463vf0/8k+Z4og4LY=")
MD5 = "md52aa025ed28dddc87b825292b00f19d11"


def test_a_verifier_postgresql_made_matches_its_password_only() -> None:
    assert verifier_matches(SCRAM, PASSWORD, "vectortest")
    assert not verifier_matches(SCRAM, PASSWORD + "x", "vectortest")
    assert verifier_matches(MD5, PASSWORD, "vectortest2")
    # md5 salts with the role's name: the same password of another role differs.
    assert not verifier_matches(MD5, PASSWORD, "vectortest")


@pytest.mark.parametrize("stored", [None, "", "SCRAM-SHA-256$x:y$z", "SCRAM-SHA-256$4096:!!$a:b"])
def test_no_or_a_broken_verifier_matches_nothing(stored: str | None) -> None:
    assert not verifier_matches(stored, PASSWORD, "vectortest")


def test_a_made_verifier_has_postgresql_s_form_and_matches() -> None:
    salt = bytes.fromhex("7952c0efb7b043bbb57c8c9220864005")
    made = scram_verifier(PASSWORD, salt=salt)
    # The same salt and iterations as PostgreSQL's verifier above give the same keys.
    assert made == SCRAM
    fresh = scram_verifier(PASSWORD)
    assert fresh != SCRAM and verifier_matches(fresh, PASSWORD, "any")


def test_non_ascii_passwords_get_no_verifier_made_here() -> None:
    with pytest.raises(ValueError, match="only an ASCII password"):
        scram_verifier("pässword")
