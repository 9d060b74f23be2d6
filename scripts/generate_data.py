#!/usr/bin/env python3
"""Generate the Incident-2277 evidence: data/app.log, metrics.json, deploys.json, diff.txt.

Deterministic: a fixed seed and the standard library only, so re-running it reproduces the
committed files byte for byte (tests/test_data.py checks that).

    python scripts/generate_data.py              # writes into data/
    python scripts/generate_data.py --out /tmp/x # writes into /tmp/x

The facts (window, onset, culprit deploy, red herrings) are the contract in docs/design.md.

Model, in one paragraph: every log line is one HTTP request handled by one of six services. Traffic
follows a gentle afternoon ramp. Before the onset every service is healthy. Deploy dep_4820
(checkout v2.14.0) starts at 14:05:30Z and its pods take traffic from 14:07:00Z (the onset). From
then on the two checkout routes that build the order summary (``GET /checkout/summary`` and
``POST /checkout/submit``) run one ``SELECT ... FROM inventory_reservations`` per line item: their
``db_queries`` go from 3-8 to tens or hundreds, their latency grows with the number of items, the
slowest ones log ``WARN slow query: ...``, requests beyond the 8 s gateway timeout come back as
``504 upstream timeout`` and a few fail with ``500 db connection pool exhausted``. metrics.json is
computed from the log lines themselves (per-minute aggregates), so the two always agree.
"""
from __future__ import annotations

import argparse
import difflib
import json
import math
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

SEED = 2277
N_LINES = 70_000
WINDOW_START = datetime(2026, 11, 18, 12, 0, 0, tzinfo=timezone.utc)
WINDOW_END = datetime(2026, 11, 18, 16, 0, 0, tzinfo=timezone.utc)
WINDOW_MS = int((WINDOW_END - WINDOW_START).total_seconds() * 1000)
ONSET = datetime(2026, 11, 18, 14, 7, 0, tzinfo=timezone.utc)
ONSET_MS = int((ONSET - WINDOW_START).total_seconds() * 1000)
GATEWAY_TIMEOUT_MS = 8000
SLOW_QUERY_MSG = "slow query: SELECT * FROM inventory_reservations WHERE sku = ?"

ROOT = Path(__file__).resolve().parent.parent

# service -> share of the traffic
SERVICES = {
    "checkout": 0.22,
    "cart": 0.20,
    "catalog": 0.22,
    "search": 0.16,
    "auth": 0.12,
    "payments": 0.08,
}

# service -> [(route, weight, median latency ms, success msg)]
ROUTES = {
    "checkout": [
        ("POST /checkout/submit", 0.25, 170, "order submitted"),
        ("GET /checkout/summary", 0.35, 110, "order summary rendered"),
        ("POST /checkout/validate", 0.25, 55, "cart validated"),
        ("GET /checkout/shipping-options", 0.15, 80, "shipping options returned"),
    ],
    "payments": [
        ("POST /payments/authorize", 0.55, 230, "payment authorized"),
        ("POST /payments/capture", 0.35, 180, "payment captured"),
        ("POST /payments/refund", 0.10, 260, "refund issued"),
    ],
    "cart": [
        ("GET /cart", 0.50, 30, "cart loaded"),
        ("POST /cart/items", 0.35, 42, "item added to cart"),
        ("DELETE /cart/items/{id}", 0.15, 38, "item removed from cart"),
    ],
    "catalog": [
        ("GET /catalog/products/{id}", 0.70, 22, "product served"),
        ("GET /catalog/categories", 0.20, 18, "categories served"),
        ("GET /catalog/products/{id}/reviews", 0.10, 48, "reviews served"),
    ],
    "search": [
        ("GET /search", 0.75, 85, "search results returned"),
        ("GET /search/suggest", 0.25, 28, "suggestions returned"),
    ],
    "auth": [
        ("POST /auth/login", 0.25, 95, "login succeeded"),
        ("POST /auth/refresh", 0.45, 30, "token refreshed"),
        ("GET /auth/session", 0.30, 12, "session valid"),
    ],
}

