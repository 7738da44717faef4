"""A small news site served on 127.0.0.1 for test crawls: some pages carry a wrong title."""

from __future__ import annotations

import html
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

#: (slug, headline shown in <h1>, body paragraphs, whether the headline is wrong)
ARTICLES: list[tuple[str, str, list[str], bool]] = [
    (
        "border-talks",
        "Diplomats agree to resume border talks",
        [
            "Senior diplomats from the two neighbouring countries agreed on Thursday to resume "
            "talks "
            "over the disputed border.",
            "The foreign ministers met for three hours in Vienna and "
            "said a working group would meet again next month.",
        ],
        False,
    ),
    (
        "live-score",
        "Live Score: India vs Australia, 2nd Test, Day 3",
        [
            "Ambassadors from both governments met in Geneva on Monday to discuss the release of "
            "detained aid workers.",
            "A spokesperson for the foreign ministry said negotiators had "
            "made progress on a timetable for the release.",
        ],
        True,
    ),
    (
        "cycle-lanes",
        "City council approves new cycle lanes on the riverside road",
        [
            "The city council voted on Tuesday to build protected cycle lanes along the riverside "
            "road.",
            "The project will cost 4.2 million euros and take about eighteen months.",
        ],
        False,
    ),
    (
        "battery",
        "Home",
        [
            "Researchers at the university have developed a battery that charges in under ten "
            "minutes.",
            "The team used a new electrode material made from silicon and carbon.",
        ],
        True,
    ),
    (
        "rates",
        "Central bank holds interest rates at 4.5 percent",
        [
            "The central bank left its main interest rate unchanged at 4.5 percent on Thursday.",
            "The governor said the bank was ready to act if price growth did not ease.",
        ],
        False,
    ),
    (
        "wildfire",
        "Wildfire forces evacuation of three mountain villages",
        [
            "Firefighters battled a wildfire in the hills above the coast for a third day on "
            "Sunday.",
            "About 1,500 residents were evacuated overnight as winds pushed the flames on.",
        ],
        False,
    ),
    (
        "museum",
        "New museum of maritime history opens in the old harbour",
        [
            "A museum of maritime history opened on Friday in a restored warehouse in the old "
            "harbour.",
            "The collection includes ship models and letters written by sailors.",
        ],
        False,
    ),
    (
        "orchid",
        "Train drivers announce two-day strike over pay",
        [
            "A rare orchid thought to be extinct has been found growing in a nature reserve, "
            "botanists said.",
            "The plant was last recorded more than sixty years ago.",
        ],
        True,
    ),
]


def pages() -> dict[str, bytes]:
    """Path -> HTML page: an index linking every article, and the articles."""
    links = "".join(
        f'<li><a href="/news/{slug}.html">{html.escape(title)}</a></li>'
        for slug, title, _, _ in ARTICLES
    )
    out = {"/": f"<html><body><ul>{links}</ul></body></html>".encode()}
    for slug, title, paragraphs, _ in ARTICLES:
        body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
        out[f"/news/{slug}.html"] = (
            f"<html><head><title>{html.escape(title)}</title></head><body>"
            f"<h1>{html.escape(title)}</h1><article>{body}</article></body></html>"
        ).encode()
    return out


@contextmanager
def serve() -> Iterator[str]:
    """Serve the site on a free loopback port; yields its base URL."""
    site = pages()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            page = site.get(self.path)
            self.send_response(200 if page else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(page or b"not found")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
