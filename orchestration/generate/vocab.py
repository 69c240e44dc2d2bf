"""Static word lists for the synthetic exports: names, places, pages, texts.

Everything here is invented. German text is UTF-8 on purpose (umlauts, ß, typographic dashes),
and several values hold commas, double quotes or line breaks, because real exports do.
"""

from __future__ import annotations

FIRST_NAMES: tuple[str, ...] = (
    "Anna",
    "Lukas",
    "Mia",
    "Jonas",
    "Lea",
    "Felix",
    "Sophie",
    "Maximilian",
    "Emma",
    "Paul",
    "Hannah",
    "Leon",
    "Marie",
    "Elias",
    "Lena",
    "Jürgen",
    "Sören",
    "Käthe",
    "Björn",
    "Ute",
    "Özlem",
    "Mehmet",
    "Julia",
    "Tobias",
    "Sarah",
    "David",
    "Laura",
    "Niklas",
    "Katharina",
    "Florian",
    "Greta",
    "Moritz",
    "Clara",
    "Benedikt",
    "Franziska",
    "Jörg",
    "Nadine",
    "Timo",
    "Chloé",
    "Liam",
    "Olivia",
    "Noah",
    "Ava",
    "Ethan",
    "Zoë",
    "René",
    "Agnieszka",
    "Pavel",
)

LAST_NAMES: tuple[str, ...] = (
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Schäfer",
    "Koch",
    "Bauer",
    "Richter",
    "Klein",
    "Wolf",
    "Schröder",
    "Neumann",
    "Schwarz",
    "Zimmermann",
    "Braun",
    "Krüger",
    "Hofmann",
    "Hartmann",
    "Lange",
    "Schmitt",
    "Werner",
    "Krause",
    "Meier",
    "Lehmann",
    "Köhler",
    "Groß",
    "Weiß",
    "Jäger",
    "Böhm",
    "Yılmaz",
    "Kowalski",
    "O'Brien",
    "Smith",
    "García",
    "Dubois",
    "Rossi",
    "Nowak",
    "Özdemir",
)

SALUTATIONS: tuple[str, ...] = ("", "", "", "Dr.", "Prof.")

COMPANY_STEMS: tuple[str, ...] = (
    "Müller",
    "Schmidt & Partner",
    "Nordlicht",
    "Bergmann",
    "Alpenblick",
    "Rheinwerk",
    "Hansa",
    "Sonnenschein",
    "Weißenfels",
    "Lindenhof",
    "Kraftwerk",
    "Brückner",
    "Elbe",
    "Isar",
    "Spreewald",
    "Schwarzwald",
    "Grünwald",
    "Falkenstein",
    "Adler",
    "Blau",
    "Fuchs",
    "Löwen",
    "Orion",
    "Polaris",
    "Vektor",
    "Quadrat",
    "Kontor",
    "Meridian",
    "Atlas",
    "Zenit",
)

COMPANY_KINDS: tuple[str, ...] = (
    "Logistik",
    "Software",
    "Bäckerei",
    "Maschinenbau",
    "Consulting",
    "Handel",
    "Medien",
    "Immobilien",
    "Versicherungsmakler",
    "Steuerberatung",
    "Brauerei",
    "Druckerei",
    "Elektrotechnik",
    "Gartenbau",
    "Reisebüro",
    "Apotheke",
    "Architekten",
    "Verlag",
)

LEGAL_FORMS: tuple[str, ...] = (
    "GmbH",
    "GmbH & Co. KG",
    "AG",
    "KG",
    "e.K.",
    "UG (haftungsbeschränkt)",
)

# Account names that need CSV quoting: commas, a line break, quotes.
ODD_ACCOUNT_NAMES: tuple[str, ...] = (
    "{stem}, {kind} {legal}",
    "{stem} {kind} {legal}\nNiederlassung Süd",
    '"{stem}" {kind} {legal}',
    "{stem} {kind}, Inh. {last}",
)

