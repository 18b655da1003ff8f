"""Personal data redacted by default: field name patterns, messages, private files."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from dal import Comparison, JsonlRecorder, Stage
from dal.routing import Category, Redactor
from dal.routing.redaction import scrub_message, token

PERSON = {
    "email": "ada@example.org",
    "contact_email": "ops@example.org",
    "phone_number": "+44 20 7946 0000",
    "home_address": "12 St James's Square",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "full_name": "Ada Lovelace",
    "display_name": "Countess",
    "date_of_birth": "1815-12-10",
    "password_hash": "pbkdf2$abc",
}
KEPT = {"name": "Analytical Engine", "username": "ada", "title": "Notes"}


def test_default_names_cover_personal_data_and_leave_other_fields() -> None:
    redacted = Redactor().redact({**PERSON, **KEPT, "nested": [{"Email": "x@example.org"}]})
    for name, value in PERSON.items():
        assert redacted[name] == token(value), name
    for name, value in KEPT.items():
        assert redacted[name] == value, name
    assert redacted["nested"][0]["Email"] == token("x@example.org")


def test_a_declared_name_joins_the_defaults() -> None:
    redactor = Redactor(("name", "*phone*"))
    assert redactor.redact({"name": "Ada", "mobile_phone": "1"}) == {
        "name": token("Ada"),
        "mobile_phone": token("1"),
    }


def test_messages_lose_the_values_drivers_and_servers_quote() -> None:
    message = (
        "(pymysql.err.IntegrityError) (1062, \"Duplicate entry 'Ada Lovelace' for key 'name'\")\n"
        "[SQL: INSERT INTO users (email) VALUES (%(email)s)]\n"
        "[parameters: {'email': 'ada@example.org'}]\n"
        "(Background on this error at: https://sqlalche.me/e/20/gkpj)"
    )
    scrubbed = scrub_message(message)
    assert "Ada Lovelace" not in scrubbed
    assert "ada@example.org" not in scrubbed
    assert "Duplicate entry '<redacted>' for key 'name'" in scrubbed
    assert scrub_message("owner is ada@example.org") == f"owner is {token('ada@example.org')}"


def test_the_records_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "records.jsonl"
    old_mask = os.umask(0o022)
    try:
        with JsonlRecorder(path) as recorder:
            recorder.record(Comparison("users", "get", Stage.SHADOW, True, Category.MATCH))
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        path.chmod(0o644)
        with JsonlRecorder(path):
            pass
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    finally:
        os.umask(old_mask)
