"""The last sequence number taken, kept in a small JSON file across restarts."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path


@dataclass
class SequenceState:
    """Where a municipality's listener is in its gapless inbox sequence (0: nothing taken)."""

    path: Path | None = None
    last_sequence: int = 0

    @classmethod
    def load(cls, path: Path | None) -> SequenceState:
        if path is None or not path.exists():
            return cls(path=path)
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(path=path, last_sequence=int(data["last_sequence"]))

    def advance(self, sequence: int) -> None:
        self.last_sequence = sequence
        if self.path is None:
            return
        # Written aside and renamed: a crash leaves the old state or the new, never half.
        temporary = self.path.with_name(self.path.name + ".tmp")
        temporary.write_text(json.dumps({"last_sequence": sequence}) + "\n", encoding="utf-8")
        os.replace(temporary, self.path)