CITIES: tuple[tuple[str, str, str, float, float], ...] = (
    # city, region, country, latitude, longitude
    ("Berlin", "Berlin", "Germany", 52.5200, 13.4050),
    ("Munich", "Bavaria", "Germany", 48.1351, 11.5820),
    ("Hamburg", "Hamburg", "Germany", 53.5511, 9.9937),
    ("Cologne", "North Rhine-Westphalia", "Germany", 50.9375, 6.9603),
    ("Frankfurt", "Hesse", "Germany", 50.1109, 8.6821),
    ("Stuttgart", "Baden-Württemberg", "Germany", 48.7758, 9.1829),
    ("Düsseldorf", "North Rhine-Westphalia", "Germany", 51.2277, 6.7735),
    ("Leipzig", "Saxony", "Germany", 51.3397, 12.3731),
    ("Nuremberg", "Bavaria", "Germany", 49.4521, 11.0767),
    ("Vienna", "Vienna", "Austria", 48.2082, 16.3738),
    ("Zurich", "Zurich", "Switzerland", 47.3769, 8.5417),
    ("Amsterdam", "North Holland", "Netherlands", 52.3676, 4.9041),
)

STREETS: tuple[str, ...] = (
    "Hauptstraße",
    "Bahnhofstraße",
    "Gartenstraße",
    "Schillerstraße",
    "Goethestraße",
    "Königsallee",
    "Lindenweg",
    "Am Mühlbach",
    "Friedrichstraße",
    "Maximilianstraße",
)

INDUSTRIES: tuple[str, ...] = (
    "Technology",
    "Manufacturing",
    "Retail",
    "Finance",
    "Healthcare",
    "Media",
    "Consulting",
    "Transportation",
    "Hospitality",
    "Education",
)

# --- web --------------------------------------------------------------------------------------

HOST = "www.example-saas.com"
BASE_URL = f"https://{HOST}"

FEATURE_PAGES: tuple[str, ...] = (
    "/features/journey-maps",
    "/features/nps-dashboards",
    "/features/integrations",
    "/features/alerts",
    "/features/",
)
BLOG_SLUGS: tuple[str, ...] = (
    "nps-richtig-messen",
    "customer-journey-mapping-guide",
    "5-fehler-im-onboarding",
    "moments-that-matter",
    "csat-vs-nps",
    "b2b-funnel-benchmarks-2026",
    "datenschutz-und-umfragen",
)
HELP_ARTICLES: tuple[str, ...] = (
    "passwort-zuruecksetzen",
    "rechnung-herunterladen",
    "sso-einrichten",
    "api-token",
    "nutzer-einladen",
    "export-csv",
    "",
)
COMMUNITY_TOPICS: tuple[str, ...] = (
    "best-practices",
    "feature-requests",
    "show-and-tell",
    "events/user-group-berlin",
)
UNMAPPED_PAGES: tuple[str, ...] = ("/careers", "/legal/privacy", "/legal/imprint", "/blog/")

PAGE_TITLES: dict[str, str] = {
    "/": "Example SaaS – Customer Journeys verstehen",
    "/about": "Über uns – Example SaaS",
    "/pricing": "Preise & Pläne – Example SaaS",
    "/demo": "Demo anfragen – Example SaaS",
    "/checkout": "Kasse – Example SaaS",
    "/checkout/complete": "Vielen Dank für Ihre Bestellung! – Example SaaS",
    "/refer": "Freunde werben – Example SaaS",
    "/careers": "Karriere – Example SaaS",
    "/legal/privacy": "Datenschutzerklärung – Example SaaS",
    "/legal/imprint": "Impressum – Example SaaS",
    "/blog/": "Blog – Example SaaS",
}

LANDING_QUERIES: tuple[tuple[str, dict[str, str | None] | None], ...] = (
    # query string appended to a landing page, and the collected_traffic_source it yields
    ("", None),
    ("", None),
    ("", None),
    (
        "?utm_source=newsletter&utm_medium=email&utm_campaign=herbst_launch",
        {
            "manual_source": "newsletter",
            "manual_medium": "email",
            "manual_campaign_name": "herbst_launch",
            "gclid": None,
        },
    ),
    (
        "?gclid=Cj0KCQjw8e-gBhD0ARIsAJiDsaW5",
        {
            "manual_source": None,
            "manual_medium": None,
            "manual_campaign_name": None,
            "gclid": "Cj0KCQjw8e-gBhD0ARIsAJiDsaW5",
        },
    ),
    (
        "?utm_source=linkedin&utm_medium=social&utm_campaign=nps_webinar",
        {
            "manual_source": "linkedin",
            "manual_medium": "social",
            "manual_campaign_name": "nps_webinar",
            "gclid": None,
        },
    ),
)