# service -> [(status, probability, msg)] for client errors (logged WARN)
CLIENT_ERRORS = {
    "checkout": [(409, 0.015, "cart changed since validation"), (400, 0.008, "invalid shipping address")],
    "payments": [(402, 0.03, "card declined"), (400, 0.005, "invalid payment method")],
    "cart": [(404, 0.015, "cart item not found")],
    "catalog": [(404, 0.02, "product not found")],
    "search": [(400, 0.004, "query too long")],
    "auth": [(401, 0.04, "invalid credentials"), (401, 0.012, "token expired")],
}

# service -> [(status, probability, msg)] for background server errors (logged ERROR)
SERVER_ERRORS = {
    "checkout": [(500, 0.0008, "internal error: order total mismatch")],
    "payments": [(502, 0.0015, "payment gateway returned 502"), (500, 0.0005, "internal error: idempotency key conflict")],
    "cart": [(500, 0.0005, "internal error: redis timeout")],
    "catalog": [(503, 0.0004, "service unavailable: cache warming")],
    "search": [(500, 0.0008, "internal error: index shard unavailable")],
    "auth": [(500, 0.0004, "internal error: key service unreachable")],
}

# Routes whose handler builds the order summary (and so run the N+1 after dep_4820).
N_PLUS_ONE_ROUTES = {"GET /checkout/summary", "POST /checkout/submit"}

DEPLOYS = [
    ("dep_4814", "checkout", "v2.13.2", "marta.kowalski", "2026-11-18T12:09:12Z", "e41b0c2",
     "Shipping step: clearer copy for delivery estimates"),
    ("dep_4815", "search", "v5.2.1", "diego.alvarez", "2026-11-18T12:18:05Z", "3f8a91d",
     "Tune BM25 boost for brand names"),
    ("dep_4816", "catalog", "v3.8.0", "hana.suzuki", "2026-11-18T12:52:44Z", "b7c2e58",
     "Add 'new arrival' badge field to product payload"),
    ("dep_4817", "auth", "v1.31.2", "sam.okafor", "2026-11-18T13:21:19Z", "5d0e3a7",
     "Rotate JWT signing key id; keep old key for verification"),
    ("dep_4818", "cart", "v4.6.3", "lena.fischer", "2026-11-18T13:40:02Z", "a92f6c1",
     "Keep guest carts for 30 days instead of 7"),
    ("dep_4819", "payments", "v7.3.1", "tom.becker", "2026-11-18T13:58:40Z", "c18d4f9",
     "Bump payment gateway client to 9.4; retry idempotent calls on 409"),
    ("dep_4820", "checkout", "v2.14.0", "priya.raman", "2026-11-18T14:05:30Z", "9c41e7b",
     "Order summary: show inventory reservation per line item"),
    ("dep_4821", "search", "v5.2.2", "diego.alvarez", "2026-11-18T14:19:37Z", "0e6b7a3",
     "Fix suggest cache key to include locale"),
    ("dep_4822", "cart", "v4.7.0", "lena.fischer", "2026-11-18T14:31:10Z", "f3a05d8",
     "Cart: show saved-for-later items below the cart"),
    ("dep_4823", "catalog", "v3.8.1", "hana.suzuki", "2026-11-18T15:12:50Z", "7ab4e26",
     "Catalog: lazy-load review counts"),
    ("dep_4824", "auth", "v1.32.0", "sam.okafor", "2026-11-18T15:44:03Z", "d29c8b4",
     "Auth: add device name to session list"),
]


# --------------------------------------------------------------------------- app.log

def _ts(ms: int) -> str:
    """Milliseconds since the window start -> '2026-11-18T14:07:00.123Z'."""
    s, milli = divmod(ms, 1000)
    m, sec = divmod(s, 60)
    h, minute = divmod(m, 60)
    return f"2026-11-18T{12 + h:02d}:{minute:02d}:{sec:02d}.{milli:03d}Z"


def _arrival_times(rng: random.Random) -> list[int]:
    """N_LINES arrival times (ms from window start): a gentle afternoon ramp with per-minute noise."""
    minutes = WINDOW_MS // 60_000
    weights = []
    for m in range(minutes):
        x = m / minutes
        w = 0.85 + 0.25 * x + 0.08 * math.sin(2 * math.pi * x * 3) + rng.uniform(-0.04, 0.04)
        weights.append(w)
    cum, total = [], 0.0
    for w in weights:
        total += w
        cum.append(total)
    chosen = rng.choices(range(minutes), cum_weights=cum, k=N_LINES)
    return sorted(m * 60_000 + rng.randrange(60_000) for m in chosen)


