"""Signals tdmcrawl components send through Scrapy's signal manager.

``decision_recorded`` carries one :class:`crawler.model.decisions.DecisionRecord`
(one considered URL and what happened to it); the decisions writer, the
progress display and the frontier journal listen to it, so any component can
record a decision without knowing who stores it.

``origin_rights_loaded`` is sent by the rights middleware each time an
origin's policy files have been read (``origin``: its ``scheme://host:port``,
``rights``: the :class:`crawler.rights.stages.OriginRights`); the spider uses
it to read the sitemaps robots.txt lists.
"""

decision_recorded = object()
origin_rights_loaded = object()
