"""The HTTP layer: routes, request parsing, response shapes, error bodies and OpenAPI.

No business rules live here: views parse the request, call the engine and render.
"""
