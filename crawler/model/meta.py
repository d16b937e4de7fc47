"""The request-meta keys tdmcrawl components use to talk about one request.
Set by the spider and the rights middleware; read by both and by the cluster
scheduler. Kept here so that neither has to import the other for a name."""

META_POLICY_FILE = "tdmcrawl_policy_file"  # the request fetches a policy file (robots, tdmrep, aitxt, rsl)
META_ASSESSMENT = "tdmcrawl_assessment"  # the rights core's RightsAssessment so far
META_STOP = "tdmcrawl_stop"  # set at headers_received: why the body must not be downloaded
META_SEED = "tdmcrawl_seed"  # a seed (its address check may allow loopback for the demo)
META_SITEMAP = "tdmcrawl_sitemap"  # a sitemap request
META_ENCODING = "tdmcrawl_content_encoding"  # the Content-Encoding the server sent
META_TRUNCATED = "tdmcrawl_truncated"  # a policy file cut at its size cap
META_ORIGINAL_HEADERS = "tdmcrawl_headers"  # the response headers as received
META_RECEIVED = "tdmcrawl_received"  # bytes of the body received so far (a cancelled download: too big, or not)
META_VIA = "tdmcrawl_via"  # the page (or sitemap) the URL was found on
META_HOPS = "tdmcrawl_hops"  # how it was reached from its seed (L link, S sitemap, R redirect)
META_EXPECTED_SIZE = "tdmcrawl_expected_size"  # the Content-Length the response announced
META_REDIRECTED = "tdmcrawl_redirected"  # the response was a redirect (Location), seen at headers_received
META_FETCHED_AT = "tdmcrawl_fetched_at"  # when the response was downloaded, if not just now (a home page the terms lookup read)
META_INPUT = "tdmcrawl_input"  # an audit's (input_file, input_row, input_id): its decision row names the input row
