"""Jinja2 HTML templates: the MAP doc and the customer-success handoff doc."""

from pathlib import Path

TEMPLATE_DIR = Path(__file__).parent
