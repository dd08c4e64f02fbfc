"""One domain error type, rendered by one handler.

::

    DomainError                 4xx, never 500
     ├── InvalidInput   422     names the field and the reason
     ├── NotFound       404     also what another jurisdiction's record looks like
     ├── Conflict       409     a business rule or state transition refused
     ├── Unauthenticated 401
     └── Forbidden      403
"""

from __future__ import annotations


class DomainError(Exception):
    """A refusal the user can act on."""

    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def as_dict(self) -> dict[str, object]:
        """The JSON body the API answers with."""
        detail: dict[str, object] = {"msg": self.message, "type": self.code}
        if self.field is not None:
            detail["loc"] = self.field.split(".")
            detail["field"] = self.field
        return {"detail": [detail]}


class InvalidInput(DomainError):
    """Input that breaks a rule; always names the field."""

    status_code = 422
    code = "invalid"


class NotFound(DomainError):
    """No such record visible to the caller."""

    status_code = 404
    code = "not_found"


class Conflict(DomainError):
    """The request contradicts the record's state or a business rule."""

    status_code = 409
    code = "conflict"


class Unauthenticated(DomainError):
    """No valid credentials."""

    status_code = 401
    code = "unauthenticated"


class Forbidden(DomainError):
    """Authenticated, but the role may not do this."""

    status_code = 403
    code = "forbidden"
