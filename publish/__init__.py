"""Datasette publishing: metadata, plugins and templates for `practitioners serve`."""

from pathlib import Path

PUBLISH_DIR = Path(__file__).parent
METADATA_PATH = PUBLISH_DIR / "metadata.yml"
