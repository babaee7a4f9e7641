"""The blob field kinds: a single file or a folder of files, set through the blob API."""

from __future__ import annotations

from typing import Any, ClassVar

from marshmallow import fields

from glare_core.types.field_base import GlareField
from glare_core.types.kinds import FieldKind
from glare_core.types.limits import (
    DEFAULT_MAX_BLOB_SIZE,
    DEFAULT_MAX_FOLDER_SIZE,
    DEFAULT_MAX_ITEMS,
    DEFAULT_MAX_STRING,
)


class BlobField(GlareField, fields.Dict):
    """What a single blob and a folder share: a bound on each blob's size and a store.

    Not a kind of its own: types declare ``Blob`` or ``Folder``.
    """

    json_type = "object"
    scalar = False

    def __init__(
        self,
        *,
        max_blob_size: int = DEFAULT_MAX_BLOB_SIZE,
        store: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.max_blob_size = max_blob_size
        self.store = store
        kwargs.setdefault("required_on_activate", False)
        super().__init__(**kwargs)


class Blob(BlobField):
    """A single binary file; managed only through the blob endpoints.

    :param max_blob_size: upper bound of the uploaded data in bytes.
    :param store: name of the blob store for this field (None = the type's / global default).
    """

    kind = FieldKind.BLOB
    glare_type = "Blob"

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        raise self.fail("blob data can only be set through the blob API")


class Folder(BlobField):
    """A named collection of blobs (``key → blob``); a.k.a. blob dict.

    :param max_blob_size: upper bound of each blob in bytes.
    :param max_folder_size: upper bound of the sum of uploaded blob sizes.
    :param max_keys: maximum number of entries.
    :param max_key_length: maximum key length (up to 2048).
    :param store: name of the blob store for this field (None = default).
    """

    kind = FieldKind.FOLDER
    glare_type = "BlobDict"
    empty_default: ClassVar[Any] = {}

    def __init__(
        self,
        *,
        max_blob_size: int = DEFAULT_MAX_BLOB_SIZE,
        max_folder_size: int = DEFAULT_MAX_FOLDER_SIZE,
        max_keys: int = DEFAULT_MAX_ITEMS,
        max_key_length: int = DEFAULT_MAX_STRING,
        store: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.max_folder_size = max_folder_size
        self.max_keys = max_keys
        self.max_key_length = max_key_length
        super().__init__(max_blob_size=max_blob_size, store=store, **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        raise self.fail("folder data can only be set through the blob API")
