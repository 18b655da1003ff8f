"""Requests per write, and per read through an index, of the generic repositories (botocore events).

An update mirrored from the other side of a dual write (its answer known) is one
conditional UpdateItem; without it, one consistent read and one PutItem; a stale
answer falls back to the read. A write that changes a unique value stays one
transaction with its guard items.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest
from support.wire import counted_requests

from adapters.dynamodb import DynamoClient
from adapters.dynamodb.entities import DynamoRepositories
from examples.tracker.declarations import PROJECTS
from interfaces import ConcurrencyConflict, NotFound
from interfaces.consistency import index_copies
from interfaces.known import known_result


@pytest.fixture
def sent(client: DynamoClient) -> Iterator[Counter[str]]:
    """The DynamoDB operations sent while the test runs, counted by name."""
    with counted_requests(client) as counts:
        yield counts


def _project(repos: DynamoRepositories) -> Any:
    return repos.repository("projects").create({"name": "Tracker", "owner_email": "o@x.org"})


def test_an_update_with_the_other_side_s_answer_is_one_request(
    repos: DynamoRepositories, sent: Counter[str]
) -> None:
    project = _project(repos)
    answer = project.model_copy(update={"owner_email": "n@x.org", "version": 2})
    sent.clear()
    with known_result(answer):
        updated = repos.repository("projects").update(project.id, {"owner_email": "n@x.org"})
    assert dict(sent) == {"UpdateItem": 1}
    assert updated == answer
    assert repos.repository("projects").get(project.id) == answer


def test_an_update_without_an_answer_reads_then_puts(
    repos: DynamoRepositories, sent: Counter[str]
) -> None:
    project = _project(repos)
    sent.clear()
    updated = repos.repository("projects").update(project.id, {"owner_email": "n@x.org"})
    assert dict(sent) == {"GetItem": 1, "PutItem": 1}
    assert (updated.owner_email, updated.version) == ("n@x.org", 2)


def test_a_stale_answer_falls_back_to_reading(
    repos: DynamoRepositories, sent: Counter[str]
) -> None:
    project = _project(repos)
    projects = repos.repository("projects")
    projects.update(project.id, {"owner_email": "m@x.org"})  # DynamoDB is one version ahead
    answer = project.model_copy(update={"owner_email": "n@x.org", "version": 2})
    sent.clear()
    with known_result(answer):
        updated = projects.update(project.id, {"owner_email": "n@x.org"})
    assert sent["GetItem"] == 1
    assert (updated.owner_email, updated.version) == ("n@x.org", 3)
    with known_result(answer), pytest.raises(ConcurrencyConflict):
        projects.update(project.id, {"owner_email": "x@x.org"}, expected_version=1)
    with known_result(answer), pytest.raises(NotFound):
        projects.update(99, {"owner_email": "x@x.org"})


def test_a_unique_value_changed_is_still_one_transaction_with_its_guards(
    repos: DynamoRepositories, sent: Counter[str]
) -> None:
    project = _project(repos)
    answer = project.model_copy(update={"name": "Renamed", "version": 2})
    sent.clear()
    with known_result(answer):
        repos.repository("projects").update(project.id, {"name": "Renamed"})
    assert dict(sent) == {"GetItem": 1, "TransactWriteItems": 1}


def test_a_lone_entity_is_created_with_one_put_and_deleted_with_one_delete(
    make_repos: Callable[..., DynamoRepositories], sent: Counter[str]
) -> None:
    """Projects without their unique name and without labels or tickets declared."""
    repos = make_repos(specs=[replace(PROJECTS, unique=())])
    projects = repos.repository("projects")
    sent.clear()
    project = projects.create({"name": "Tracker", "owner_email": "o@x.org"})
    assert dict(sent) == {"PutItem": 1}
    with pytest.raises(ConcurrencyConflict):
        projects.delete(project.id, expected_version=7)
    sent.clear()
    projects.delete(project.id, expected_version=1)
    assert dict(sent) == {"DeleteItem": 1}
    with pytest.raises(NotFound):
        projects.delete(project.id)


def test_a_label_is_written_with_its_project_checked_and_deleted_without_a_transaction(
    repos: DynamoRepositories, sent: Counter[str]
) -> None:
    _project(repos)
    labels = repos.repository("labels")
    sent.clear()
    label = labels.create({"project_id": 1, "title": "bug"})
    assert dict(sent) == {"Query": 1, "TransactWriteItems": 1}  # the id's index, then one write
    sent.clear()
    labels.delete(label.id)
    assert sent["DeleteItem"] == 1
    assert "TransactWriteItems" not in sent


def test_a_get_through_an_index_reads_the_table_unless_index_copies_are_allowed(
    repos: DynamoRepositories, sent: Counter[str]
) -> None:
    project = _project(repos)
    labels = repos.repository("labels")
    label = labels.create({"project_id": project.id, "title": "bug"})  # keyed by project
    sent.clear()
    assert labels.get(label.id) == label
    assert dict(sent) == {"Query": 1, "GetItem": 1}  # the index, then the table

    sent.clear()
    with index_copies() as copies:
        assert labels.get(label.id) == label
        with pytest.raises(NotFound):
            labels.get(label.id + 1)
    assert dict(sent) == {"Query": 2}  # the index's copy is the answer
    assert copies.served == 1
