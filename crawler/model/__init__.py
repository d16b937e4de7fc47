"""The nouns every layer shares: a fetch as facts (``capture``), the decision
record of one considered URL (``decisions``), the items that travel through the
pipelines (``items``) and the request-meta keys (``meta``). No Scrapy."""
