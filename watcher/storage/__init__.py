"""Storage: the only package that speaks SQL (SQLite via sqlite-utils) and writes snapshots."""
