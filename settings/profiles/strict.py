"""Policy profile ``strict`` (the default): every reservation of text and data
mining or AI training that the project understands excludes the document."""

TDMCRAWL_POLICY = {
    "name": "strict",
    "description": (
        "robots.txt is obeyed (RFC 9309), and every machine-readable reservation of text and data "
        "mining or AI training excludes the document: W3C TDMRep, IETF AI preferences Content-Usage, "
        "robots.txt Content-Signal and DisallowAITraining, RSL, noai/noimageai/noml, ai.txt, robots.txt groups aimed at AI-training "
        "crawlers, opt-out registries, embedded media metadata, and the sentences of a site's terms of service "
        "that reserve text and data mining or forbid AI training (a general ban on scraping in the terms is "
        "recorded, not honoured: see the conservative profile)."
    ),
    "honour": ["tdmrep", "content-usage", "content-signal", "disallow-ai-training", "rsl", "x-robots-tag", "meta-robots", "ai-txt", "registry", "ai-agent", "media", "tos"],
    "legacy_aipref_as_reservation": True,
    "noindex_as_reservation": False,
}
