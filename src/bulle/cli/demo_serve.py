"""`bulle demo --serve`: the demo workspace behind a running server, with accounts to sign in.

The demo's data are fictitious, so its accounts get passwords printed on the terminal and the
custodian signs in without a one-time code (``auth.totp_roles`` is emptied in the demo
workspace's own ``bulle.toml``, an audited settings change); a real workspace keeps the default,
which asks custodians for one. The server listens on 127.0.0.1 only.
"""

from __future__ import annotations

import secrets
import socket
from pathlib import Path

# (account, roles, what it is for): the demo project `etude-diabete` names bob as its analyst.
DEMO_ACCOUNTS = (
    ("alice", ("custodian",), "custodian: datasets, releases, purposes, projects"),
    ("bob", ("analyst",), "analyst of the project etude-diabete"),
    ("chloe", ("checker",), "output checker"),
    ("charles", ("checker",), "output checker"),
    ("dora", ("dpo",), "DPO: audit log, access reports, register"),
)
CONTROLLER = "CHU de démonstration (fictif), 1 rue de l'Exemple, 75000 Paris — DPO : dpo@exemple.fr"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(workspace_dir: Path, actor) -> list[tuple[str, str, str]]:
    """Demo accounts with fresh passwords, and the demo's settings; returns (name, password, role)."""
    from bulle.services.accounts import create_user
    from bulle.services.settings import set_setting
    from bulle.workspace import Workspace

    shown = []
    with Workspace.open(workspace_dir, actor) as ws:
        set_setting(ws, "auth.totp_roles", "")
        set_setting(ws, "register.controller", CONTROLLER)
        for name, roles, what in DEMO_ACCOUNTS:
            password = secrets.token_urlsafe(12)
            create_user(ws, name, roles, password)
            shown.append((name, password, what))
    return shown


def serve_demo(workspace_dir: Path, port: int, actor, out) -> None:
    import uvicorn

    from bulle.server.app import create_app

    accounts = prepare(workspace_dir, actor)
    port = port or free_port()
    url = f"http://127.0.0.1:{port}/"
    app = create_app(workspace_dir)
    out.rule("[bold]Bulle is serving the demo workspace")
    out.print(f"Open [bold]{url}[/] in a browser (public register: {url}transparency).")
    out.print("Demo accounts (fictitious data; passwords made for this run):")
    for name, password, what in accounts:
        out.print(f"  [bold]{name}[/]  password [bold]{password}[/]  — {what}")
    out.print("Stop the server with Ctrl-C.")
    uvicorn.run(
        app, host="127.0.0.1", port=port, log_level="warning", server_header=False,
        proxy_headers=False,
    )  # fmt: skip
