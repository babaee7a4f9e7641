"""URL matching that departs from werkzeug's defaults where the contract's paths need it.

* Slashes are not merged. werkzeug answers a path with ``//`` in it with a 308 redirect
  (an HTML page whose ``Location`` is built from the client's ``Host`` header, and that
  clients follow, re-sending an upload). The contract reads everything after
  ``/{id}/`` as the blob path, so ``…/{id}//blob`` names an empty field: 400. Elsewhere
  an empty segment matches no route: 404.
* A blob path may hold any character. werkzeug's ``path`` converter stops at a line
  feed, so a folder key with one fell through to the catch-all 404 while every other
  control character reached the key's own validation.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.routing import Map, PathConverter


class BlobPathConverter(PathConverter):
    """``field`` or ``field/key``: one or more characters of any kind, slashes included."""

    regex = r"[\s\S]+?"
    part_isolating = False  # werkzeug guesses from a '/' in the regex; this one has none


class GlareMap(Map):
    """werkzeug's ``Map`` with slashes kept as sent and the ``blobpath`` converter."""

    default_converters = {**Map.default_converters, "blobpath": BlobPathConverter}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["merge_slashes"] = False
        super().__init__(*args, **kwargs)


class GlareFlask(Flask):
    """The Flask application class of Glare: only its URL map differs."""

    url_map_class = GlareMap