def _pick(rng: random.Random, table):
    r = rng.random()
    acc = 0.0
    for row in table:
        acc += row[1]
        if r < acc:
            return row
    return None


def _request(rng: random.Random, ms: int, service: str) -> dict:
    route_table = ROUTES[service]
    weights = [r[1] for r in route_table]
    route, _, median, ok_msg = rng.choices(route_table, weights=weights)[0]
    latency = median * rng.lognormvariate(0.0, 0.5 if service != "search" else 0.6)
    status, level, msg = 200, "INFO", ok_msg
    db_queries = None
    incident = service == "checkout" and ms >= ONSET_MS

    if service == "checkout":
        db_queries = rng.randint(3, 8)
        if incident and route in N_PLUS_ONE_ROUTES:
            items = max(6, min(900, int(rng.lognormvariate(math.log(30), 0.95))))
            db_queries += items
            latency += items * rng.uniform(15.0, 27.0)
        elif incident:
            latency *= 1.3  # the database is busier for everyone

    if route == "POST /cart/items":
        status, msg = 201, ok_msg

    err = _pick(rng, CLIENT_ERRORS[service])
    if err is not None:
        status, _, msg = err
        level = "WARN"
        latency *= 0.6
    else:
        err = _pick(rng, SERVER_ERRORS[service])
        if err is not None:
            status, _, msg = err
            level = "ERROR"

    if incident and route in N_PLUS_ONE_ROUTES and status < 400:
        if latency >= GATEWAY_TIMEOUT_MS:
            status, level, msg = 504, "ERROR", "upstream timeout"
            latency = GATEWAY_TIMEOUT_MS + rng.uniform(0, 60)
        elif rng.random() < 0.012:
            status, level, msg = 500, "ERROR", "db connection pool exhausted"
            latency = 3000 + rng.uniform(0, 80)
        elif latency >= 1500:
            level, msg = "WARN", SLOW_QUERY_MSG
    elif status < 400 and latency > median * 6:
        level, msg = "WARN", f"slow request ({int(latency)} ms)"

    obj = {
        "ts": _ts(ms),
        "level": level,
        "service": service,
        "route": route,
        "status": status,
        "latency_ms": int(round(latency)),
        "trace_id": f"{rng.getrandbits(64):016x}",
        "msg": msg,
    }
    if db_queries is not None:
        obj["db_queries"] = db_queries
    return obj


def make_log(rng: random.Random) -> list[dict]:
    times = _arrival_times(rng)
    names = list(SERVICES)
    services = rng.choices(names, weights=[SERVICES[n] for n in names], k=N_LINES)
    return [_request(rng, ms, svc) for ms, svc in zip(times, services, strict=True)]


def log_text(records: list[dict]) -> str:
    return "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in records)


# --------------------------------------------------------------------------- metrics.json

