"""Scraping side of the acupuncture practitioner directory: fetch, parse, normalize."""

__version__ = "0.1.0"
PROJECT_NAME = "acupuncture-directory"
