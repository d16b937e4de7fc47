"""Policy profile ``conservative``: everything ``strict`` honours, and a
site's terms of service that forbid automated collection in general
(scraping, crawling, robots) exclude the site's documents too
(``tos-scraping-ban``), not only terms that reserve TDM or AI training."""

from settings.profiles.strict import TDMCRAWL_POLICY as _STRICT

TDMCRAWL_POLICY = {
    **_STRICT,
    "name": "conservative",
    "description": (
        _STRICT["description"].split(" (a general ban")[0]
        + "; a general ban on automated collection (scraping, crawling, robots) in a site's terms of service excludes "
        "that site's documents too."
    ),
    "honour": [*_STRICT["honour"], "tos-scraping"],
}
