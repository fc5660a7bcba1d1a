"""``python -m scraper`` is the ``practitioners`` command."""

from .cli import cli

if __name__ == "__main__":  # not when imported (by a spawned process, say)
    cli(prog_name="practitioners")
