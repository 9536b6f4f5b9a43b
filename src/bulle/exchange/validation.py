"""Every field of an export's manifest checked before any of it is used, all problems at once.

An export comes from outside: its manifest is hostile input, signature or not (an export carries
the public key that signs it, so anyone can make a validly signed one). Before a file is opened,
a key loaded or a catalog built, the whole manifest is checked here: each key known, each value of
the expected type and range, every path a short, safe, relative path under the folder its kind
belongs to, counts consistent with the file list, and the catalog section exactly Bulle's own
schema at the export's version (``schema.py``). The result is one ``ValidationError`` listing
every problem, or nothing: the rest of the importer may then rely on the manifest's shape.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import PurePosixPath
from typing import Any

from bulle.errors import Problem, Where

MAX_PATH_BYTES = 1024  # whole relative path, UTF-8 (PATH_MAX is 4096 with the export's own folder)
MAX_SETTING_CHARS = 1024  # a setting's text (an alert webhook URL, a list of addresses)
MAX_NAME_BYTES = 255  # one path segment (NAME_MAX on Linux, macOS and Windows file systems)
MAX_TEXT = 200  # ids, versions, times

_HEX64 = re.compile(r"[0-9a-f]{64}\Z")
_KEY_ID = re.compile(r"[0-9a-f]{16}\Z")
_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+-]*\Z")

TOP_KEYS = (
    "format",
    "format_version",
    "contains_secret_keys",
    "warning",
    "bulle_version",
    "created_at",
    "workspace",
    "catalog",
    "data",
    "audit",
    "keys",
    "files",
)
WORKSPACE_KEYS = ("id", "created_at", "format_version", "engine", "settings")
DATA_KEYS = ("versions", "artefacts", "bytes", "withheld_statuses", "withheld", "model_states")
MAX_MODEL_STATE_BYTES = 1 << 30  # one shard's state: LightGBM text of a few MB in practice
MODEL_STATE_PATH = re.compile(r"models/[A-Za-z][A-Za-z0-9_.-]{0,127}/([0-9a-f]{64})\.state\Z")
AUDIT_KEYS = (
    "log",
    "log_format_version",
    "workspace_id",
    "genesis",
    "head",
    "events",
    "signing_key",
    "public_keys",
    "key_runs",
)
KEYS_KEYS = (
    "included",
    "current_pseudonym_key_id",
    "pseudonym_key_ids",
    "custodian_public_key",
    "files",
    "warning",
)


class _Collector:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, field: str, message: str) -> None:
        self.problems.append(Problem(message, Where(file="manifest.json", field=field)))

    def keys(self, obj: dict[str, Any], allowed: tuple[str, ...], prefix: str) -> None:
        for k in obj:
            if k not in allowed:
                self.add(f"{prefix}{_short(str(k))}", "unknown key")

    def section(self, m: dict[str, Any], key: str, allowed: tuple[str, ...]) -> dict[str, Any]:
        v = m.get(key)
        if not isinstance(v, dict):
            self.add(key, "must be an object")
            return {}
        self.keys(v, allowed, f"{key}.")
        return v

    def integer(self, v: Any, field: str, low: int = 0, high: int = 2**63 - 1) -> bool:
        if type(v) is not int or not low <= v <= high:
            self.add(field, f"must be an integer from {low} to {high}")
            return False
        return True

    def text(
        self, v: Any, field: str, pattern: re.Pattern[str] | None = None, limit: int = MAX_TEXT
    ) -> bool:
        if not isinstance(v, str) or not v or len(v) > limit or not v.isprintable():
            self.add(field, f"must be a non-empty printable string of at most {limit} characters")
            return False
        if pattern is not None and not pattern.match(v):
            self.add(field, f"{_short(v)!r} is not of the expected form")
            return False
        return True

    def time(self, v: Any, field: str) -> None:
        if self.text(v, field):
            try:
                dt.datetime.fromisoformat(v)
            except ValueError:
                self.add(field, "must be an ISO 8601 time")


def _short(s: str, n: int = 60) -> str:
    return s if len(s) <= n else s[:n] + f"... ({len(s)} characters)"


def path_problem(rel: Any) -> str | None:
    """Why ``rel`` cannot be a path in an export, or None: short, relative, no ``..``, portable."""
    if not isinstance(rel, str) or not rel:
        return "must be a non-empty string"
    try:
        encoded = rel.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid UTF-8"
    if len(encoded) > MAX_PATH_BYTES:
        return (
            f"is {len(encoded)} bytes long: paths in an export are at most {MAX_PATH_BYTES} bytes"
        )
    parts = rel.split("/")
    if rel.startswith("/") or any(p in ("", ".", "..") for p in parts):
        return (
            f"{_short(rel)!r} is not a plain relative path (absolute, empty segment, '.' or '..')"
        )
    if any(len(p.encode("utf-8")) > MAX_NAME_BYTES for p in parts):
        return f"a segment of {_short(rel)!r} is longer than {MAX_NAME_BYTES} bytes"
    if "\\" in rel or not rel.isprintable():
        return f"{_short(rel)!r} holds a backslash or a control character"
    if PurePosixPath(rel).as_posix() != rel:
        return f"{_short(rel)!r} is not in normal form"
    return None


def _file_kind_place(kind: str, rel: str) -> bool:
    from bulle.exchange import manifest as mf

    if kind == mf.KIND_VERSION:
        return rel.startswith("data/") and not rel.startswith("data/.tmp/")
    if kind == mf.KIND_ARTEFACT:
        return rel.startswith("artefacts/")
    if kind == mf.KIND_CATALOG:
        return rel.startswith("catalog/") and rel.count("/") == 1 and rel.endswith(".jsonl")
    if kind == mf.KIND_AUDIT_LOG:
        return rel == "audit/log.jsonl"
    if kind == mf.KIND_PUBLIC_KEY:
        return re.match(r"public-keys/audit-[0-9a-f]{16}\.pub\Z", rel) is not None
    if kind == mf.KIND_CUSTODIAN_PUBLIC:
        return rel == "public-keys/custodian.pub"
    if kind == mf.KIND_MODEL_STATE:
        return MODEL_STATE_PATH.match(rel) is not None
    return rel.startswith("keys/")  # secret keys


def _files(c: _Collector, files: Any) -> dict[str, dict[str, Any]]:
    from bulle.exchange import manifest as mf

    out: dict[str, dict[str, Any]] = {}
    if not isinstance(files, list):
        c.add("files", "must be a list")
        return out
    for i, f in enumerate(files):
        field = f"files[{i}]"
        if not isinstance(f, dict):
            c.add(field, "must be an object with a path, a kind, a sha256 and a size")
            continue
        c.keys(f, ("path", "kind", "sha256", "size"), f"{field}.")
        ok = True
        why = path_problem(f.get("path"))
        if why:
            c.add(f"{field}.path", why)
            ok = False
        if not isinstance(f.get("kind"), str) or f["kind"] not in mf.FILE_KINDS:
            c.add(f"{field}.kind", f"must be one of {sorted(mf.FILE_KINDS)}")
            ok = False
        if not (isinstance(f.get("sha256"), str) and _HEX64.match(f["sha256"])):
            c.add(f"{field}.sha256", "must be 64 lowercase hex digits")
        c.integer(f.get("size"), f"{field}.size")
        if not ok:
            continue
        rel = f["path"]
        if not _file_kind_place(f["kind"], rel):
            c.add(f"{field}.path", f"a {f['kind']} file cannot be at {_short(rel)!r}")
        if f["kind"] == mf.KIND_MODEL_STATE:
            named = MODEL_STATE_PATH.match(rel)
            if named and f.get("sha256") != named.group(1):
                c.add(f"{field}.sha256", "a model state's SHA-256 must be the hash in its name")
            if isinstance(f.get("size"), int) and f["size"] > MAX_MODEL_STATE_BYTES:
                c.add(f"{field}.size", f"a model state is at most {MAX_MODEL_STATE_BYTES} bytes")
        if rel in out or rel in (mf.MANIFEST, mf.SIGNATURE):
            c.add(f"{field}.path", f"{_short(rel)!r} is listed twice or reserved")
        out[rel] = f
    return out


def _settings(c: _Collector, value: Any) -> None:
    """The exported workspace's settings: known names, each value within its declaration."""
    from bulle import settings as table
    from bulle.errors import ValidationError

    if not isinstance(value, dict):
        c.add("workspace.settings", "must be an object of setting names and values")
        return
    known = {}
    for k, v in value.items():
        if k not in table.BY_NAME:
            c.add(f"workspace.settings.{_short(str(k))}", "unknown setting")
        elif isinstance(v, str) and len(v) > MAX_SETTING_CHARS:
            c.add(f"workspace.settings.{k}", f"must be at most {MAX_SETTING_CHARS} characters")
        else:
            known[k] = v
    try:
        table.resolve(known, {}, file="manifest.json")
    except ValidationError as exc:
        for p in exc.problems:
            c.add(f"workspace.{p.where.field or 'settings'}", p.message)


