"""The ``tdmcrawl`` command line. Nothing else imports this package."""
