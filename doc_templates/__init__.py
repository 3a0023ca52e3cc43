"""Jinja2 HTML templates: the MAP doc (and, later, the handoff doc and digests)."""

from pathlib import Path

TEMPLATE_DIR = Path(__file__).parent
