"""Database side: schema (migrations), storage (upserts, runs, fetch log)."""
