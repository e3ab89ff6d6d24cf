"""Bedrock Runtime error shapes: the code, HTTP status and message botocore turns into ``ClientError``."""

from __future__ import annotations

import json

_STATUS = {
    "ValidationException": 400,
    "AccessDeniedException": 403,
    "ResourceNotFoundException": 404,
    "ModelTimeoutException": 408,
    "ModelErrorException": 424,
    "ThrottlingException": 429,
    "ModelNotReadyException": 429,
    "InternalServerException": 500,
    "ServiceUnavailableException": 503,
}


class BedrockError(Exception):
    """An error reply: ``code`` is the Bedrock exception name, ``status`` its HTTP status code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        if code not in _STATUS:
            raise ValueError(f"unknown Bedrock error code {code!r}; known: {', '.join(_STATUS)}")
        self.code = code
        self.message = message

    @property
    def status(self) -> int:
        """HTTP status code Bedrock uses for this error."""
        return _STATUS[self.code]

    def body(self) -> bytes:
        """restJson error body: ``{"message": ...}`` (the code travels in ``x-amzn-ErrorType``)."""
        return json.dumps({"message": self.message}).encode("utf-8")


def validation(message: str) -> BedrockError:
    """400 ValidationException: the request is malformed or exceeds a model limit."""
    return BedrockError("ValidationException", message)


def not_found(message: str) -> BedrockError:
    """404 ResourceNotFoundException: unknown model or route."""
    return BedrockError("ResourceNotFoundException", message)
