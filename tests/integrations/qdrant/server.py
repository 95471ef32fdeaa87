"""A local Qdrant: the REST endpoints the ``qdrant`` integration uses, with Qdrant's shapes
(``{"result", "status": "ok", "time"}``; errors ``{"status": {"error"}}``), its point-id
rule (an unsigned integer or a UUID), cosine scores, and the filter conditions we send
(``match``, ``range``, ``is_empty``, ``has_id`` under ``must``). In memory; exact search."""

from __future__ import annotations

import math
import uuid
from typing import Any

from tests.integrations.fakes import Answer, FakeServer, Request


def ok(result: Any) -> Answer:
    return Answer(200, {"result": result, "status": "ok", "time": 0.0001})


def error(status: int, message: str) -> Answer:
    return Answer(status, {"status": {"error": message}, "time": 0.0001})


def _cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0


def _value(payload: dict[str, Any], key: str) -> Any:
    value: Any = payload
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _passes(point_id: str, payload: dict[str, Any], condition: dict[str, Any]) -> bool:
    if "has_id" in condition:
        return point_id in {str(i) for i in condition["has_id"]}
    if "is_empty" in condition:
        return _value(payload, condition["is_empty"]["key"]) in (None, [])
    have = _value(payload, condition["key"])
    if "match" in condition:
        wanted = condition["match"]["value"]
        if isinstance(wanted, bool) or isinstance(have, bool):
            return have is wanted
        if isinstance(wanted, int) and isinstance(have, float):
            return have == wanted
        return type(have) is type(wanted) and have == wanted
    if "range" in condition:
        if isinstance(have, bool) or not isinstance(have, int | float):
            return False
        r = condition["range"]
        return r.get("gte", -math.inf) <= have <= r.get("lte", math.inf)
    raise ValueError(f"condition not implemented by the fake: {condition}")


def _matches(point_id: str, payload: dict[str, Any], flt: dict[str, Any] | None) -> bool:
    if not flt:
        return True
    unknown = set(flt) - {"must"}
    if unknown:
        raise ValueError(f"filter clauses not implemented by the fake: {unknown}")
    return all(_passes(point_id, payload, c) for c in flt.get("must", []))


class FakeQdrant(FakeServer):
    def __init__(self, api_key: str | None = None) -> None:
        super().__init__()
        self.api_key = api_key
        # name → {"size": int, "points": {id: (vector, payload)}}
        self.collections: dict[str, dict[str, Any]] = {}
        c = r"/collections/(?P<name>[^/]+)"
        self.route("GET", "/collections", self.list_collections)
        self.route("GET", c, self.get_collection)
        self.route("PUT", c, self.create_collection)
        self.route("DELETE", c, self.delete_collection)
        self.route("PUT", c + "/points", self.upsert)
        self.route("POST", c + "/points/query", self.query)
        self.route("POST", c + "/points/delete", self.delete_points)

    def authenticate(self, request: Request) -> Answer | None:
        if self.api_key and request.headers.get("api-key") != self.api_key:
            return Answer(401, {"status": {"error": "Must provide an API key"}})
        return None

    def not_found(self, request: Request) -> Answer:
        return error(404, f"Not found: {request.method} {request.path}")

    def _collection(self, name: str) -> dict[str, Any] | None:
        return self.collections.get(name)

    def _missing(self, name: str) -> Answer:
        return error(404, f"Not found: Collection `{name}` doesn't exist!")

    def list_collections(self, request: Request) -> Answer:
        return ok({"collections": [{"name": n} for n in sorted(self.collections)]})

    def get_collection(self, request: Request, name: str) -> Answer:
        found = self._collection(name)
        if found is None:
            return self._missing(name)
        return ok(
            {
                "status": "green",
                "points_count": len(found["points"]),
                "config": {"params": {"vectors": {"size": found["size"], "distance": "Cosine"}}},
            }
        )

    def create_collection(self, request: Request, name: str) -> Answer:
        if name in self.collections:
            return error(409, f"Wrong input: Collection `{name}` already exists!")
        vectors = (request.json() or {}).get("vectors") or {}
        if vectors.get("distance") != "Cosine" or not isinstance(vectors.get("size"), int):
            return error(400, "Wrong input: vectors need size and distance")
        self.collections[name] = {"size": vectors["size"], "points": {}}
        return ok(True)

    def delete_collection(self, request: Request, name: str) -> Answer:
        return ok(self.collections.pop(name, None) is not None)

    def upsert(self, request: Request, name: str) -> Answer:
        found = self._collection(name)
        if found is None:
            return self._missing(name)
        points = (request.json() or {}).get("points") or []
        for point in points:
            pid = point.get("id")
            if not (isinstance(pid, int) and pid >= 0):
                try:
                    pid = str(uuid.UUID(str(pid)))
                except ValueError:
                    return error(400, f"Format error in JSON body: Unable to parse UUID: {pid}")
            if len(point.get("vector") or []) != found["size"]:
                return error(
                    400,
                    f"Wrong input: Vector dimension error: expected dim: {found['size']}, "
                    f"got {len(point.get('vector') or [])}",
                )
        for point in points:
            found["points"][str(point["id"])] = (point["vector"], point.get("payload") or {})
        return ok({"operation_id": len(self.requests), "status": "completed"})

    def query(self, request: Request, name: str) -> Answer:
        found = self._collection(name)
        if found is None:
            return self._missing(name)
        body = request.json() or {}
        vector = body.get("query")
        if not isinstance(vector, list) or len(vector) != found["size"]:
            return error(400, "Wrong input: query vector of the wrong dimension")
        scored = [
            {"id": pid, "version": 0, "score": _cosine(vector, v), "payload": payload}
            for pid, (v, payload) in found["points"].items()
            if _matches(pid, payload, body.get("filter"))
        ]
        scored.sort(key=lambda p: -p["score"])
        points = scored[: int(body.get("limit", 10))]
        if not body.get("with_payload"):
            for p in points:
                p.pop("payload")
        return ok({"points": points})

    def delete_points(self, request: Request, name: str) -> Answer:
        found = self._collection(name)
        if found is None:
            return self._missing(name)
        body = request.json() or {}
        if "points" in body:
            doomed = {str(p) for p in body["points"]}
        else:
            doomed = {
                pid
                for pid, (_, payload) in found["points"].items()
                if _matches(pid, payload, body.get("filter"))
            }
        for pid in doomed:
            found["points"].pop(pid, None)
        return ok({"operation_id": len(self.requests), "status": "completed"})
