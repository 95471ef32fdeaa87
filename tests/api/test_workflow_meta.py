"""Workflow tags and sticky notes through /api/workflows, on every database backend."""

from __future__ import annotations

from typing import Any

import httpx
import yaml

from tests.api.test_workflows import create, fields, simple


async def names(client: httpx.AsyncClient, query: str) -> list[str]:
    resp = await client.get(f"/api/workflows?{query}")
    assert resp.status_code == 200, resp.text
    return sorted(w["name"] for w in resp.json()["items"])


async def test_tags_are_cleaned_and_versioned(client: httpx.AsyncClient) -> None:
    wf = await create(client, simple("A", tags=["  Ops ", "billing", "OPS", "Café"]))
    assert wf["tags"] == ["Ops", "billing", "Café"]
    assert wf["version"] == 1
    patched = await client.patch(f"/api/workflows/{wf['id']}", json={"tags": ["billing"]})
    assert patched.status_code == 200, patched.text
    assert patched.json()["tags"] == ["billing"]
    assert patched.json()["version"] == 2
    # The same tags again make no new version.
    again = await client.patch(f"/api/workflows/{wf['id']}", json={"tags": ["billing"]})
    assert again.json()["version"] == 2
    old = (await client.get(f"/api/workflows/{wf['id']}/versions/1")).json()
    assert old["document"]["tags"] == ["Ops", "billing", "Café"]
    # Other PATCHes keep the tags.
    renamed = await client.patch(f"/api/workflows/{wf['id']}", json={"name": "A2"})
    assert renamed.json()["tags"] == ["billing"]
    # No tags: the field is left out of the stored document.
    cleared = await client.patch(f"/api/workflows/{wf['id']}", json={"tags": []})
    assert cleared.json()["tags"] == []
    version = cleared.json()["version"]
    latest = (await client.get(f"/api/workflows/{wf['id']}/versions/{version}")).json()
    assert "tags" not in latest["document"]


async def test_bad_tags_name_the_field(client: httpx.AsyncClient) -> None:
    cases: list[tuple[Any, str]] = [
        (["ok", "   "], "tags[1]"),
        (["x" * 41], "tags[0]"),
        (["a\tb"], "tags[0]"),
        ([f"t{i}" for i in range(21)], "tags"),
        ([3], "tags[0]"),
        ("ops", "tags"),
    ]
    for tags, field in cases:
        resp = await client.post("/api/workflows", json=simple(tags=tags))
        assert resp.status_code == 422, (tags, resp.text)
        assert field in fields(resp), (tags, resp.json())
    wf = await create(client, simple())
    resp = await client.patch(f"/api/workflows/{wf['id']}", json={"tags": ["y" * 41]})
    assert resp.status_code == 422
    assert "tags[0]" in fields(resp)
    assert (await client.get("/api/workflows?tag=" + "z" * 41)).status_code == 422


async def test_filter_and_count_by_tag(client: httpx.AsyncClient) -> None:
    a = await create(client, simple("A", tags=["ops", "billing"]))
    await create(client, simple("B", tags=["ops"]))
    await create(client, simple("C", tags=["Ops"]))  # another spelling: another tag
    await create(client, simple("D"))
    assert await names(client, "tag=ops") == ["A", "B"]
    assert await names(client, "tag=ops&tag=billing") == ["A"]
    assert await names(client, "tag=ops&tag=nope") == []
    assert await names(client, "tag=ops&name=b") == ["B"]
    assert await names(client, "tag=Ops") == ["C"]
    assert await names(client, "tag=") == ["A", "B", "C", "D"]
    page = (await client.get("/api/workflows?tag=ops&limit=1&offset=1")).json()
    assert page["total"] == 2 and len(page["items"]) == 1
    assert (await client.get("/api/workflows/tags")).json() == [
        {"tag": "billing", "count": 1},
        {"tag": "Ops", "count": 1},
        {"tag": "ops", "count": 2},
    ]
    # A PUT changes the tags; a delete removes the workflow's.
    body = {**simple("A", tags=["billing", "new"]), "version": a["version"]}
    put = await client.put(f"/api/workflows/{a['id']}", json=body)
    assert put.status_code == 200, put.text
    assert await names(client, "tag=new") == ["A"]
    assert await names(client, "tag=ops") == ["B"]
    assert (await client.delete(f"/api/workflows/{a['id']}")).status_code == 204
    tags = (await client.get("/api/workflows/tags")).json()
    assert [t["tag"] for t in tags] == ["Ops", "ops"]


async def test_tags_and_notes_export_and_import(client: httpx.AsyncClient) -> None:
    note = {
        "id": "n1",
        "text": "# Why\nthis runs at night",
        "position": {"x": 10, "y": -20},
        "width": 300,
        "color": "blue",
    }
    wf = await create(client, simple("Exported", tags=["ops"], sticky_notes=[note]))
    assert wf["sticky_notes"] == [{**note, "height": 160}]
    for fmt in ("json", "yaml"):
        text = (await client.get(f"/api/workflows/{wf['id']}/export?format={fmt}")).text
        data = yaml.safe_load(text)
        assert data["tags"] == ["ops"]
        assert data["sticky_notes"] == [note]
        resp = await client.post(f"/api/workflows/import?format={fmt}", content=text)
        assert resp.status_code == 201, resp.text
        assert resp.json()["tags"] == ["ops"]
        assert resp.json()["sticky_notes"] == wf["sticky_notes"]
    assert (await client.get("/api/workflows/tags")).json() == [{"tag": "ops", "count": 3}]


async def test_sticky_notes_are_validated(client: httpx.AsyncClient) -> None:
    cases: list[tuple[Any, str]] = [
        ([{"id": "a"}, {"id": "a"}], "sticky_notes[1].id"),
        ([{"id": "-bad"}], "sticky_notes[0].id"),
        ([{"id": "a", "width": 39}], "sticky_notes[0].width"),
        ([{"id": "a", "height": 4001}], "sticky_notes[0].height"),
        ([{"id": "a", "color": "red"}], "sticky_notes[0].color"),
        ([{"id": "a", "text": "x" * 10001}], "sticky_notes[0].text"),
        ([{"id": "a", "text": "bell\x07"}], "sticky_notes[0].text"),
        ([{"id": "a", "colour": "blue"}], "sticky_notes[0].colour"),
        ([{"text": "no id"}], "sticky_notes[0].id"),
        ([{"id": f"n{i}"} for i in range(501)], "sticky_notes"),
    ]
    for notes, field in cases:
        resp = await client.post("/api/workflows", json=simple(sticky_notes=notes))
        assert resp.status_code == 422, (field, resp.text)
        assert field in fields(resp), (field, resp.json())
    # A note may share an id with a node; newlines are allowed; PATCH replaces the notes.
    wf = await create(client, simple(sticky_notes=[{"id": "start", "text": "a\nb"}]))
    assert wf["sticky_notes"][0]["color"] == "yellow"
    resp = await client.patch(f"/api/workflows/{wf['id']}", json={"sticky_notes": []})
    assert resp.status_code == 200 and resp.json()["sticky_notes"] == []
    assert resp.json()["version"] == 2


async def test_the_engine_ignores_sticky_notes(client: httpx.AsyncClient) -> None:
    wf = await create(client, simple(sticky_notes=[{"id": "note", "text": "{{ broken"}]))
    resp = await client.post(f"/api/workflows/{wf['id']}/execute?wait=true", json={})
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "success"
