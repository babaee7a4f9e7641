"""Parts of benchmarks/scale.py: the catalog, its loading, the services, the shapes, the plans."""
