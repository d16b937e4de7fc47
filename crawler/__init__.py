"""tdmcrawl: a compliant research web crawler.

``crawler`` holds the spiders, the Scrapy adapters (downloader middlewares,
extensions) and, in ``crawler.rights``, the pure rights core that parses and
decides without importing Scrapy.
"""

__version__ = "0.1.0"
PRODUCT_TOKEN = "tdmcrawl"
