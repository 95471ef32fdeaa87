"""A small JSON API for declarative types: items under /v1/items, authenticated by an API
key in the ``X-Api-Key`` header or the ``key`` query parameter."""

from __future__ import annotations

from typing import Any

from tests.integrations.fakes import Answer, FakeServer, Request

API_KEY = "acme-secret-key-123"


class FakeAcme(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.items: dict[str, dict[str, Any]] = {"1": {"id": "1", "title": "First", "tags": []}}
        self.route("GET", "/v1/items/(?P<item_id>[^/]+)", self._get)
        self.route("POST", "/v1/items", self._create)
        self.route("GET", "/v1/items", self._list)

    def authenticate(self, request: Request) -> Answer | None:
        if API_KEY in (request.headers.get("x-api-key"), request.query.get("key")):
            return None
        return Answer(401, {"error": {"message": "bad API key"}})

    def _get(self, request: Request, item_id: str) -> Answer:
        found = self.items.get(item_id)
        if found is None:
            return Answer(404, {"error": {"message": f"no item {item_id}"}})
        return Answer(200, {"item": found})

    def _create(self, request: Request) -> Answer:
        body = request.json() or {}
        if not body.get("title"):
            return Answer(422, {"error": {"message": "title is required"}})
        item = {"id": str(len(self.items) + 1), **body}
        self.items[item["id"]] = item
        return Answer(201, {"item": item})

    def _list(self, request: Request) -> Answer:
        items = list(self.items.values())
        limit = int(request.query.get("limit", "50"))
        return Answer(200, {"data": items[:limit], "total": len(items)})
