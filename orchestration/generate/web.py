"""GA4 side of the simulation: devices, sessions and the BigQuery-export events they produce."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from orchestration.generate import vocab
from orchestration.generate.clock import MILLISECOND_US, SECOND, ga4_date

STREAM_ID = "4817263950"
SESSION_TIMEOUT_GAP = 31 * 60 * SECOND  # GA4 starts a new session after 30 idle minutes


@dataclass
class Purchase:
    transaction_id: str
    item_id: str
    item_name: str
    price: float
    quantity: int

    @property
    def revenue(self) -> float:
        return self.price * self.quantity


@dataclass
class Session:
    """One visit: pages in order, how long each is looked at, and what happens on them."""

    pages: list[str]  # path plus query string, e.g. "/pricing?plan=pro"
    dwell: list[int]  # microseconds on each page
    start: int = 0
    lead_page: int | None = None  # generate_lead fires on this page (the /demo form)
    purchase: Purchase | None = None  # purchase fires on the last page
    needs_login: bool = False
    login_page: int | None = None  # set when the device logs in during this session
    referrer: str | None = None  # external referrer of the landing page
    utm: dict[str, str | None] | None = None
    small_delays: tuple[int, int, int] = (0, 0, 0)  # login, lead, purchase offsets (µs)

    @property
    def duration(self) -> int:
        return sum(self.dwell)

    @property
    def end(self) -> int:
        return self.start + self.duration


@dataclass
class Device:
    category: str
    operating_system: str
    browser: str
    language: str
    city: str
    region: str
    country: str
    traffic_source: dict[str, str]
    ads_storage: str
    sessions: list[Session] = field(default_factory=list)
    pseudo_id: str = ""
    user_id: str | None = None  # CRM contact id this device logs in with (None: anonymous)

    def is_free(self, start: int, end: int) -> bool:
        """No other session of this device within the GA4 session timeout of [start, end]."""
        return all(
            end + SESSION_TIMEOUT_GAP <= other.start or other.end + SESSION_TIMEOUT_GAP <= start
            for other in self.sessions
        )


def new_device(rng: random.Random, language: str) -> Device:
    category, operating_system, browser = rng.choice(vocab.DEVICES)
    city, region, country, _, _ = rng.choice(vocab.CITIES)
    if rng.random() < 0.05:
        city, region = "(not set)", "(not set)"
    locale = "de-de" if language == "DE" else rng.choice(("en-us", "en-gb"))
    return Device(
        category=category,
        operating_system=operating_system,
        browser=browser,
        language=locale,
        city=city,
        region=region,
        country=country,
        traffic_source=dict(rng.choice(vocab.TRAFFIC_SOURCES)),
        ads_storage=rng.choice(("Yes", "No", "No")),
    )


def new_session(
    rng: random.Random,
    pages: list[str],
    *,
    lead_page: int | None = None,
    purchase: Purchase | None = None,
    needs_login: bool = False,
) -> Session:
    dwell = [
        int(min(max(rng.expovariate(1 / 50), 3.0), 600.0) * SECOND) + rng.randrange(SECOND)
        for _ in pages
    ]
    small = (
        rng.randrange(100, 1500) * MILLISECOND_US,  # login after its page view
        rng.randrange(20, 90) * SECOND + rng.randrange(SECOND),  # demo form filled in
        rng.randrange(200, 2000) * MILLISECOND_US,  # purchase after the thank-you page view
    )
    if lead_page is not None:
        dwell[lead_page] = max(dwell[lead_page], small[1] + 5 * SECOND)
    query, utm = rng.choice(vocab.LANDING_QUERIES)
    landing = pages[0] if "?" in pages[0] else pages[0] + query
    referrer = None
    if utm is None and rng.random() < 0.5:
        referrer = rng.choice(
            (
                "https://www.google.com/",
                "https://www.bing.com/",
                "https://t3n.de/news/",
                "https://www.linkedin.com/",
            )
        )
    return Session(
        pages=[landing, *pages[1:]],
        dwell=dwell,
        lead_page=lead_page,
        purchase=purchase,
        needs_login=needs_login,
        referrer=referrer,
        utm=utm if landing != pages[0] else None,
        small_delays=small,
    )


def _param(
    key: str, *, string: str | None = None, integer: int | None = None, double: float | None = None
) -> dict[str, Any]:
    return {
        "key": key,
        "value": {
            "string_value": string,
            "int_value": None if integer is None else str(integer),
            "float_value": None,
            "double_value": double,
        },
    }


def _title(path: str) -> str:
    bare = path.split("?", 1)[0]
    if bare in vocab.PAGE_TITLES:
        return vocab.PAGE_TITLES[bare]
    slug = bare.rstrip("/").rsplit("/", 1)[-1].replace("-", " ").strip() or "Hilfe"
    section = bare.strip("/").split("/", 1)[0]
    names = {
        "blog": "Blog",
        "help": "Hilfe-Center",
        "features": "Funktionen",
        "community": "Community",
    }
    return f"{slug.capitalize()} – {names.get(section, 'Example SaaS')} – Example SaaS"


def session_events(
    device: Device, session: Session, number: int, first_visit: bool, logged_in_at: int | None
) -> tuple[list[tuple[int, dict[str, Any]]], int | None]:
    """Events of one session as (timestamp µs, GA4 row) pairs, in time order.

    `logged_in_at` is the login time if the device logged in before this session; the returned
    value is the login time after it. Events at or after the login carry `user_id`.
    """
    session_id = session.start // SECOND
    events: list[tuple[int, dict[str, Any]]] = []
    login_at = logged_in_at
    engaged = "1" if len(session.pages) > 1 or session.duration >= 10 * SECOND else "0"

    def emit(
        ts: int,
        name: str,
        page_index: int,
        extra: list[dict[str, Any]] | None = None,
        ecommerce: dict[str, Any] | None = None,
        items: list[dict[str, Any]] | None = None,
        value: float | None = None,
    ) -> None:
        page = session.pages[page_index]
        if page_index == 0:
            referrer = session.referrer
        else:
            referrer = vocab.BASE_URL + session.pages[page_index - 1]
        params = [
            _param("page_location", string=vocab.BASE_URL + page),
            _param("page_title", string=_title(page)),
        ]
        if referrer is not None:
            params.append(_param("page_referrer", string=referrer))
        params += [
            _param("ga_session_id", integer=session_id),
            _param("ga_session_number", integer=number),
            _param("session_engaged", string=engaged),
        ]
        params += extra or []
        user_id = device.user_id if login_at is not None and ts >= login_at else None
        properties: list[dict[str, Any]] = []
        if user_id is not None:
            properties.append(
                {
                    "key": "account_type",
                    "value": {
                        "string_value": "customer",
                        "int_value": None,
                        "float_value": None,
                        "double_value": None,
                        "set_timestamp_micros": str(login_at),
                    },
                }
            )
        row: dict[str, Any] = {
            "event_date": ga4_date(ts),
            "event_timestamp": str(ts),
            "event_name": name,
            "event_params": params,
            "event_previous_timestamp": None,
            "event_value_in_usd": value,
            "event_bundle_sequence_id": str(number * 1000 + len(events) + 1),
            "user_id": user_id,
            "user_pseudo_id": device.pseudo_id,
            "privacy_info": {
                "analytics_storage": "Yes",
                "ads_storage": device.ads_storage,
                "uses_transient_token": "No",
            },
            "user_properties": properties,
            "user_first_touch_timestamp": str(device.sessions[0].start),
            "device": {
                "category": device.category,
                "operating_system": device.operating_system,
                "language": device.language,
                "web_info": {"browser": device.browser, "hostname": vocab.HOST},
            },
            "geo": {"country": device.country, "region": device.region, "city": device.city},
            "traffic_source": device.traffic_source,
            "stream_id": STREAM_ID,
            "platform": "WEB",
            "ecommerce": ecommerce,
            "items": items or [],
            "collected_traffic_source": session.utm if page_index == 0 else None,
            "is_active_user": True,
        }
        events.append((ts, row))

    offset = session.start
    login_delay, lead_delay, purchase_delay = session.small_delays
    emit(offset, "session_start", 0)
    if first_visit:
        emit(offset, "first_visit", 0)
    last = len(session.pages) - 1
    for index, dwell in enumerate(session.dwell):
        emit(offset, "page_view", index)
        if session.login_page == index and login_at is None:
            login_at = offset + login_delay
            emit(login_at, "login", index, [_param("method", string="email")])
        if session.lead_page == index:
            emit(
                offset + lead_delay,
                "generate_lead",
                index,
                [_param("form_id", string="demo_request"), _param("currency", string="EUR")],
            )
        if session.purchase is not None and index == last:
            bought = session.purchase
            emit(
                offset + purchase_delay,
                "purchase",
                index,
                [
                    _param("transaction_id", string=bought.transaction_id),
                    _param("currency", string="EUR"),
                    _param("value", double=bought.revenue),
                ],
                ecommerce={
                    "total_item_quantity": str(bought.quantity),
                    "purchase_revenue_in_usd": None,
                    "purchase_revenue": bought.revenue,
                    "unique_items": "1",
                    "transaction_id": bought.transaction_id,
                },
                items=[
                    {
                        "item_id": bought.item_id,
                        "item_name": bought.item_name,
                        "price": bought.price,
                        "quantity": str(bought.quantity),
                    }
                ],
                value=None,
            )
        offset += dwell
    emit(
        offset,
        "user_engagement",
        last,
        [_param("engagement_time_msec", integer=session.duration // MILLISECOND_US)],
    )
    return events, login_at
