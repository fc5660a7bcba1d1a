"""``python -m scraper`` is the ``practitioners`` command."""

from .cli import cli

cli(prog_name="practitioners")
