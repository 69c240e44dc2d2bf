"""The identity truth: how every emitted record reaches a known customer, worked out from the
records with the contract's identity rules (the warehouse's agg_identity_coverage must give
the same counts).

- Web events: a browser (`user_pseudo_id`) belongs to the customer of the user_id on its
  earliest event that carries one. Its events with a user_id count as `ga_user_id`, the others
  as `stitched_browser`: the anonymous sessions before a late login (counted apart as well) and
  the ones after it. Browsers that never log in stay `anonymous`.
- Survey responses (every response, valid or not): the contact id in ExternalReference (15 or
  18 characters) wins (`external_reference`), then the recipient's e-mail
  (`recipient_email`), else `anonymous`.
- CRM contacts: the earliest contact of each e-mail is the customer (`crm_contact_id`), the
  others are merged into it (`email_merge`).
"""

from __future__ import annotations

from collections import Counter
from typing import Any


class IdentityTruth:
    def __init__(self) -> None:
        self.web: Counter[str] = Counter()
        self.survey: Counter[str] = Counter()
        self.crm: Counter[str] = Counter()
        self.late_login_browsers = 0
        self.events_before_login = 0

    def add_browser_events(
        self, events: list[dict[str, Any]], first_login: dict[str, tuple[int, str]]
    ) -> None:
        """One person's distinct web events, with each browser's first login (time, user_id)."""
        first_event: dict[str, int] = {}
        for row in events:
            pseudo_id, stamp = row["user_pseudo_id"], int(row["event_timestamp"])
            first_event[pseudo_id] = min(stamp, first_event.get(pseudo_id, stamp))
            login = first_login.get(pseudo_id)
            if login is None:
                self.web["anonymous"] += 1
            elif row.get("user_id"):
                self.web["ga_user_id"] += 1
            else:
                self.web["stitched_browser"] += 1
                if stamp < login[0]:
                    self.events_before_login += 1
        self.late_login_browsers += sum(
            1
            for pseudo_id, (login_at, _) in first_login.items()
            if first_event.get(pseudo_id, login_at) < login_at
        )

    def add_survey_response(self, by_reference: bool, by_email: bool) -> None:
        if by_reference:
            self.survey["external_reference"] += 1
        elif by_email:
            self.survey["recipient_email"] += 1
        else:
            self.survey["anonymous"] += 1

    def add_contact_group(self, members: int) -> None:
        """The contacts sharing one e-mail: one customer, the rest merged into it."""
        self.crm["crm_contact_id"] += 1
        self.crm["email_merge"] += members - 1

    def expected(self) -> dict[str, Any]:
        def present(counter: Counter[str]) -> dict[str, int]:
            return {key: value for key, value in sorted(counter.items()) if value}

        return {
            "records_by_identifier": {
                "web": present(self.web),
                "survey": present(self.survey),
                "crm": present(self.crm),
            },
            "late_login_browsers": self.late_login_browsers,
            "events_before_login": self.events_before_login,
        }