def percentile(sorted_values: list[float], q: float) -> float:
    """Linear-interpolation percentile (numpy's default method) of an already sorted list."""
    if not sorted_values:
        return float("nan")
    pos = (len(sorted_values) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def make_metrics(records: list[dict], start: datetime = WINDOW_START, end: datetime = WINDOW_END,
                 onset: datetime = ONSET) -> dict:
    minutes = int((end - start).total_seconds()) // 60
    buckets: dict[str, list[list[tuple[int, int]]]] = {s: [[] for _ in range(minutes)] for s in SERVICES}
    for r in records:
        hh, mm = int(r["ts"][11:13]), int(r["ts"][14:16])
        minute = (hh - start.hour) * 60 + mm
        buckets[r["service"]][minute].append((r["latency_ms"], r["status"]))
    timestamps = [(start + timedelta(minutes=m)).strftime("%Y-%m-%dT%H:%M:%SZ") for m in range(minutes)]
    services = {}
    for svc in sorted(SERVICES):
        series = {"rpm": [], "p50_ms": [], "p95_ms": [], "p99_ms": [], "failure_rate": []}
        for rows in buckets[svc]:
            lat = sorted(x[0] for x in rows)
            n = len(rows)
            series["rpm"].append(n)
            for key, q in (("p50_ms", 50), ("p95_ms", 95), ("p99_ms", 99)):
                series[key].append(round(percentile(lat, q), 1) if n else None)
            fails = sum(1 for x in rows if x[1] >= 500)
            series["failure_rate"].append(round(fails / n, 4) if n else None)
        services[svc] = series
    return {
        "window": {"start": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                   "end": end.strftime("%Y-%m-%dT%H:%M:%SZ"), "step_seconds": 60},
        "onset": onset.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "source": "per-minute aggregates of data/app.log (one log line = one request)",
        "units": {"rpm": "requests per minute", "p50_ms": "ms", "p95_ms": "ms", "p99_ms": "ms",
                  "failure_rate": "fraction of requests with status >= 500"},
        "timestamps": timestamps,
        "services": services,
    }


def metrics_text(metrics: dict) -> str:
    """JSON with one line per series (readable, diffable), still plain json.load-able."""
    out = ["{"]
    head = [k for k in metrics if k not in ("timestamps", "services")]
    for k in head:
        out.append(f'  {json.dumps(k)}: {json.dumps(metrics[k], separators=(", ", ": "))},')
    out.append(f'  "timestamps": {json.dumps(metrics["timestamps"], separators=(",", ":"))},')
    out.append('  "services": {')
    svcs = list(metrics["services"])
    for i, svc in enumerate(svcs):
        out.append(f"    {json.dumps(svc)}: {{")
        keys = list(metrics["services"][svc])
        for j, key in enumerate(keys):
            comma = "," if j < len(keys) - 1 else ""
            values = json.dumps(metrics["services"][svc][key], separators=(",", ":"))
            out.append(f"      {json.dumps(key)}: {values}{comma}")
        out.append("    }" + ("," if i < len(svcs) - 1 else ""))
    out.append("  }")
    out.append("}")
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- deploys.json

def make_deploys(rows: list[tuple] = DEPLOYS) -> list[dict]:
    keys = ("id", "service", "version", "author", "timestamp", "commit", "description")
    return [dict(zip(keys, row, strict=True)) for row in rows]


def deploys_text(deploys: list[dict], start: datetime = WINDOW_START, end: datetime = WINDOW_END) -> str:
    return json.dumps({"window": {"start": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                                  "end": end.strftime("%Y-%m-%dT%H:%M:%SZ")},
                       "deploys": deploys}, indent=2) + "\n"


# --------------------------------------------------------------------------- diff.txt

ORDER_SUMMARY_BEFORE = '''\
"""Order summary shown on the checkout review page and in the confirmation e-mail."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from services.checkout.models import Order
from services.checkout.pricing import line_total, order_totals


@dataclass
class SummaryLine:
    sku: str
    name: str
    quantity: int
    unit_price: Decimal
    total: Decimal


def build_order_summary(db, order: Order) -> dict:
    """Everything the review page needs, in one dict (rendered by order_summary.html)."""
    lines = []
    for item in order.items:
        lines.append(
            SummaryLine(
                sku=item.sku,
                name=item.product_name,
                quantity=item.quantity,
                unit_price=item.unit_price,
                total=line_total(item),
            )
        )
    totals = order_totals(order)
    return {
        "order_id": order.id,
        "lines": lines,
        "subtotal": totals.subtotal,
        "shipping": totals.shipping,
        "tax": totals.tax,
        "total": totals.total,
    }
'''

ORDER_SUMMARY_AFTER = '''\
"""Order summary shown on the checkout review page and in the confirmation e-mail."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from services.checkout.models import InventoryReservation, Order
from services.checkout.pricing import line_total, order_totals


@dataclass
class SummaryLine:
    sku: str
    name: str
    quantity: int
    unit_price: Decimal
    total: Decimal
    reserved_until: str | None = None
    warehouse: str | None = None


def build_order_summary(db, order: Order) -> dict:
    """Everything the review page needs, in one dict (rendered by order_summary.html)."""
    lines = []
    for item in order.items:
        reservation = db.query(InventoryReservation).filter_by(sku=item.sku).first()
        lines.append(
            SummaryLine(
                sku=item.sku,
                name=item.product_name,
                quantity=item.quantity,
                unit_price=item.unit_price,
                total=line_total(item),
                reserved_until=reservation.expires_at.isoformat() if reservation else None,
                warehouse=reservation.warehouse_code if reservation else None,
            )
        )
    totals = order_totals(order)
    return {
        "order_id": order.id,
        "lines": lines,
        "subtotal": totals.subtotal,
        "shipping": totals.shipping,
        "tax": totals.tax,
        "total": totals.total,
    }
'''

TEMPLATE_BEFORE = '''\
<table class="order-summary">
  <thead>
    <tr><th>Item</th><th>Qty</th><th>Price</th><th>Total</th></tr>
  </thead>
  <tbody>
    {% for line in summary.lines %}
    <tr>
      <td>{{ line.name }}</td>
      <td>{{ line.quantity }}</td>
      <td>{{ line.unit_price | money }}</td>
      <td>{{ line.total | money }}</td>
    </tr>
    {% endfor %}
  </tbody>
  <tfoot>
    <tr><td colspan="3">Subtotal</td><td>{{ summary.subtotal | money }}</td></tr>
    <tr><td colspan="3">Shipping</td><td>{{ summary.shipping | money }}</td></tr>
    <tr><td colspan="3">Tax</td><td>{{ summary.tax | money }}</td></tr>
    <tr class="total"><td colspan="3">Total</td><td>{{ summary.total | money }}</td></tr>
  </tfoot>
</table>
'''

TEMPLATE_AFTER = '''\
<table class="order-summary">
  <thead>
    <tr><th>Item</th><th>Qty</th><th>Price</th><th>Total</th><th>Reserved</th></tr>
  </thead>
  <tbody>
    {% for line in summary.lines %}
    <tr>
      <td>{{ line.name }}</td>
      <td>{{ line.quantity }}</td>
      <td>{{ line.unit_price | money }}</td>
      <td>{{ line.total | money }}</td>
      <td>
        {% if line.reserved_until %}
        until {{ line.reserved_until | short_time }} ({{ line.warehouse }})
        {% else %}&mdash;{% endif %}
      </td>
    </tr>
    {% endfor %}
  </tbody>
  <tfoot>
    <tr><td colspan="4">Subtotal</td><td>{{ summary.subtotal | money }}</td></tr>
    <tr><td colspan="4">Shipping</td><td>{{ summary.shipping | money }}</td></tr>
    <tr><td colspan="4">Tax</td><td>{{ summary.tax | money }}</td></tr>
    <tr class="total"><td colspan="4">Total</td><td>{{ summary.total | money }}</td></tr>
  </tfoot>
</table>
'''

TEST_BEFORE = '''\
from decimal import Decimal

from services.checkout.order_summary import build_order_summary
from services.checkout.testing import make_order


def test_summary_totals(db):
    order = make_order(db, items=[("SKU-1", 2, Decimal("9.99"))])
    summary = build_order_summary(db, order)
    assert summary["subtotal"] == Decimal("19.98")
    assert len(summary["lines"]) == 1
'''

TEST_AFTER = '''\
from decimal import Decimal

from services.checkout.order_summary import build_order_summary
from services.checkout.testing import make_order, make_reservation


def test_summary_totals(db):
    order = make_order(db, items=[("SKU-1", 2, Decimal("9.99"))])
    summary = build_order_summary(db, order)
    assert summary["subtotal"] == Decimal("19.98")
    assert len(summary["lines"]) == 1


def test_summary_shows_reservation(db):
    order = make_order(db, items=[("SKU-1", 1, Decimal("5.00")), ("SKU-2", 1, Decimal("7.50"))])
    make_reservation(db, sku="SKU-1", warehouse_code="AMS-2", minutes=15)
    summary = build_order_summary(db, order)
    assert summary["lines"][0].warehouse == "AMS-2"
    assert summary["lines"][0].reserved_until is not None
    assert summary["lines"][1].reserved_until is None
'''

CONFIG_BEFORE = '''\
checkout:
  review_page:
    show_promotions: true
    summary_cache_ttl_seconds: 0
  payments:
    timeout_ms: 4000
  database:
    pool_size: 20
    statement_timeout_ms: 5000
'''

CONFIG_AFTER = '''\
checkout:
  review_page:
    show_promotions: true
    show_inventory_reservation: true
    summary_cache_ttl_seconds: 0
  payments:
    timeout_ms: 4000
  database:
    pool_size: 20
    statement_timeout_ms: 5000
'''

DIFF_FILES = [
    # path, index line, before, after
    ("services/checkout/config/checkout.yaml", "index 2b7d1e0..8f03c5a 100644", CONFIG_BEFORE, CONFIG_AFTER),
    ("services/checkout/order_summary.py", "index 6a1f9c3..d04e7b2 100644", ORDER_SUMMARY_BEFORE, ORDER_SUMMARY_AFTER),
    ("services/checkout/templates/order_summary.html", "index 41c08ad..93e2f5b 100644", TEMPLATE_BEFORE, TEMPLATE_AFTER),
    ("services/checkout/tests/test_order_summary.py", "index e5b3a70..1c9d24f 100644", TEST_BEFORE, TEST_AFTER),
]

COMMIT_HEADER = """\
commit 9c41e7b4a2d86f1035e9c7b2d4f8a61e3c5b9d70
Author: Priya Raman <priya.raman@shopco.example>
Date:   Wed Nov 18 13:41:52 2026 +0000

    Order summary: show inventory reservation per line item

    Customers asked to see how long their stock is held. Look up the
    inventory reservation of each line item and show the warehouse and the
    reservation expiry on the review page and in the confirmation e-mail.
    Behind the show_inventory_reservation flag (on by default).

    Refs: CHK-1184
    Reviewed-by: Marta Kowalski <marta.kowalski@shopco.example>
"""


def diff_text(header: str = COMMIT_HEADER, files: list[tuple] = DIFF_FILES) -> str:
    parts = [header, "\n"]
    for path, index, before, after in files:
        parts.append(f"diff --git a/{path} b/{path}\n{index}\n")
        for line in difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                         fromfile=f"a/{path}", tofile=f"b/{path}", n=3):
            parts.append(line)
    return "".join(parts)


