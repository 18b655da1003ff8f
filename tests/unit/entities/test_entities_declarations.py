"""Loading an application's declarations from ``module`` or ``module:NAME``."""

from __future__ import annotations

from pathlib import Path

import pytest

from dal.entities import load_declarations
from examples.tracker import declarations


def test_a_module_means_its_specs() -> None:
    assert load_declarations("examples.tracker.declarations") == list(declarations.SPECS)


def test_a_named_sequence() -> None:
    assert load_declarations("examples.tracker.declarations:SPECS") == list(declarations.SPECS)


def test_a_single_spec_is_a_sequence_of_one() -> None:
    assert load_declarations("examples.tracker.declarations:TICKETS") == [declarations.TICKETS]


@pytest.fixture
def modules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder on ``sys.path`` for modules written by a test."""
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ("no_such_package.declarations", "no module no_such_package.declarations"),
        ("examples.no_such_module", "no module examples.no_such_module"),
        ("examples.tracker.declarations:NOPE", "has no NOPE"),
        ("examples.tracker.schema", "module examples.tracker.schema has no SPECS"),
        ("examples.tracker.declarations:Project", "expected a sequence of EntitySpec"),
        ("examples.tracker.schema:TICKET_STATUSES", r"item 0 is a str"),
        ("", "expected 'package.module'"),
        ("not a module:X", "expected 'package.module'"),
    ],
)
def test_clear_errors(reference: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        load_declarations(reference)


def test_a_string_is_not_a_sequence_of_specs(modules: Path) -> None:
    (modules / "decl_text.py").write_text('SPECS = "tickets"\n')
    with pytest.raises(ValueError, match="got str"):
        load_declarations("decl_text")


def test_a_mixed_sequence_names_the_wrong_items(modules: Path) -> None:
    (modules / "decl_mixed.py").write_text(
        "from examples.tracker.declarations import PROJECTS\nSPECS = [PROJECTS, 3, None]\n"
    )
    with pytest.raises(ValueError, match="item 1 is a int, item 2 is a NoneType"):
        load_declarations("decl_mixed")


def test_an_import_failing_inside_the_module_is_not_hidden(modules: Path) -> None:
    (modules / "decl_broken.py").write_text("import no_such_dependency_of_it\nSPECS = ()\n")
    with pytest.raises(ModuleNotFoundError, match="no_such_dependency_of_it"):
        load_declarations("decl_broken")
