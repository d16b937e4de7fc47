"""Policy profile ``research-exception``: for research organisations working
under a text and data mining exception for scientific research (e.g. CDSM
Art. 3), where opt-outs under Art. 4(3) do not bind. robots.txt (and an RSL
licence server) still decide what is fetched; reservations are recorded on
every document and in the summary, but do not exclude."""

TDMCRAWL_POLICY = {
    "name": "research-exception",
    "description": (
        "robots.txt is obeyed (RFC 9309) and RSL licence servers are respected; reservations of text and "
        "data mining or AI training are recorded with their evidence but do not exclude, under a "
        "text and data mining exception for scientific research."
    ),
    "honour": [],
    "legacy_aipref_as_reservation": True,
    "noindex_as_reservation": False,
}