# --------------------------------------------------------------------------- Incident-2291 (notebook 08)
# A week later, another service, a related cause: cart's p99 climbs right after dep_4871 (cart v4.7.0), whose cart
# view looks up each line's loyalty price with one query per line (an N+1 again). Small on purpose: two hours, 6,000
# lines, the same line format as app.log (cart lines carry db_queries here), so the same greps answer it.

SEED_2291 = 2291
N_LINES_2291 = 6_000
START_2291 = datetime(2026, 11, 25, 9, 0, 0, tzinfo=timezone.utc)
END_2291 = datetime(2026, 11, 25, 11, 0, 0, tzinfo=timezone.utc)
ONSET_2291 = datetime(2026, 11, 25, 10, 4, 0, tzinfo=timezone.utc)
SLOW_QUERY_2291 = "slow query: SELECT * FROM loyalty_prices WHERE sku = ? AND tier = ?"

DEPLOYS_2291 = [
    ("dep_4869", "auth", "v1.32.1", "sam.okafor", "2026-11-25T09:12:08Z", "0c7d5e2",
     "Auth: shorter refresh-token lifetime for inactive devices"),
    ("dep_4870", "search", "v5.3.0", "diego.alvarez", "2026-11-25T09:51:36Z", "8e2a4f9",
     "Search: typo tolerance for brand names"),
    ("dep_4871", "cart", "v4.7.0", "lena.fischer", "2026-11-25T10:02:40Z", "b3e9d41",
     "Cart: show each line's loyalty price"),
    ("dep_4872", "catalog", "v3.9.0", "hana.suzuki", "2026-11-25T10:21:15Z", "5f18c0a",
     "Catalog: cache category trees for 5 minutes"),
]


