"""Page sequences of the example site, per kind of visit (paths with optional query string)."""

from __future__ import annotations

import random

from orchestration.generate import vocab


def awareness_pages(rng: random.Random) -> list[str]:
    """A first look: home, features, about or a blog article, sometimes an unmapped page."""
    landing = rng.choice(
        (
            "/",
            "/",
            "/about",
            *vocab.FEATURE_PAGES,
            *(f"/blog/{slug}" for slug in vocab.BLOG_SLUGS),
            f"/blog/{rng.choice(vocab.BLOG_SLUGS)}/",
        )
    )
    pages = [landing]
    for _ in range(rng.choice((0, 0, 1, 1, 2))):
        if rng.random() < 0.15:
            pages.append(rng.choice(vocab.UNMAPPED_PAGES))
        else:
            pages.append(
                rng.choice(
                    ("/", "/about", *vocab.FEATURE_PAGES, f"/blog/{rng.choice(vocab.BLOG_SLUGS)}")
                )
            )
    return pages


def pricing_pages(rng: random.Random) -> list[str]:
    """A look at prices, maybe on to the demo form or the checkout (left unfinished)."""
    pages = ["/pricing"] if rng.random() < 0.6 else [rng.choice(("/", "/features/")), "/pricing"]
    if rng.random() < 0.4:
        pages.append(rng.choice(("/pricing?plan=pro&billing=yearly", "/pricing/enterprise")))
    if rng.random() < 0.2:
        pages.append(rng.choice(("/demo", "/checkout?plan=starter", "/features/integrations")))
    return pages


def help_pages(rng: random.Random) -> list[str]:
    """Help-center articles."""
    pages = [f"/help/{rng.choice(vocab.HELP_ARTICLES)}" for _ in range(rng.choice((1, 1, 2, 3)))]
    if rng.random() < 0.2:
        pages.insert(0, "/")
    return pages


def loyalty_pages(rng: random.Random) -> list[str]:
    """The referral programme or the community."""
    if rng.random() < 0.5:
        pages = ["/refer"]
        if rng.random() < 0.3:
            pages.append("/refer?step=invite")
    else:
        pages = [f"/community/{rng.choice(vocab.COMMUNITY_TOPICS)}"]
        if rng.random() < 0.4:
            pages.append(f"/community/{rng.choice(vocab.COMMUNITY_TOPICS)}")
    return pages


def demo_pages(rng: random.Random) -> list[str]:
    """Ends on the demo request form (the caller fires generate_lead on the last page)."""
    return ["/demo"] if rng.random() < 0.5 else ["/pricing", "/demo"]


def checkout_pages(plan_id: str, seats: int, transaction_id: str) -> list[str]:
    """Pricing, checkout, thank-you page (the caller fires purchase on the last page)."""
    return [
        f"/pricing?plan={plan_id.split('_')[1]}",
        f"/checkout?plan={plan_id}&seats={seats}",
        f"/checkout/complete?order={transaction_id}",
    ]
