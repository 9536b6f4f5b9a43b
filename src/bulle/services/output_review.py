"""What a checker reads to review an output: the content the checks judged, beside the code.

A checker decides on the revision as it would leave: its rendered table (``table.csv``, written
by Bulle from the checked evidence) and its figure, each read back only if it still matches the
checksum recorded when it was checked. The content of an output of a real-data run is read by its
reviewers (``access.can_inspect_output``), never by its analyst before release.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
from dataclasses import dataclass
from typing import Any

from bulle.errors import ConflictError
from bulle.governance import access
from bulle.services.job_outputs import locate_output, revision_dir
from bulle.services.results import Result
from bulle.workspace import Workspace

TABLE_ROWS_SHOWN = 200
IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}
IMAGE_MAX_BYTES = 5 * 1000**2


@dataclass(frozen=True)
class OutputContent(Result):
    job: str
    name: str
    revision: int
    table: list[list[str]] | None  # header first, at most TABLE_ROWS_SHOWN rows after it
    table_rows: int
    images: list[dict[str, str]]  # {"name", "data_uri"}
    other_files: list[dict[str, Any]]  # {"name", "size"}: shown by name only


def output_content(ws: Workspace, jid: str, name: str) -> OutputContent:
    """The latest revision of output ``name`` of job ``jid``, as its reviewers see it."""
    _, job, out = locate_output(ws, jid, name)
    access.can_see_job(ws.actor, job.analyst).require()
    access.can_inspect_output(ws.actor, job.analyst, dummy=job.dummy).require()
    folder = revision_dir(ws, job.id, out.name, out.revision)
    table: list[list[str]] | None = None
    count = 0
    images, others = [], []
    for f in out.files:
        data = (folder / f["name"]).read_bytes()
        if hashlib.sha256(data).hexdigest() != f["sha256"]:
            raise ConflictError(f"output {out.name!r}: {f['name']} changed since it was checked")
        suffix = "." + f["name"].rsplit(".", 1)[-1].lower() if "." in f["name"] else ""
        if f["name"] == "table.csv":
            rows = list(csv.reader(io.StringIO(data.decode("utf-8", "replace"))))
            count = max(0, len(rows) - 1)
            table = rows[: TABLE_ROWS_SHOWN + 1]
        elif suffix in IMAGE_TYPES and len(data) <= IMAGE_MAX_BYTES:
            uri = f"data:{IMAGE_TYPES[suffix]};base64,{base64.b64encode(data).decode()}"
            images.append({"name": f["name"], "data_uri": uri})
        else:
            others.append({"name": f["name"], "size": f["size"]})
    return OutputContent(job.id, out.name, out.revision, table, count, images, others)