def manifest_problems(m: dict[str, Any]) -> list[Problem]:
    """Every problem with a manifest whose ``format`` and ``format_version`` were already checked."""
    from bulle.audit.format import FORMAT_VERSION as LOG_FORMAT
    from bulle.catalog.export_schema import check_catalog
    from bulle.catalog.store import SCHEMA_VERSION
    from bulle.exchange import manifest as mf
    from bulle.workspace import FORMAT_VERSION as WS_FORMAT

    c = _Collector()
    c.keys(m, TOP_KEYS, "")
    secret = m.get("contains_secret_keys")
    if not isinstance(secret, bool):
        c.add("contains_secret_keys", "must be true or false")
    if ("warning" in m) != (secret is True) or ("warning" in m and m["warning"] != mf.KEYS_WARNING):
        c.add(
            "warning", "present, with Bulle's warning, exactly when the export contains secret keys"
        )
    c.text(m.get("bulle_version"), "bulle_version", _SAFE_ID, 64)
    c.time(m.get("created_at"), "created_at")
    files = _files(c, m.get("files"))
    kinds: dict[str, list[str]] = {}
    for rel, f in files.items():
        kinds.setdefault(f["kind"], []).append(rel)

    ws = c.section(m, "workspace", WORKSPACE_KEYS)
    c.text(ws.get("id"), "workspace.id", _SAFE_ID, 100)
    c.time(ws.get("created_at"), "workspace.created_at")
    c.integer(ws.get("format_version"), "workspace.format_version", 1, WS_FORMAT)
    c.text(ws.get("engine"), "workspace.engine", _SAFE_ID, 32)
    if "settings" in ws:
        _settings(c, ws["settings"])

    cat = c.section(m, "catalog", ("schema_version", "tables", "objects", "excluded_meta_keys"))
    version = cat.get("schema_version")
    if type(version) is int and version > SCHEMA_VERSION:
        c.add(
            "catalog.schema_version",
            f"the export's catalog schema version {version} is newer than this "
            f"Bulle ({SCHEMA_VERSION}): upgrade Bulle to import it",
        )
    elif c.integer(version, "catalog.schema_version", 1, SCHEMA_VERSION):
        c.problems += check_catalog(cat, version, set(kinds.get(mf.KIND_CATALOG, [])))

    data = c.section(m, "data", DATA_KEYS)
    for key, kind in (("versions", mf.KIND_VERSION), ("artefacts", mf.KIND_ARTEFACT)):
        if c.integer(data.get(key), f"data.{key}") and data[key] != len(kinds.get(kind, [])):
            c.add(
                f"data.{key}",
                f"says {data[key]}, but the file list holds {len(kinds.get(kind, []))}",
            )
    states = len(kinds.get(mf.KIND_MODEL_STATE, []))
    counted = ("model_states" in data or states) and c.integer(
        data.get("model_states"), "data.model_states"
    )
    if counted and data["model_states"] != states:
        c.add("data.model_states", f"says {data['model_states']}, the file list holds {states}")
    c.integer(data.get("bytes"), "data.bytes")
    if data.get("withheld_statuses") != list(mf.WITHHELD_STATUSES):
        c.add("data.withheld_statuses", f"must be {list(mf.WITHHELD_STATUSES)}")
    withheld = data.get("withheld")
    if not isinstance(withheld, list):
        c.add("data.withheld", "must be a list")
    else:
        for i, w in enumerate(withheld):
            field = f"data.withheld[{i}]"
            if not isinstance(w, dict) or set(w) != {"path", "kind", "dataset", "number"}:
                c.add(field, "must be an object with a path, a kind, a dataset and a number")
                continue
            if path_problem(w["path"]) or w["kind"] not in (mf.KIND_VERSION, mf.KIND_ARTEFACT):
                c.add(field, "needs a safe path and the kind of a version or an artefact")
            c.text(w["dataset"], f"{field}.dataset", limit=MAX_NAME_BYTES)
            c.integer(w["number"], f"{field}.number", 1)

    audit = c.section(m, "audit", AUDIT_KEYS)
    if audit.get("log") != "audit/log.jsonl" or kinds.get(mf.KIND_AUDIT_LOG) != ["audit/log.jsonl"]:
        c.add("audit.log", "the export holds exactly one audit log, audit/log.jsonl, listed as one")
    c.integer(audit.get("log_format_version"), "audit.log_format_version", 1, LOG_FORMAT)
    if audit.get("workspace_id") != ws.get("id"):
        c.add("audit.workspace_id", "must be the workspace id")
    c.text(audit.get("genesis"), "audit.genesis")
    head = audit.get("head")
    if not (
        isinstance(head, dict)
        and set(head) == {"seq", "hash"}
        and type(head["seq"]) is int
        and head["seq"] >= 0
        and isinstance(head["hash"], str)
        and _HEX64.match(head["hash"])
    ):
        c.add(
            "audit.head", "must be {seq, hash}: a non-negative integer and 64 lowercase hex digits"
        )
    c.integer(audit.get("events"), "audit.events")
    c.text(audit.get("signing_key"), "audit.signing_key", _KEY_ID)
    _public_keys(
        c,
        audit.get("public_keys"),
        set(kinds.get(mf.KIND_PUBLIC_KEY, [])),
        audit.get("signing_key"),
    )
    runs = audit.get("key_runs")
    if not isinstance(runs, list) or not all(
        isinstance(r, dict)
        and set(r) == {"key", "first", "last"}
        and isinstance(r["key"], str)
        and _KEY_ID.match(r["key"])
        and type(r["first"]) is int
        and type(r["last"]) is int
        for r in runs
    ):
        c.add("audit.key_runs", "must be a list of {key, first, last}")

    keys = c.section(m, "keys", KEYS_KEYS)
    if keys.get("included") is not secret or not isinstance(secret, bool):
        c.add("keys.included", "must equal contains_secret_keys")
    pid = keys.get("current_pseudonym_key_id")
    if pid is not None:
        c.text(pid, "keys.current_pseudonym_key_id", _SAFE_ID, 64)
    ids = keys.get("pseudonym_key_ids")
    if not isinstance(ids, list) or not all(
        isinstance(k, str) and _SAFE_ID.match(k) and len(k) <= 64 for k in ids
    ):
        c.add("keys.pseudonym_key_ids", "must be a list of key ids")
    custodian = kinds.get(mf.KIND_CUSTODIAN_PUBLIC, [])
    if (
        keys.get("custodian_public_key") != (custodian[0] if custodian else None)
        or len(custodian) > 1
    ):
        c.add(
            "keys.custodian_public_key",
            "must name the one custodian public key file the list holds",
        )
    secret_files = sorted(kinds.get(mf.KIND_SECRET, []))
    if secret is True:
        if keys.get("warning") != mf.KEYS_WARNING:
            c.add("keys.warning", "must be Bulle's warning when secret keys are included")
        if (
            not isinstance(keys.get("files"), list)
            or sorted(map(str, keys["files"])) != secret_files
        ):
            c.add("keys.files", "must list exactly the secret-key files of the file list")
    else:
        if "files" in keys or "warning" in keys:
            c.add("keys", "files and warning belong only to an export that includes the keys")
        if secret_files:
            c.add("files", "secret-key files in an export that says it holds none")
    return c.problems


def _public_keys(c: _Collector, keys: Any, listed: set[str], signing: Any) -> None:
    if not isinstance(keys, list) or not keys:
        c.add("audit.public_keys", "must be a non-empty list")
        return
    seen = set()
    for i, k in enumerate(keys):
        field = f"audit.public_keys[{i}]"
        if not (
            isinstance(k, dict)
            and set(k) == {"key_id", "file", "current"}
            and isinstance(k["key_id"], str)
            and _KEY_ID.match(k["key_id"])
            and isinstance(k["current"], bool)
        ):
            c.add(field, "must be {key_id, file, current}")
            continue
        if (
            k["file"] != f"public-keys/audit-{k['key_id']}.pub"
            or not isinstance(k["file"], str)
            or k["file"] not in listed
        ):
            c.add(
                f"{field}.file",
                "must be public-keys/audit-<key_id>.pub, listed as an audit public key",
            )
        if k["key_id"] in seen:
            c.add(field, "key listed twice")
        seen.add(k["key_id"])
        if k["current"] != (k["key_id"] == signing):
            c.add(f"{field}.current", "true for the signing key only")
    if len(seen) != len(listed):
        c.add("audit.public_keys", "must name every audit public key file of the list, once")
