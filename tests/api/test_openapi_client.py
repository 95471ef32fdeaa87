"""The web UI's API client is generated from the server's OpenAPI schema: the committed copy
(web/src/api/openapi.json, from which schema.d.ts is generated) must match the app's."""

from __future__ import annotations

import json
from pathlib import Path

from wirework.api.app import create_app
from wirework.settings import Settings

COMMITTED = Path(__file__).resolve().parents[2] / "web" / "src" / "api" / "openapi.json"


def test_committed_api_client_schema_is_current(tmp_path: Path) -> None:
    schema = create_app(Settings(data_dir=tmp_path)).openapi()
    fresh = json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
    committed = COMMITTED.read_text(encoding="utf-8")
    assert committed == fresh, (
        "web/src/api/openapi.json is stale: run `make api-client` and commit the result"
    )
