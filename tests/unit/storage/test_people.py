"""Listing the people on a watchlist, and finding a photo already enrolled by its bytes' hash."""

from __future__ import annotations

import pytest
from factories import active_case, face, photo

from citywatch.errors import NotFoundError
from citywatch.storage import Store


@pytest.fixture
def listed(store: Store, password_hash: str) -> Store:
    """Watchlist `wanted` with Ann (photos a, b) and Bob (photo c), enrolled Bob first."""
    case = active_case(store, password_hash)
    store.create_watchlist("wanted", None, case.id)
    store.create_watchlist("other", None, case.id)
    for name, sha256 in (("Bob", "c"), ("Ann", "a"), ("Ann", "b")):
        person = store.person("wanted", name, create=True)
        store.add_photo(person, photo(), f"{sha256}.jpg", sha256 * 64, face(1), "fake")
    return store


def test_people_are_listed_by_name_with_their_photos_oldest_first(listed: Store) -> None:
    people = listed.people("wanted")

    assert [(p.name, p.photos, p.watchlist) for p in people] == [
        ("Ann", 2, "wanted"),
        ("Bob", 1, "wanted"),
    ]
    ann, bob = people
    assert len(ann.photo_ids) == 2 and ann.photo_ids[0] < ann.photo_ids[1]
    assert bob.photo_ids[0] < ann.photo_ids[0]  # Bob was enrolled first
    assert ann.enrolled_at is not None and bob.enrolled_at is not None
    assert bob.enrolled_at <= ann.enrolled_at
    assert listed.people("other") == []


def test_an_enrolled_photo_is_found_by_list_person_and_hash_only(listed: Store) -> None:
    (ann, bob) = listed.people("wanted")

    assert listed.enrolled_photo("wanted", "Ann", "b" * 64) == ann.photo_ids[1]
    assert listed.enrolled_photo("wanted", "Bob", "c" * 64) == bob.photo_ids[0]
    assert listed.enrolled_photo("wanted", "Bob", "a" * 64) is None  # Ann's photo, not Bob's
    assert listed.enrolled_photo("other", "Ann", "a" * 64) is None


def test_people_of_an_unknown_list_is_not_found(listed: Store) -> None:
    with pytest.raises(NotFoundError, match="no watchlist named 'nope'"):
        listed.people("nope")
