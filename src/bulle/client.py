"""A Bulle server seen from a script or from the CLI: the same calls, over HTTP.

``bulle.connect(url, token=...)`` returns a :class:`Client` whose methods are those of a workspace
that an analyst (or, with a custodian's token, a custodian) may call remotely; refusals come back
as the same :mod:`bulle.errors` classes, with the same code, message, place and problems, so the
CLI in ``--server`` mode exits with the same code and prints the same JSON error as locally. A
server that cannot be reached is :class:`~bulle.errors.ServerUnreachable` (exit code 10).

Nothing here names an actor or a role: the server acts as the token's account.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bulle import errors
from bulle.errors import BulleError, InputError, Problem, ServerUnreachable, Where

POLL_S = 0.2
TIMEOUT_S = 300.0


def _classes() -> dict[str, type[BulleError]]:
    out: dict[str, type[BulleError]] = {}
    todo: list[type[BulleError]] = [BulleError]
    while todo:
        cls = todo.pop()
        out.setdefault(cls.code, cls)
        todo += cls.__subclasses__()
    return out


def _by_status(status: int) -> type[BulleError]:
    return {
        400: errors.InputError,
        401: errors.Unauthenticated,
        403: errors.AccessDenied,
        404: errors.NotFoundError,
        409: errors.ConflictError,
        413: errors.InputError,
        422: errors.ResourceLimit,
        429: errors.Unauthenticated,
    }.get(status, BulleError)


def _where(d: Any) -> Where:
    return Where(**{k: v for k, v in (d or {}).items() if k in ("file", "line", "column", "field")})


def error_from(payload: dict[str, Any], status: int) -> BulleError:
    """The error a server answered, as the class that has its code (its exit code with it)."""
    cls = _classes().get(payload.get("code", ""), _by_status(status))
    problems = [
        Problem(p.get("message", ""), _where(p.get("where"))) for p in payload.get("problems") or []
    ]
    exc = cls(payload.get("message", f"HTTP {status}"), _where(payload.get("where")), problems)
    if exc.code != payload.get("code") and payload.get("code"):
        exc.code = payload["code"]  # e.g. "csrf": an AccessDenied with its own code
    return exc


class Client:
    """Calls to one server with one token (or BULLE_TOKEN)."""

    def __init__(self, url: str, token: str | None, *, timeout: float = TIMEOUT_S):
        import httpx

        if not url.startswith(("http://", "https://")):
            raise InputError(
                f"a server is an http:// or https:// URL, not {url!r}", Where(field="--server")
            )
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.url = url.rstrip("/")
        self._http = httpx.Client(base_url=self.url, headers=headers, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transport -------------------------------------------------------------------------------
    def _send(self, method: str, path: str, **kwargs: Any) -> Any:
        import httpx

        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise ServerUnreachable(
                f"cannot reach the Bulle server at {self.url}: {exc}", Where(field="--server")
            ) from None
        if response.status_code >= 400:
            try:
                body = response.json()
            except ValueError:
                body = {}
            raise error_from(body.get("error") or {}, response.status_code)
        return response

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._send(method, path, **kwargs).json()

    def wait(self, task: dict[str, Any]) -> Any:
        """The result of a background task, once it ends (its error raised as the server's)."""
        while task["state"] not in ("done", "failed", "interrupted"):
            time.sleep(POLL_S)
            task = self._json("GET", f"/api/v1/tasks/{task['id']}")
        if task["state"] == "done":
            return task["result"]
        if task["state"] == "interrupted":
            raise errors.ConflictError(f"task {task['id']} was interrupted by a server stop")
        raise error_from(task["error"] or {}, 500)

    # -- calls -----------------------------------------------------------------------------------
    def whoami(self) -> dict[str, Any]:
        return self._json("GET", "/api/v1/whoami")

    def datasets(self) -> dict[str, Any]:
        return self._json("GET", "/api/v1/datasets")

    def versions(self, name: str) -> dict[str, Any]:
        return self._json("GET", f"/api/v1/datasets/{name}/versions")

    def profile(self, ref: str, refresh: bool = False) -> dict[str, Any]:
        return self._json("GET", f"/api/v1/datasets/{ref}/profile", params={"refresh": refresh})

    def import_table(self, path: str | Path, dataset: str, **options: Any) -> dict[str, Any]:
        """Upload ``path`` (streamed) and import it as a new version of ``dataset``."""
        path = Path(path)
        if not path.is_file():
            raise InputError("no such file", Where(file=str(path)))
        params = {k: v for k, v in options.items() if v is not None}
        params.setdefault("format", _format_of(path))
        task = self._json(
            "POST", f"/api/v1/datasets/{dataset}/import", params=params, content=_chunks(path)
        )
        return self.wait(task)

    def set_roles(
        self, ref: str, changes: dict[str, str] | None = None, *, confirm_all: bool = False
    ) -> dict[str, Any]:
        return self._json(
            "POST",
            f"/api/v1/datasets/{ref}/roles",
            json={"set": changes or {}, "confirm": confirm_all},
        )

    def read(
        self, project: str, ref: str, *, columns: list[str] | None = None, limit: int = 20
    ) -> dict[str, Any]:
        return self._json(
            "GET",
            f"/api/v1/projects/{project}/datasets/{ref}/rows",
            params={"column": columns or [], "limit": limit},
        )

    def read_file(
        self, project: str, ref: str, out: str | Path, *, columns: list[str] | None = None
    ) -> int:
        """Download every row the project may export to ``out`` (.csv, .parquet, .jsonl, .arrow)."""
        from bulle.outputs import atomic_output

        out = Path(out)
        fmt = {".csv": "csv", ".parquet": "parquet", ".jsonl": "jsonl", ".arrow": "arrow"}.get(
            out.suffix.lower()
        )
        if fmt is None:
            raise InputError(
                "use a .csv, .parquet, .jsonl or .arrow output name", Where(file=str(out))
            )
        response = self._send(
            "GET",
            f"/api/v1/projects/{project}/datasets/{ref}/rows",
            params={"column": columns or [], "format": fmt},
        )
        with atomic_output(out) as tmp:
            tmp.write_bytes(response.content)
        return len(response.content)

    def query(self, project: str, sql: str, *, timeout_s: float | None = None) -> dict[str, Any]:
        return self._json(
            "POST", f"/api/v1/projects/{project}/query", json={"sql": sql, "timeout_s": timeout_s}
        )

    def audit_log(
        self, *, from_seq: int | None = None, limit: int = 50, kind: str | None = None
    ) -> dict[str, Any]:
        params = {
            k: v
            for k, v in {"from_seq": from_seq, "limit": limit, "kind": kind}.items()
            if v is not None
        }
        return self._json("GET", "/api/v1/audit/log", params=params)

    def verify_audit_log(self, *, quick: bool = False) -> dict[str, Any]:
        return self._json("POST", "/api/v1/audit/verify", params={"quick": quick})

    def projects(self) -> dict[str, Any]:
        return self._json("GET", "/api/v1/projects")

    def record_choices(self, choices: list[dict[str, Any]]) -> dict[str, Any]:
        return self._json("POST", "/api/v1/consents", json={"choices": choices})

    def access_report(self, subject_id: str) -> dict[str, Any]:
        return self._json("GET", f"/api/v1/subjects/{subject_id}/access-report")

    # -- the analysis bubble ---------------------------------------------------------------------
    def submit_job(self, project: str, code: str | Path, *, dummy: bool = False) -> dict[str, Any]:
        """Send a .py/.sql file or a folder with main.py; returns ``{"job", "state", "task"}``."""
        from bulle.services.jobs import read_code

        bundle = read_code(Path(code))  # the same checks as a local submission, before sending
        files = {name: data.decode("utf-8") for name, data in bundle.files}
        body = {"files": files, "entry": bundle.entry, "dummy": dummy}
        return self._json("POST", f"/api/v1/projects/{project}/jobs", json=body)

    def job(self, job: str) -> dict[str, Any]:
        return self._json("GET", f"/api/v1/jobs/{job}")

    def wait_job(self, job: str, timeout_s: float = 3600.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        state = self.job(job)
        while state["state"] in ("queued", "running") and time.monotonic() < deadline:
            time.sleep(POLL_S)
            state = self.job(job)
        return state

    def jobs(self, project: str | None = None) -> dict[str, Any]:
        return self._json("GET", "/api/v1/jobs", params={"project": project} if project else {})

    def job_logs(self, job: str) -> dict[str, Any]:
        return self._json("GET", f"/api/v1/jobs/{job}/logs")

    def job_outputs(self, job: str) -> list[dict[str, Any]]:
        return self._json("GET", f"/api/v1/jobs/{job}/outputs")

    def cancel_job(self, job: str) -> dict[str, Any]:
        return self._json("POST", f"/api/v1/jobs/{job}/cancel")

    def review_queue(self) -> list[dict[str, Any]]:
        return self._json("GET", "/api/v1/outputs/queue")

    def review_output(self, job: str, name: str, *, approve: bool, comment: str) -> dict[str, Any]:
        body = {"decision": "approve" if approve else "reject", "comment": comment}
        return self._json("POST", f"/api/v1/jobs/{job}/outputs/{name}/review", json=body)

    def mitigate_output(self, job: str, name: str, method: str) -> dict[str, Any]:
        return self._json(
            "POST", f"/api/v1/jobs/{job}/outputs/{name}/mitigate", json={"method": method}
        )

    def request_exception(self, job: str, name: str, reason: str) -> dict[str, Any]:
        return self._json(
            "POST", f"/api/v1/jobs/{job}/outputs/{name}/exception", json={"reason": reason}
        )

    def download_output(self, job: str, name: str, to: str | Path) -> dict[str, Any]:
        """Fetch a released output into ``to/name/`` (checksums checked by the server)."""
        import io
        import zipfile

        response = self._send("GET", f"/api/v1/jobs/{job}/outputs/{name}/download")
        dest = Path(to) / name
        dest.mkdir(parents=True, exist_ok=True)
        files = []
        with zipfile.ZipFile(io.BytesIO(response.content)) as z:
            for info in z.infolist():
                base = Path(info.filename).name  # never a path from the server's archive
                if not base or base != info.filename:
                    raise InputError(f"unexpected name in the download: {info.filename!r}")
                data = z.read(info)
                (dest / base).write_bytes(data)
                files.append({"name": base, "size": len(data)})
        revision = int(response.headers.get("X-Bulle-Revision", "0"))
        return {"job": job, "name": name, "revision": revision, "files": files, "to": str(dest)}


def _format_of(path: Path) -> str:
    name = path.name.lower()
    for ext, fmt in (
        (".parquet", "parquet"),
        (".jsonl", "jsonl"),
        (".json", "jsonl"),
        (".csv", "csv"),
    ):
        if name.endswith(ext):
            return fmt
    raise InputError(
        "cannot tell the format from the name: use .csv, .parquet or .jsonl (or --format)",
        Where(file=str(path)),
    )


def _chunks(path: Path, size: int = 1 << 20) -> Iterator[bytes]:
    with open(path, "rb") as f:
        while chunk := f.read(size):
            yield chunk


def connect(url: str, token: str | None = None) -> Client:
    """A client of the Bulle server at ``url`` acting as ``token``'s account (or BULLE_TOKEN)."""
    import os

    return Client(url, token or os.environ.get("BULLE_TOKEN"))