def _ts_2291(ms: int) -> str:
    t = START_2291 + timedelta(milliseconds=ms)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def _request_2291(rng: random.Random, ms: int, service: str) -> dict:
    """One request of Incident-2291: healthy, except cart's GET /cart after the onset (one query per cart line)."""
    route_table = ROUTES[service]
    route, _, median, ok_msg = rng.choices(route_table, weights=[r[1] for r in route_table])[0]
    latency = median * rng.lognormvariate(0.0, 0.5)
    status, level, msg = (201 if route == "POST /cart/items" else 200), "INFO", ok_msg
    db_queries = rng.randint(2, 5) if service == "cart" else None
    slow = route == "GET /cart" and ms >= int((ONSET_2291 - START_2291).total_seconds() * 1000)
    if slow:
        lines = max(3, min(240, int(rng.lognormvariate(math.log(16), 0.85))))
        db_queries += lines
        latency += lines * rng.uniform(18.0, 30.0)
    err = _pick(rng, CLIENT_ERRORS[service])
    if err is not None:
        status, _, msg = err
        level, latency = "WARN", latency * 0.6
    if slow and status < 400:
        if latency >= GATEWAY_TIMEOUT_MS:
            status, level, msg, latency = 504, "ERROR", "upstream timeout", GATEWAY_TIMEOUT_MS + rng.uniform(0, 60)
        elif rng.random() < 0.01:
            status, level, msg, latency = 500, "ERROR", "db connection pool exhausted", 3000 + rng.uniform(0, 80)
        elif latency >= 1200:
            level, msg = "WARN", SLOW_QUERY_2291
    obj = {"ts": _ts_2291(ms), "level": level, "service": service, "route": route, "status": status,
           "latency_ms": int(round(latency)), "trace_id": f"{rng.getrandbits(64):016x}", "msg": msg}
    if db_queries is not None:
        obj["db_queries"] = db_queries
    return obj


