"""`python -m addon.cli`: mapctl."""

from addon.cli import main

main()
