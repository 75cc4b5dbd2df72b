"""Fetchers: how a watch's page is obtained (plain HTTP today; a browser and Wayback plug in here)."""
