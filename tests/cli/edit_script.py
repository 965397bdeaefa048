"""A stand-in for $EDITOR in the instructions tests (not a test module).

Run as ``python edit_script.py FILE``: it records what it saw (the file's and folder's
modes, the path, the text) in ``$EDIT_LOG`` and changes the file as ``$EDIT_MODE`` says.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path


def main() -> int:
    path = Path(sys.argv[1])
    text = path.read_text(encoding="utf-8")
    Path(os.environ["EDIT_LOG"]).write_text(
        json.dumps(
            {
                "path": str(path),
                "file_mode": stat.S_IMODE(path.stat().st_mode),
                "folder_mode": stat.S_IMODE(path.parent.stat().st_mode),
                "text": text,
            }
        ),
        encoding="utf-8",
    )
    mode = os.environ["EDIT_MODE"]
    if mode == "fail":
        return 3
    if mode == "invalid":
        path.write_text('{"documents": [', encoding="utf-8")
        return 0
    data = json.loads(text)
    if mode == "add":
        data["documents"].append(
            {"type": "practice_card", "body": json.loads(os.environ["EDIT_BODY"])}
        )
    elif mode == "change":
        data["documents"][0]["body"] = json.loads(os.environ["EDIT_BODY"])
    path.write_text(json.dumps(data), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
