"""Command-line entry points: glare-api (server), glare-manage (operations), glare-scrubber."""
