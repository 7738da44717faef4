"""Run one real Scrapy crawl of the test site with the headcheck pipeline; write items and stats.

Usage: python run_crawl.py BASE_URL OUT.json ITEM_KIND [SETTING=VALUE ...]
ITEM_KIND: dict, item (scrapy.Item with the result field), bare_item (without it), dataclass,
attrs, or bulk (dicts: TEST_ITEMS of them, cycling through the site's articles, from one page).
Test-only settings, read here and not passed to Scrapy: TEST_ITEMS (for bulk), TEST_FAIL_ON
(scoring raises for a body containing this text), TEST_CHEAP_ENCODER (score with the hashing
encoder of tests/synthetic.py instead of the model). Bulk runs write counts, not the items.
A separate process because Twisted's reactor cannot be restarted inside one test session.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from pathlib import Path
from typing import Any

import attrs
import scrapy
from itemadapter import ItemAdapter
from scrapy.crawler import CrawlerProcess
from scrapy.signals import item_scraped


class ArticleItem(scrapy.Item):
    url = scrapy.Field()
    title = scrapy.Field()
    text = scrapy.Field()
    headcheck = scrapy.Field()


class BareItem(scrapy.Item):
    url = scrapy.Field()
    title = scrapy.Field()
    text = scrapy.Field()


@dataclasses.dataclass
class ArticleData:
    url: str
    title: str
    text: str
    headcheck: Any = None


@attrs.define
class ArticleAttrs:
    url: str
    title: str
    text: str
    headcheck: Any = None


KINDS = {
    "dict": dict,
    "item": ArticleItem,
    "bare_item": BareItem,
    "dataclass": ArticleData,
    "attrs": ArticleAttrs,
}


class BulkSpider(scrapy.Spider):
    """Yields ``items`` article dicts from the site's pages, cycling through them."""

    name = "bulk"

    def __init__(self, base: str, items: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.start_urls = [base + "/"]
        self.items = items
        self.pages: list[dict[str, str]] = []

    def parse(self, response: Any) -> Any:
        links = response.css("li a::attr(href)").getall()
        self.expected = len(links)
        yield from response.follow_all(links, callback=self.parse_article)

    def parse_article(self, response: Any) -> Any:
        self.pages.append(
            {
                "title": response.css("h1::text").get(),
                "text": "\n".join(response.css("article p::text").getall()),
            }
        )
        if len(self.pages) == self.expected:  # the last page: now the bulk of the items
            for i in range(self.items):
                yield {"n": i, "url": response.url, **self.pages[i % len(self.pages)]}


class NewsSpider(scrapy.Spider):
    name = "news"

    def __init__(self, base: str, kind: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.start_urls = [base + "/"]
        self.kind = KINDS[kind]

    def parse(self, response: Any) -> Any:
        yield from response.follow_all(css="li a", callback=self.parse_article)

    def parse_article(self, response: Any) -> Any:
        yield self.kind(
            url=response.url,
            title=response.css("h1::text").get(),
            text="\n".join(response.css("article p::text").getall()),
        )


def main() -> None:
    base, out, kind, *pairs = sys.argv[1:]
    settings: dict[str, Any] = {
        "ITEM_PIPELINES": {"headcheck.scrapy.HeadcheckPipeline": 300},
        "LOG_LEVEL": "INFO",
        "ROBOTSTXT_OBEY": False,
        "TELNETCONSOLE_ENABLED": False,
        "REMOTE_CONTROL_ENABLED": False,
    }
    test: dict[str, str] = {}
    for pair in pairs:
        key, value = pair.split("=", 1)
        (test if key.startswith("TEST_") else settings)[key] = value
    patch_detector(test)
    process = CrawlerProcess(settings)
    bulk = kind == "bulk"
    crawler = process.create_crawler(BulkSpider if bulk else NewsSpider)
    items: list[dict[str, Any]] = []
    tagged = 0

    def keep(item: Any, **_: Any) -> None:
        nonlocal tagged
        if bulk:
            tagged += "headcheck" in item
        else:
            items.append(ItemAdapter(item).asdict())

    # Scrapy holds signal handlers weakly: `keep` lives as long as this frame does.
    crawler.signals.connect(keep, signal=item_scraped)
    started = time.perf_counter()
    if bulk:
        process.crawl(crawler, base=base, items=int(test["TEST_ITEMS"]))
    else:
        process.crawl(crawler, base=base, kind=kind)
    process.start()
    seconds = time.perf_counter() - started
    stats = {k: v for k, v in crawler.stats.get_stats().items() if isinstance(v, (int, float, str))}
    report: dict[str, Any] = {"items": items, "stats": stats, "seconds": round(seconds, 2)}
    # What `scrapy crawl` exits 1 for: the crawler could not start (a pipeline raised).
    report["bootstrap_failed"] = process.bootstrap_failed
    if bulk:
        report["tagged"] = tagged
        sys.path.insert(0, str(Path(__file__).parents[1]))
        from peak import own_peak_rss_mb

        report["peak_rss_mb"] = round(own_peak_rss_mb())
    with open(out, "w", encoding="utf-8") as f:
        json.dump(report, f, default=str)


def patch_detector(test: dict[str, str]) -> None:
    """Apply the TEST_ settings: a cheap encoder, or scoring that fails on some bodies."""
    import headcheck.integrations.scrapy
    from headcheck import Detector

    fail_on = test.get("TEST_FAIL_ON")
    cheap = test.get("TEST_CHEAP_ENCODER")
    if not fail_on and not cheap:
        return

    class TestDetector(Detector):
        def __init__(self, **options: Any) -> None:
            if cheap:
                sys.path.insert(0, str(Path(__file__).parents[1]))
                from synthetic import HashEncoder

                options["encoder"] = HashEncoder()
            super().__init__(**options)

        def check_many(self, pairs: Any) -> Any:
            pairs = list(pairs)
            if fail_on and any(fail_on in str(body) for _, body in pairs):
                raise RuntimeError(f"scoring failed on a body containing {fail_on!r}")
            return super().check_many(pairs)

        def check_in_context(self, pairs: Any, reference: Any) -> Any:
            if fail_on and any(fail_on in str(body) for _, body in pairs):
                raise RuntimeError(f"scoring failed on a body containing {fail_on!r}")
            return super().check_in_context(pairs, reference)

    headcheck.integrations.scrapy.Detector = TestDetector  # type: ignore[misc]


if __name__ == "__main__":
    main()
