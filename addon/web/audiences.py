"""`python -m addon.web.audiences URL`: the service's custom audiences as the JSON list that
Cloud Run's run.googleapis.com/custom-audiences annotation takes (cloudrun/deploy.sh)."""

from __future__ import annotations

import json
import sys

from addon.web import audiences


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not argv[0].startswith("https://"):
        print("usage: python -m addon.web.audiences https://SERVICE-URL", file=sys.stderr)
        return 2
    print(json.dumps(audiences(argv[0])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
