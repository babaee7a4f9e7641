"""Which store holds a blob: stores by scheme, and the store chosen for new uploads."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from glare_core.blobs.base import BlobStore
from glare_core.errors import BadRequest, Forbidden, StartupError


def scheme_of(location: str) -> str:
    return location.split(":", 1)[0].lower() if ":" in location else ""


def _store_classes(root: type[BlobStore] = BlobStore) -> Iterator[type[BlobStore]]:
    """Every BlobStore class this process has imported, configured or not (the builtin
    plugin, which every app loads, imports each of the core's)."""
    for subclass in root.__subclasses__():
        yield subclass
        yield from _store_classes(subclass)


def server_local_schemes(stores: Iterable[BlobStore]) -> frozenset[str]:
    """The schemes clients may never attach as internal locations: what every known store
    class, and every configured store, declares in ``server_local_schemes``. Classes of
    unconfigured stores count too: their locations are server-local all the same."""
    declared = [cls.server_local_schemes for cls in _store_classes()]
    declared += [store.server_local_schemes for store in stores]
    return frozenset(scheme.lower() for schemes in declared for scheme in schemes)


class StoreRegistry:
    def __init__(self, stores: Iterable[BlobStore]) -> None:
        self.by_name: dict[str, BlobStore] = {}
        self.by_scheme: dict[str, BlobStore] = {}
        for store in stores:
            if store.name in self.by_name:
                raise StartupError(f"Two blob stores are named '{store.name}'")
            self.by_name[store.name] = store
            for scheme in store.schemes:
                self.by_scheme.setdefault(scheme, store)

    def named(self, name: str) -> BlobStore:
        store = self.by_name.get(name)
        if store is None or not store.writable:
            raise StartupError(
                f"Blob store '{name}' is not available (configured: "
                f"{', '.join(n for n, s in self.by_name.items() if s.writable)})"
            )
        return store

    def for_location(self, location: str) -> BlobStore:
        store = self.by_scheme.get(scheme_of(location))
        if store is None:
            raise BadRequest(f"No configured blob store can read '{scheme_of(location)}' URIs")
        return store

    def check_internal_location(self, url: str) -> None:
        """Internal locations must be readable by a store and must not be server-local."""
        scheme = scheme_of(url)
        if scheme in server_local_schemes(self.by_name.values()):
            raise Forbidden(f"Locations with scheme '{scheme}' cannot be attached")
        if scheme not in self.by_scheme:
            raise BadRequest(f"No configured blob store can read '{scheme}' URIs")

    def close(self) -> None:
        for store in self.by_name.values():
            store.close()
