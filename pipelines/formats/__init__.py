"""Record formats: WARC records and files, Parquet shards, the pinned table
schemas, and the recovery of files a killed process left open. No Scrapy."""
