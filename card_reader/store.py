"""Where results go: a JSON-lines file, one line per card, written as each card finishes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator, TextIO, Union

from .models import CardFailure, CardResult

Outcome = Union[CardResult, CardFailure]


class JsonlStore:
    """Appends one JSON line per card and flushes it, so a killed batch loses at most the card in hand."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file: TextIO = self.path.open("w", encoding="utf-8")

    def write(self, outcome: Outcome) -> None:
        self._file.write(outcome.model_dump_json() + "\n")
        self._file.flush()

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> "JsonlStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_outcomes(path: Path) -> Iterator[Outcome]:
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        data = json.loads(line)
        yield CardFailure.model_validate(data) if "error" in data else CardResult.model_validate(data)
