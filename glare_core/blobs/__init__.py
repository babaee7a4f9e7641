"""Blob bytes: the BlobStore interface, streaming wrappers and the store backends."""
