"""sitegen: a static site generator for Chinese-language news and report archives."""

__version__ = "0.2.0"
