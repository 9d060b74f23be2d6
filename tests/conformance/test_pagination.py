"""Pagination: lists come in pages linked by an opaque cursor."""
from __future__ import annotations

from helpers import incident, loop


def test_a_list_pages_through_next_page_to_the_whole_history(client, new_session):
    """Source: SDK docstrings of `sessions.events.list`: `page` "Opaque pagination cursor from a previous response's
    `next_page`", `limit`; the SDK's `SyncPageCursor` follows `next_page` until it is null."""
    s = new_session(recording="incident-2277")
    loop.run(client, s.id, "Call get_metrics once (service checkout, metric p99_ms), then reply with the peak value "
             "in one short sentence.", handle_tool=incident.handle_tool, render=False, timeout=600)
    whole = [e.id for e in client.beta.sessions.events.list(s.id, limit=1000)]
    assert len(whole) >= 4
    first = client.beta.sessions.events.list(s.id, limit=2)
    assert len(first.data) == 2 and first.next_page
    second = client.beta.sessions.events.list(s.id, limit=2, page=first.next_page)
    assert [e.id for e in first.data + second.data] == whole[:4]
    assert [e.id for e in client.beta.sessions.events.list(s.id, limit=2)] == whole  # auto-paging: every page

