"""The parts of `sitegen check`: read built pages, resolve their URLs, read feeds and sitemaps.

Each module is pure (text in, records out); sitegen/check.py walks the output folder, runs
them, and reports. Nothing here fetches anything: external links are counted, never visited.
"""
