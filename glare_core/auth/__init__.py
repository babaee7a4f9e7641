"""Authentication and authorization: the request context, auth strategies and policy."""
