"""Intercom's regional API hosts: one place for the client, the settings and the CLI.

A module of its own (no httpx) so the settings can name regions without importing the
HTTP client onto the start-up path.
"""

from __future__ import annotations

REGION_URLS = {
    "us": "https://api.intercom.io",
    "eu": "https://api.eu.intercom.io",
    "au": "https://api.au.intercom.io",
}
