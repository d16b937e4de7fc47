"""The crawler a researcher would otherwise write: a minimal Scrapy
``CrawlSpider`` that follows every link, obeys robots.txt with Scrapy's own
middleware, and writes nothing. Run by the benchmark with the same concurrency
as tdmcrawl's benchmark profile.

    python -m benchmarks.plain --stats-file out.json SEED_URL...
"""

from __future__ import annotations

import argparse
import json

from scrapy.crawler import CrawlerProcess
from scrapy.linkextractors import LinkExtractor
from scrapy.spiders import CrawlSpider, Rule


class PlainSpider(CrawlSpider):
    name = "plain"
    allowed_domains = ["127.0.0.1"]
    rules = (Rule(LinkExtractor(), follow=True),)

    def __init__(self, seeds: list[str], *args, **kwargs):
        self.start_urls = seeds
        super().__init__(*args, **kwargs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("seeds", nargs="+")
    parser.add_argument("--stats-file", required=True)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--depth-limit", type=int, default=0, help="Scrapy's DEPTH_LIMIT (0: none)")
    args = parser.parse_args()
    process = CrawlerProcess(
        {
            "ROBOTSTXT_OBEY": True,
            "USER_AGENT": "plainbench/1.0",
            "CONCURRENT_REQUESTS": args.concurrency,
            "CONCURRENT_REQUESTS_PER_DOMAIN": args.concurrency,
            "DOWNLOAD_DELAY": 0,
            "DEPTH_LIMIT": args.depth_limit,
            "TELNETCONSOLE_ENABLED": False,
            "REMOTE_CONTROL_ENABLED": False,
            "LOG_LEVEL": "WARNING",
            "EXTENSIONS": {"benchmarks.probe.ReactorLagProbe": 0},
        }
    )
    crawler = process.create_crawler(PlainSpider)
    process.crawl(crawler, seeds=args.seeds)
    process.start()
    with open(args.stats_file, "w") as handle:
        json.dump({k: v for k, v in crawler.stats.get_stats().items() if isinstance(v, (int, float, str))}, handle, default=str)


if __name__ == "__main__":
    main()