TRAFFIC_SOURCES: tuple[dict[str, str], ...] = (
    {"name": "(direct)", "medium": "(none)", "source": "(direct)"},
    {"name": "(organic)", "medium": "organic", "source": "google"},
    {"name": "(organic)", "medium": "organic", "source": "bing"},
    {"name": "(referral)", "medium": "referral", "source": "t3n.de"},
    {"name": "herbst_launch", "medium": "email", "source": "newsletter"},
    {"name": "(not set)", "medium": "(not set)", "source": "(not set)"},
    {"name": "<Other>", "medium": "cpc", "source": "google"},
)

DEVICES: tuple[tuple[str, str, str], ...] = (
    # category, operating_system, browser
    ("desktop", "Windows", "Chrome"),
    ("desktop", "Windows", "Edge"),
    ("desktop", "Macintosh", "Safari"),
    ("desktop", "Linux", "Firefox"),
    ("mobile", "iOS", "Safari"),
    ("mobile", "Android", "Chrome"),
    ("tablet", "iOS", "Safari"),
)

PLANS: tuple[tuple[str, str, float], ...] = (
    # item_id, item_name, yearly price per seat
    ("plan_starter_annual", "Starter (jährlich)", 348.0),
    ("plan_pro_annual", "Pro (jährlich)", 588.0),
    ("plan_business_annual", "Business (jährlich)", 1188.0),
)

# --- CRM ----------------------------------------------------------------------------------------

CASE_SUBJECTS: tuple[str, ...] = (
    "Login nicht möglich, Passwort-Reset kommt nicht an",
    "Rechnung fehlt",
    'Export bricht ab\nFehlermeldung: "timeout"',
    "Frage zur Abrechnung, Umsatzsteuer-ID ändern",
    "SSO-Einrichtung mit Azure AD",
    "Dashboard lädt sehr langsam",
    "Nutzer einladen: E-Mail landet im Spam",
    "API rate limit, 429 errors since Monday",
    "Kündigung zum Monatsende?",
    "Datenübernahme aus Excel – Umlaute kaputt (ä, ö, ü)",
)

CASE_REASONS: tuple[str, ...] = (
    "Login",
    "Billing",
    "Performance",
    "Data Export",
    "Integration",
    "User Management",
)
CASE_TYPES: tuple[str, ...] = ("Problem", "Question", "Feature Request")

LEAD_SOURCES: tuple[str, ...] = ("Web", "Partner Referral", "Phone Inquiry", "Trade Show", "Other")

# --- surveys ------------------------------------------------------------------------------------

COMMENTS: dict[str, dict[str, tuple[str, ...]]] = {
    "DE": {
        "promoter": (
            "Sehr freundlich, kompetent und schnell. Gerne wieder!",
            "Top Beratung – alles wurde verständlich erklärt.",
            'Der "Quick Start" war wirklich schnell, danke!',
            "Alles super.\nBesonders die Geduld am Telefon, Danke!",
            "Reibungslos, unkompliziert, empfehlenswert.",
        ),
        "passive": (
            "Im Großen und Ganzen ok, aber die Wartezeit war lang.",
            "Gut, allerdings hätte ich mir mehr Infos zu den Preisen gewünscht.",
            "Passt.",
            "Solide Lösung.\nDie Rechnung kam erst nach zwei Tagen.",
        ),
        "detractor": (
            "Zu teuer, und niemand hat zurückgerufen.",
            "Leider ungelöst – ich musste dreimal anrufen!",
            'Antwort war ein Textbaustein: "Bitte Cache leeren", hat nicht geholfen.',
            "Enttäuschend.\nDas Ticket wurde ohne Lösung geschlossen, sehr ärgerlich.",
            "Die Übergabe zwischen Vertrieb und Support klappt überhaupt nicht.",
        ),
    },
    "EN": {
        "promoter": (
            "Great support, fast and friendly.",
            "Checkout was smooth, and the onboarding e-mail was helpful!",
            "Loved it.\nThe sales rep really understood our use case.",
        ),
        "passive": (
            "Fine overall, but the invoice PDF was missing.",
            "OK, nothing special.",
            'Decent, though the "Pro" plan is a bit pricey.',
        ),
        "detractor": (
            "Waited two days for an answer, then the ticket was closed.",
            "Too expensive, and the contract terms were confusing.",
            "Not resolved.\nI had to explain the problem three times, very frustrating.",
        ),
    },
}

