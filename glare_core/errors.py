"""The Glare error tree: each error carries its HTTP status and the contract's error type.

Every layer raises these; only the API layer turns them into JSON envelopes (api/errors.py).
"""

from __future__ import annotations

from typing import Any, ClassVar


class GlareError(Exception):
    """Base of every error Glare reports to a client.

    ``status`` is the HTTP status; ``error_type`` is the name clients match on
    (the contract's ``error.type``); ``extra`` adds top-level keys to the envelope.
    """

    status: int = 500  # a class's status; an instance may set its own (BlobWriteError)
    error_type: ClassVar[str] = "GlareException"
    default_message: ClassVar[str] = "An unknown exception occurred"

    def __init__(self, message: str | None = None, **extra: Any) -> None:
        self.message = message or self.default_message
        self.extra = extra
        super().__init__(self.message)


class BadRequest(GlareError):
    status = 400
    error_type = "BadRequest"
    default_message = "Bad request"


class ClientDisconnected(BadRequest):
    """The client went away (or its connection broke) while its request body was read.

    A 400 like any body the server could not read; its own class so that layers between
    the HTTP edge and the engine can tell it from a refusal of the data.
    """


class InvalidParameterValue(BadRequest):
    error_type = "InvalidParameterValue"


class InvalidFilterOperatorValue(BadRequest):
    error_type = "InvalidFilterOperatorValue"


class Unauthorized(GlareError):
    status = 401
    error_type = "Unauthorized"
    default_message = "You are not authenticated"


class Forbidden(GlareError):
    status = 403
    error_type = "Forbidden"
    default_message = "You are not authorized to complete this action"


class PolicyException(Forbidden):
    error_type = "PolicyException"


class InvalidTransition(Forbidden):
    """A lifecycle or visibility change the transition table does not allow."""

    error_type = "Forbidden"


class QuotaExceeded(Forbidden):
    """Artifact-count quota reached (uploaded-data quotas use RequestTooLarge)."""

    error_type = "Forbidden"


class NotFound(GlareError):
    status = 404
    error_type = "NotFound"
    default_message = "An object with the specified identifier was not found"


class ArtifactNotFound(NotFound):
    error_type = "ArtifactNotFound"
    default_message = "Artifact not found"


class TypeNotFound(NotFound):
    error_type = "TypeNotFound"
    default_message = "Artifact type not found"


class MethodNotAllowed(GlareError):
    status = 405
    error_type = "MethodNotAllowed"
    default_message = "The method is not allowed for the requested URL"

    def __init__(self, message: str | None = None, *, allowed: list[str] | None = None) -> None:
        super().__init__(message)
        self.allowed = list(allowed or [])


class NotAcceptable(GlareError):
    status = 406
    error_type = "NotAcceptable"
    default_message = "Not acceptable"


class InvalidGlobalAPIVersion(NotAcceptable):
    error_type = "InvalidGlobalAPIVersion"


class Conflict(GlareError):
    status = 409
    error_type = "Conflict"
    default_message = "The request conflicts with the current state of the resource"


class PreconditionFailed(GlareError):
    status = 412
    error_type = "PreconditionFailed"
    default_message = "A precondition of the request failed"


class RequestTimeout(GlareError):
    status = 408
    error_type = "RequestTimeout"
    default_message = "The client sent nothing for too long"


class RequestTooLarge(GlareError):
    status = 413
    error_type = "RequestEntityTooLarge"
    default_message = "The request is too large"


class UnsupportedMediaType(GlareError):
    status = 415
    error_type = "UnsupportedMediaType"
    default_message = "Unsupported media type"


class RangeNotSatisfiable(GlareError):
    status = 416
    error_type = "RequestRangeNotSatisfiable"
    default_message = "The requested range is not satisfiable"

    def __init__(self, message: str | None = None, *, size: int | None = None) -> None:
        super().__init__(message)
        self.size = size


class NotImplementedMethod(GlareError):
    status = 501
    error_type = "NotImplemented"
    default_message = "The server does not support this method"


class UnsupportedTransferCoding(GlareError):
    """A request body in a transfer coding other than chunked (RFC 9112 §6.1)."""

    status = 501
    error_type = "NotImplemented"
    default_message = "Request bodies may only be sent with the chunked transfer coding"


class ServiceUnavailable(GlareError):
    status = 503
    error_type = "ServiceUnavailable"
    default_message = "A backend service is unavailable"


class BlobWriteError(GlareError):
    """A blob store failed while writing; ``leftover`` lists locations it could not
    clean up (the caller queues them for the scrubber)."""

    status = 503
    error_type = "BlobStoreError"

    def __init__(
        self, message: str, *, leftover: list[str] | None = None, status: int = 503
    ) -> None:
        super().__init__(message)
        self.leftover = list(leftover or [])
        self.status = status


class InsufficientStorage(GlareError):
    status = 507
    error_type = "InsufficientStorage"
    default_message = "The blob store is full"


class BlobNotFound(GlareError):
    status = 404
    error_type = "NotFound"
    default_message = "The blob data was not found in the store"


class BlobDataDamaged(GlareError):
    """The store holds the blob's data with another size than recorded at upload (a file
    truncated or grown outside Glare): nothing is sent. Answered like data missing from
    the store (BlobNotFound): the client cannot get the blob from this server, and no
    retry changes that; the server logs an error naming the blob."""

    status = 404
    error_type = "NotFound"
    default_message = ("The blob's data in the store is damaged (it does not have the size "
                       "recorded at upload)")


class StartupError(Exception):
    """The service cannot start: bad configuration, a broken plugin or type definition."""


class TypeDefinitionError(StartupError):
    """An artifact type declares fields or attributes the contract does not allow."""
