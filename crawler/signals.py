"""Signals tdmcrawl components send through Scrapy's signal manager.

``decision_recorded`` carries one :class:`crawler.model.decisions.DecisionRecord`
(one considered URL and what happened to it); the decisions writer, the
progress display and the frontier journal listen to it, so any component can
record a decision without knowing who stores it.

``origin_rights_loaded`` is sent by the rights middleware each time an
origin's policy files have been read (``origin``: its ``scheme://host:port``,
``rights``: the :class:`crawler.rights.stages.OriginRights`); the spider uses
it to read the sitemaps robots.txt lists.

``policy_file_fetched`` is sent by the rights middleware for each policy file
it downloaded (``capture``: the :class:`crawler.model.capture.Capture`,
``metadata``: the WARC metadata fields, ``digest``: the payload digest the
decisions cite); the archive (``pipelines.archive``) writes it to ``policy/``.
"""

from __future__ import annotations

from typing import Any

decision_recorded = object()
origin_rights_loaded = object()
policy_file_fetched = object()


def record_decision(crawler: Any, record: Any) -> None:
    """Send one :class:`crawler.model.decisions.DecisionRecord`."""
    crawler.signals.send_catch_log(decision_recorded, record=record)
