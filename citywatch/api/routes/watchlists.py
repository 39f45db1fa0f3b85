"""Watchlists: each belongs to an active case of the officer who creates it."""

from __future__ import annotations

from fastapi import APIRouter

from citywatch.api.deps import UserServices
from citywatch.api.schemas import WatchlistCreate, WatchlistPublic, WatchlistsPublic

router = APIRouter(prefix="/watchlists", tags=["watchlists"])


@router.get("")
def list_watchlists(services: UserServices) -> WatchlistsPublic:
    lists = [WatchlistPublic.of(w) for w in services.watchlists()]
    return WatchlistsPublic(data=lists, count=len(lists))


@router.post("", status_code=201)
def create_watchlist(body: WatchlistCreate, services: UserServices) -> WatchlistPublic:
    created = services.create_watchlist(body.name, body.min_similarity, body.case)
    return WatchlistPublic.of(created)
