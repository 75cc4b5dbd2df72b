"""Wayback Machine: CDX listing, raw playback and the resumable backfill."""
