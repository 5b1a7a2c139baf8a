"""Connexion's request body validation, with undecodable bodies answered as 400 instead of 500."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from connexion.datastructures import MediaTypeDict
from connexion.exceptions import BadRequestProblem
from connexion.validators import VALIDATOR_MAP, JSONRequestBodyValidator
from starlette.types import Scope


class JSONBodyValidator(JSONRequestBodyValidator):
    async def _parse(self, stream: AsyncGenerator[bytes, None], scope: Scope) -> Any:
        chunks = [chunk async for chunk in stream]

        async def replay() -> AsyncGenerator[bytes, None]:
            for chunk in chunks:
                yield chunk

        try:
            b"".join(chunks).decode(self._encoding)
        except UnicodeDecodeError:
            raise BadRequestProblem(detail=f"request body is not valid {self._encoding} text") from None
        except LookupError:
            raise BadRequestProblem(detail=f"unknown charset {self._encoding!r}") from None
        return await super()._parse(replay(), scope)


VALIDATORS: dict[str, Any] = {
    **VALIDATOR_MAP,
    "body": MediaTypeDict({**VALIDATOR_MAP["body"], "*/*json": JSONBodyValidator}),
}
