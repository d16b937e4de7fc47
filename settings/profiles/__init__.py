"""Policy profiles: each module is a Scrapy settings fragment naming one policy."""
