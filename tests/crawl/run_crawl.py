"""Run one real Scrapy crawl of the test site with the headcheck pipeline; write items and stats.

Usage: python run_crawl.py BASE_URL OUT.json ITEM_KIND [SETTING=VALUE ...]
ITEM_KIND: dict, item (scrapy.Item with the result field), bare_item (without it), dataclass,
attrs.
A separate process because Twisted's reactor cannot be restarted inside one test session.
"""

from __future__ import annotations

import dataclasses
import json
import sys
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
    for pair in pairs:
        key, value = pair.split("=", 1)
        settings[key] = value
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(NewsSpider)
    items: list[dict[str, Any]] = []

    def keep(item: Any, **_: Any) -> None:
        items.append(ItemAdapter(item).asdict())

    # Scrapy holds signal handlers weakly: `keep` lives as long as this frame does.
    crawler.signals.connect(keep, signal=item_scraped)
    process.crawl(crawler, base=base, kind=kind)
    process.start()
    stats = {k: v for k, v in crawler.stats.get_stats().items() if isinstance(v, (int, float, str))}
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"items": items, "stats": stats}, f, default=str)


if __name__ == "__main__":
    main()
