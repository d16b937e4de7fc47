"""Offline tools on an output folder (no Scrapy): recovery, query, lookup,
remove, summary and dataset card, Croissant, re-extraction."""