TOPICS: dict[str, tuple[str, ...]] = {
    "promoter": ("Freundlichkeit", "Geschwindigkeit", "Kompetenz, Freundlichkeit"),
    "passive": ("Wartezeit", "Preis", "Rechnung, Wartezeit"),
    "detractor": ("Wartezeit, Lösung", "Erreichbarkeit", "Preis, Vertrag"),
}

QUALTRICS_META_LABELS: tuple[str, ...] = (
    "Startdatum",
    "Enddatum",
    "Antworttyp",
    "IP-Adresse",
    "Fortschritt",
    "Dauer (in Sekunden)",
    "Beendet",
    "Aufgezeichnetes Datum",
    "Antwort-ID",
    "Nachname des Empfängers",
    "Vorname des Empfängers",
    "E-Mail-Adresse des Empfängers",
    "Externe Datenreferenz",
    "Breitengrad des Standorts",
    "Längengrad des Standorts",
    "Verteilungskanal",
    "Benutzersprache",
)

NPS_QUESTION_TEXT = (
    "Wie wahrscheinlich ist es, dass Sie Example SaaS einem Freund oder Kollegen "
    "weiterempfehlen würden?"
)
CSAT_QUESTION_TEXT = 'Wie zufrieden waren Sie insgesamt mit dem "Kontakt", den Sie gerade hatten?'
CES_QUESTION_TEXT = (
    "Wie einfach war es, Ihr Anliegen zu erledigen? (1 sehr schwierig, 7 sehr einfach)"
)
COMMENT_QUESTION_TEXT = (
    "Was ist der wichtigste Grund für Ihre Bewertung? (optional, gerne ausführlich)"
)

# Comments with a known sentiment and theme (truth.json `expected.comments`): about a third of
# the comments of finished responses are replaced by one of these (same language, the NPS
# group's sentiment: promoter -> positive, passive -> neutral, detractor -> negative). They are
# plain, one-topic sentences, so that the test of the marts checks the wiring from export to
# mart; the model's accuracy on customer-style text is measured by `cjm benchmark --comments`.
PLANTED_COMMENT_SHARE = 0.35
PLANTED_SENTIMENT = {"promoter": "positive", "passive": "neutral", "detractor": "negative"}
PLANTED_COMMENTS: dict[str, dict[str, tuple[tuple[str, str], ...]]] = {
    "DE": {
        "promoter": (
            ("Die Beraterin am Telefon war ausgesprochen freundlich und kompetent.", "staff"),
            ("Unglaublich schnelle Antwort, nach wenigen Minuten war alles geklärt.", "speed"),
            ("Die Software läuft absolut stabil und fehlerfrei.", "product_quality"),
            ("Die Oberfläche ist wunderbar einfach zu bedienen.", "usability"),
        ),
        "passive": (
            ("Der Preis ist okay, nichts Besonderes.", "price"),
            ("Die Lieferung kam wie angekündigt.", "delivery"),
            ("Die Rechnung war korrekt, sonst nichts zu sagen.", "billing"),
        ),
        "detractor": (
            ("Viel zu teuer, die Preiserhöhung ist eine Frechheit.", "price"),
            ("Die Rechnung war falsch und wir wurden doppelt belastet.", "billing"),
            ("Das Paket kam beschädigt und eine Woche zu spät an.", "delivery"),
            ("Die App stürzt ständig ab, voller Fehler.", "product_quality"),
        ),
    },
    "EN": {
        "promoter": (
            ("The support agent was extremely kind and knowledgeable.", "staff"),
            ("Incredibly quick reply, everything was sorted within minutes.", "speed"),
            ("The software is rock solid and bug free.", "product_quality"),
            ("The interface is wonderfully easy to use.", "usability"),
        ),
        "passive": (
            ("The price is okay, nothing special.", "price"),
            ("The package arrived, as expected.", "delivery"),
            ("The invoice was correct, nothing else to say.", "billing"),
        ),
        "detractor": (
            ("Far too expensive, the price increase is outrageous.", "price"),
            ("The invoice was wrong and we were charged twice.", "billing"),
            ("The parcel arrived damaged and a week late.", "delivery"),
            ("The app crashes constantly, full of bugs.", "product_quality"),
        ),
    },
}
