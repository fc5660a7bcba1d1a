"""Local stand-ins of the public sites, served over real HTTP on 127.0.0.1 (tests, demo)."""
