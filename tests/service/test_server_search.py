"""Server-side search brings matches the cache does not hold yet, and the UI shows them."""

from __future__ import annotations

import httpx

from intercom_tui.emulator.server import EmulatorServer
from intercom_tui.store.cache import Filter
from tests.conftest import TOKEN
from tests.harness import make_app, service_for


def server_matches(emulator: EmulatorServer, text: str) -> set[str]:
    query = {
        "operator": "OR",
        "value": [
            {"field": f, "operator": "~", "value": text}
            for f in ("title", "source.subject", "source.body")
        ],
    }
    found: set[str] = set()
    body: dict = {"query": query, "pagination": {"per_page": 150}}
    with httpx.Client(base_url=emulator.url, headers={"Authorization": f"Bearer {TOKEN}"}) as c:
        while True:
            page = c.post("/conversations/search", json=body).json()
            found |= {str(conv["id"]) for conv in page["conversations"]}
            nxt = (page.get("pages") or {}).get("next")
            if not nxt:
                return found
            body["pagination"]["starting_after"] = nxt["starting_after"]


async def test_server_search_fills_the_cache_with_what_matches(emulator: EmulatorServer) -> None:
    service = await service_for(emulator, synced=False)  # nothing cached yet
    try:
        expected = server_matches(emulator, "invoice")
        assert expected and service.count(service.view("all")) == 0
        found = await service.server_search("invoice")
        assert found == len(expected)
        cached = {r.id for r in service.cache.window(Filter(), service.view("all").sort, 0, 500)}
        assert cached == expected
    finally:
        await service.aclose()


async def test_question_mark_prefix_searches_intercom_from_the_filter(
    emulator: EmulatorServer,
) -> None:
    service = await service_for(emulator, synced=False)
    await service.connect()
    app = make_app(service)
    expected = server_matches(emulator, "refund")
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("6", "slash", *"?refund", "enter")
        await app.workers.wait_for_complete()  # the search, then the filter it starts
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        lst = app.screen.query_one("ConversationList")
        assert lst.row_count == len(expected) > 0  # type: ignore[attr-defined]
        assert any("Intercom found" in n.message for n in app._notifications)
    await service.aclose()
