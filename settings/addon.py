"""A Scrapy add-on that brings tdmcrawl's defaults into another Scrapy project:
every ``TDMCRAWL_…`` setting of ``settings/__init__.py`` (the one place the
defaults live), at add-on priority, so the project's own values win.

    ADDONS = {"settings.addon.TdmcrawlDefaults": 0}
"""

from __future__ import annotations

from typing import Any

import settings as defaults


class TdmcrawlDefaults:
    def update_settings(self, settings: Any) -> None:
        for name, value in vars(defaults).items():
            if name.startswith("TDMCRAWL_"):
                settings.set(name, value, priority="addon")