def make_log_2291(rng: random.Random) -> list[dict]:
    span = int((END_2291 - START_2291).total_seconds() * 1000)
    times = sorted(rng.randrange(span) for _ in range(N_LINES_2291))
    names = list(SERVICES)
    services = rng.choices(names, weights=[SERVICES[n] for n in names], k=N_LINES_2291)
    return [_request_2291(rng, ms, svc) for ms, svc in zip(times, services, strict=True)]


CART_VIEW_BEFORE = """\
\"\"\"The cart page: its lines with their prices, and the totals.\"\"\"
from __future__ import annotations

from services.cart.models import Cart
from services.cart.pricing import cart_totals


def build_cart_view(db, cart: Cart, customer) -> dict:
    lines = []
    for line in cart.lines:
        lines.append({"sku": line.sku, "name": line.product_name, "quantity": line.quantity,
                      "unit_price": line.unit_price})
    return {"cart_id": cart.id, "lines": lines, "totals": cart_totals(cart)}
"""

CART_VIEW_AFTER = """\
\"\"\"The cart page: its lines with their prices, and the totals.\"\"\"
from __future__ import annotations

from services.cart.models import Cart, LoyaltyPrice
from services.cart.pricing import cart_totals


def build_cart_view(db, cart: Cart, customer) -> dict:
    lines = []
    for line in cart.lines:
        loyalty = db.query(LoyaltyPrice).filter_by(sku=line.sku, tier=customer.tier).first()
        lines.append({"sku": line.sku, "name": line.product_name, "quantity": line.quantity,
                      "unit_price": line.unit_price,
                      "loyalty_price": loyalty.price if loyalty else None})
    return {"cart_id": cart.id, "lines": lines, "totals": cart_totals(cart)}
"""

CART_TEMPLATE_BEFORE = """\
{% for line in view.lines %}
<li>{{ line.name }} x {{ line.quantity }}: {{ line.unit_price | money }}</li>
{% endfor %}
"""

CART_TEMPLATE_AFTER = """\
{% for line in view.lines %}
<li>{{ line.name }} x {{ line.quantity }}: {{ line.unit_price | money }}
  {% if line.loyalty_price %}<span class="loyalty">{{ line.loyalty_price | money }} for members</span>{% endif %}</li>
{% endfor %}
"""

DIFF_FILES_2291 = [
    ("services/cart/cart_view.py", "index 7e21c9a..4b80d13 100644", CART_VIEW_BEFORE, CART_VIEW_AFTER),
    ("services/cart/templates/cart.html", "index 12fa0b7..c93e6d8 100644", CART_TEMPLATE_BEFORE, CART_TEMPLATE_AFTER),
]

COMMIT_HEADER_2291 = """\
commit b3e9d41c07a25f8e6d913b2a4c58e07f1d6a9b32
Author: Lena Fischer <lena.fischer@shopco.example>
Date:   Wed Nov 25 09:31:07 2026 +0000

    Cart: show each line's loyalty price

    Members see their tier's price next to each item in the cart.

    Refs: CRT-2210
"""


def generate_2291(out: Path) -> dict[str, str]:
    """The evidence of Incident-2291: {file name: text}."""
    records = make_log_2291(random.Random(SEED_2291))
    return {
        "app.log": log_text(records),
        "metrics.json": metrics_text(make_metrics(records, START_2291, END_2291, ONSET_2291)),
        "deploys.json": deploys_text(make_deploys(DEPLOYS_2291), START_2291, END_2291),
        "diff.txt": diff_text(COMMIT_HEADER_2291, DIFF_FILES_2291),
    }


