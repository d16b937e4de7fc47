"""Fetching and deciding: the rights downloader middleware, its address guard
(``dns``), remote registries and politeness. Never imports ``pipelines``: the
archive learns about policy files through the ``policy_file_fetched`` signal."""
