"""The Google layer: thin clients for Sheets and Drive, built from bundled discovery documents."""