# --------------------------------------------------------------------------- README

README = """\
# Incident-2277 evidence

Generated by `scripts/generate_data.py` (fixed seed, standard library only; re-running it reproduces these
files byte for byte). Window: `2026-11-18T12:00:00Z` to `2026-11-18T16:00:00Z`. All timestamps are UTC,
ISO 8601 with `Z`. The facts of the incident are in `docs/design.md`.

## `app.log`: 70,000 request log lines (JSON Lines)

One JSON object per line, one line per HTTP request, sorted by `ts`, compact separators, keys always in
this order:

| key | type | meaning |
|---|---|---|
| `ts` | string | request end, `2026-11-18T14:07:00.123Z` (millisecond precision) |
| `level` | string | `INFO`, `WARN` (4xx, slow requests, slow queries) or `ERROR` (5xx) |
| `service` | string | `checkout`, `payments`, `cart`, `catalog`, `search`, `auth` |
| `route` | string | method and route template, e.g. `GET /checkout/summary` |
| `status` | int | HTTP status (2xx, 4xx, 5xx) |
| `latency_ms` | int | time to respond, ms |
| `trace_id` | string | 16 hex digits |
| `msg` | string | what happened, e.g. `order summary rendered`, `upstream timeout` |
| `db_queries` | int | **checkout lines only** (last key): SQL queries the request ran |

So `grep -c '"service":"checkout"' data/app.log` counts checkout requests, and
`grep -c 'slow query' data/app.log` counts the slow-query warnings.

## `metrics.json`: per-minute series per service

Computed from `app.log` (per-minute aggregates of its lines), so the two always agree.

```
{
  "window": {"start": "...Z", "end": "...Z", "step_seconds": 60},
  "onset": "2026-11-18T14:07:00Z",
  "source": "...", "units": {"rpm": "...", ...},
  "timestamps": ["2026-11-18T12:00:00Z", ...],        # 240 minute starts, shared by every series
  "services": {
    "auth": {"rpm": [...], "p50_ms": [...], "p95_ms": [...], "p99_ms": [...], "failure_rate": [...]},
    ...
  }
}
```

Series `services[s][metric][i]` covers the minute starting at `timestamps[i]`:

* `rpm`: requests in that minute (int).
* `p50_ms`, `p95_ms`, `p99_ms`: latency percentiles of that minute's requests (linear interpolation, like
  `numpy.percentile`), ms, one decimal.
* `failure_rate`: fraction of that minute's requests with status >= 500, four decimals.

A minute without requests would hold `null` (none in this file).

## `deploys.json`: the deploys in the window

`{"window": {"start", "end"}, "deploys": [...]}`, sorted by `timestamp`; each deploy has:
`id` (`dep_NNNN`), `service`, `version`, `author`, `timestamp` (deploy start), `commit` (7-hex short sha),
`description`.

## `diff.txt`: the change behind one deploy

`git show`-style output of commit `9c41e7b` (deploy `dep_4820`): the commit header (sha, author, date,
message) then a unified diff of each file it touched.

## `incident-2291/`: a second, smaller incident (notebook 08)

A week later, on another service: cart's p99 climbs at `2026-11-25T10:04:00Z`, right after `dep_4871` (cart
`v4.7.0`, commit `b3e9d41`), whose cart view looks up each line's loyalty price with one query per line. The same
four files in the same formats, over two hours (`09:00Z` to `11:00Z`), 6,000 log lines; here `cart` lines carry
`db_queries` (and checkout's do not); a minute in which a small service saw no request holds `null` in
`metrics.json`. Generated by the same script with its own seed (2291).
"""


# --------------------------------------------------------------------------- main

def generate(out: Path) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(SEED)
    records = make_log(rng)
    files = {
        "app.log": log_text(records),
        "metrics.json": metrics_text(make_metrics(records)),
        "deploys.json": deploys_text(make_deploys()),
        "diff.txt": diff_text(),
        "README.md": README,
    }
    files.update({f"incident-2291/{name}": text for name, text in generate_2291(out).items()})
    written = {}
    for name, text in files.items():
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
        written[name] = path
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "data", help="output directory (default: data/)")
    args = parser.parse_args(argv)
    for path in generate(args.out).values():
        print(f"{path}  {path.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
