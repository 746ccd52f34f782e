"""`main.py library test`: one JSON object per input line, and a bad library is one line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

HEADER = "id,pattern,kind,severity,language,match,exceptions,note\n"


def _run(stdin: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(REPO / "main.py"), "library", "test", *args],
                          input=stdin, capture_output=True, text=True, timeout=120, cwd=REPO)


def test_each_line_gets_its_own_json_object(tmp_path: Path) -> None:
    library = tmp_path / "self_harm.csv"
    library.write_text(HEADER + "sh-1,hurt myself,phrase,4,en,whole,,Self-harm intent.\n",
                       encoding="utf-8")
    done = _run("i want to hurt myself\nmaths homework\nHURT   MYSELF again\n",
                "--library", str(library))
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["line"] for r in rows] == [1, 2, 3]
    first = rows[0]["matches"][0]
    assert first == {"category": "self_harm", "severity": 4, "phrase": "hurt myself",
                     "id": "sh-1", "text": "hurt myself", "start": 10, "end": 21}
    assert rows[1]["matches"] == []
    assert rows[2]["matches"][0]["text"] == "HURT   MYSELF"


def test_a_malformed_library_is_one_line_and_exit_1(tmp_path: Path) -> None:
    library = tmp_path / "self_harm.csv"
    library.write_text(HEADER + "sh-1,hurt myself,phrase,9,en,whole,,x\n", encoding="utf-8")
    done = _run("anything\n", "--library", str(library))
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1
    assert "self_harm.csv, line 2" in done.stderr and "severity" in done.stderr
