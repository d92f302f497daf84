"""Bearer-token authentication as the spec describes it (401 vs 403).

Tokens are compared in constant time against every configured token, so timing reveals
neither which token nor how much of it matched; no token ever reaches a log or a body.
"""

from __future__ import annotations

import hmac

from grades_kit.contract.authorization import parse_authorization
from grades_kit.mock_server.errors import ApiError

CHALLENGE = 'Bearer realm="api"'
NOT_PROVIDED = "Authentication credentials were not provided."
NOT_BEARER = "Invalid authorization header: use 'Authorization: Bearer <token>'."
EMPTY = "Invalid token header. No credentials provided."
UNKNOWN = "Invalid token."
FORBIDDEN = "You do not have permission to perform this action."


class Authenticator:
    """Decides 401 / 403 / pass for an ``Authorization`` header value."""

    def __init__(self, tokens: tuple[str, ...], forbidden_tokens: tuple[str, ...]) -> None:
        self._tokens = [_raw(t) for t in tokens]
        self._forbidden = [_raw(t) for t in forbidden_tokens]

    def check(self, header: str | None) -> None:
        """Return when the header carries an accepted token; else raise the spec's error."""
        credentials = parse_authorization(header)
        if credentials is None:
            raise _unauthorized(NOT_PROVIDED, invalid=False)
        if not credentials.is_bearer:
            raise _unauthorized(NOT_BEARER)
        if not credentials.token:
            raise _unauthorized(EMPTY)
        raw = _raw(credentials.token)
        if _matches_any(raw, self._tokens):
            return
        if _matches_any(raw, self._forbidden):
            raise ApiError(403, FORBIDDEN)
        raise _unauthorized(UNKNOWN)


def _raw(token: str) -> bytes:
    # compare_digest refuses non-ASCII str; headers arrive as latin-1-decoded str.
    return token.encode("utf-8", "surrogatepass")


def _matches_any(token: bytes, known: list[bytes]) -> bool:
    found = False
    for candidate in known:  # no early exit: the time does not depend on which one matched
        found |= hmac.compare_digest(token, candidate)
    return found


def _unauthorized(detail: str, invalid: bool = True) -> ApiError:
    challenge = f'{CHALLENGE}, error="invalid_token"' if invalid else CHALLENGE
    return ApiError(401, detail, {"WWW-Authenticate": challenge})
