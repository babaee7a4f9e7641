"""The engine: the one path every artifact operation takes (policy → lock → validate →
hooks → persist → notify). It knows neither HTTP nor SQL."""
