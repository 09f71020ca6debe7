"""The Scrapy crawler: sites without feeds (listing, sitemap, json, page, catalog, telegram sources).

Entry point for the CLI and the scheduler: :func:`crawler.runner.crawl`. Imports the core only.
"""
