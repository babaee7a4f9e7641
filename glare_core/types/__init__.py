"""Artifact types: field kinds, the type base class, the type registry and schema export."""
