"""One ISO-timestamp rule (helpers/timestamps.py), and each of its callers keeps its own words for a time it refuses:
the custom tools' error, the stub's 400, the recording loader's line, the dashboard's fallback to pandas."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from helpers.timestamps import parse_iso

UTC = timezone.utc


@pytest.mark.parametrize("text,want", [
    ("2026-11-18T14:07:00Z", datetime(2026, 11, 18, 14, 7, tzinfo=UTC)),
    ("2026-11-18T14:07:00z", datetime(2026, 11, 18, 14, 7, tzinfo=UTC)),
    ("2026-11-18T14:07:00.5Z", datetime(2026, 11, 18, 14, 7, 0, 500000, tzinfo=UTC)),
    ("2026-11-18T14:07", datetime(2026, 11, 18, 14, 7, tzinfo=UTC)),  # no offset: UTC
    ("2026-11-18", datetime(2026, 11, 18, tzinfo=UTC)),
])
def test_z_and_no_offset_mean_utc(text, want):
    got = parse_iso(text)
    assert got == want and got.utcoffset() == timedelta(0)


def test_an_offset_is_kept_as_given():
    got = parse_iso("2026-11-18T23:07:00+09:00")
    assert got.utcoffset() == timedelta(hours=9) and got == datetime(2026, 11, 18, 14, 7, tzinfo=UTC)


@pytest.mark.parametrize("text", ["", "Z", "yesterday", "14h07", "2026-11-18T14:07:00ZZ", "2026-11-18T14:07:00+00:00Z"])
def test_what_is_not_a_time_is_a_value_error(text):
    with pytest.raises(ValueError):
        parse_iso(text)
    with pytest.raises(TypeError):
        parse_iso(None)  # type: ignore[arg-type]


def test_each_caller_refuses_in_its_own_words():
    from helpers import incident
    from helpers.dashboard import data
    from helpers.stub import exceptions, utils

    assert incident.handle_tool("query_logs", {"start": "yesterday"}) == \
        "Error: start 'yesterday' is not an ISO 8601 time; use e.g. 2026-11-18T13:30:00Z"
    with pytest.raises(exceptions.InvalidRequest, match=r"created_at\[gt\]: 'soon' is not an RFC 3339 timestamp"):
        utils.parse_time("soon", "created_at[gt]")
    with pytest.raises(exceptions.InvalidRequest, match="is not an RFC 3339 timestamp"):
        utils.parse_time(None, "created_at[gt]")  # type: ignore[arg-type]
    assert utils.parse_time("2026-11-18T14:07:00", "t") == datetime(2026, 11, 18, 14, 7, tzinfo=UTC)
    assert data._utc(" 2026-11-18T15:07:00+01:00 ") == datetime(2026, 11, 18, 14, 7, tzinfo=UTC)
    assert data._utc("18 Nov 2026 14:07") == datetime(2026, 11, 18, 14, 7, tzinfo=UTC)  # not ISO: pandas reads it
