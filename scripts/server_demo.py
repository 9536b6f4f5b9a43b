"""`make demo`, second part: the demo workspace behind `bulle serve`, reached by the CLI client.

    python scripts/server_demo.py DEMO_WORKSPACE

Creates a custodian (alice) and the demo project's analyst (bob) with passwords and tokens, starts
`bulle serve` on a free 127.0.0.1 port, makes a few calls through `bulle --server URL --token T`
(the datasets as the custodian, the project's SQL as the analyst, a refusal, the audit log
verified), and stops the server.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

BULLE = [sys.executable, "-m", "bulle"]
SQL = "SELECT sexe, count(*) AS patients FROM patients GROUP BY sexe ORDER BY sexe"


def run(*args: str, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess:
    r = subprocess.run([*BULLE, *args], capture_output=True, text=True, env=env)
    if check and r.returncode != 0:
        sys.exit(f"bulle {' '.join(args)} failed ({r.returncode}): {r.stderr}")
    return r


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(workspace: str) -> int:
    ws = str(Path(workspace))
    # the demo's accounts sign in with tokens only: no second factor for its custodian
    env = {**os.environ, "BULLE_SETTING_AUTH_TOTP_ROLES": ""}
    with tempfile.TemporaryDirectory() as tmp:
        tokens = {}
        for name, role in (("alice", "custodian"), ("bob", "analyst")):
            pw = Path(tmp) / f"{name}.pw"
            pw.write_text(f"demo password of {name}, not for real use\n")
            pw.chmod(0o600)
            listed = json.loads(run("-w", ws, "user", "list", "--json", env=env).stdout)
            names = {u["name"] for u in listed.get("users", listed)}
            if name not in names:
                run(
                    "-w",
                    ws,
                    "user",
                    "add",
                    name,
                    "--role",
                    role,
                    "--password-file",
                    str(pw),
                    env=env,
                )
            out = run("-w", ws, "token", "create", name, "--expires-days", "1", "--json", env=env)
            tokens[name] = json.loads(out.stdout)["token"]
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        log = open(Path(tmp) / "server.log", "wb")  # noqa: SIM115 - closed below
        server = subprocess.Popen(
            [*BULLE, "-w", ws, "serve", "--port", str(port)], env=env, stderr=log
        )
        try:
            for _ in range(300):
                try:
                    with urllib.request.urlopen(f"{url}/health") as r:
                        if r.status == 200:
                            break
                except OSError:
                    time.sleep(0.1)
            else:
                sys.exit("the server did not start")
            print(f"== bulle serve on {url} (docs at {url}/docs)")
            client = {name: ["--server", url, "--token", t] for name, t in tokens.items()}
            datasets = json.loads(run(*client["alice"], "datasets", "--json", env=env).stdout)
            print("custodian alice, `bulle --server URL datasets`:",
                  ", ".join(f"{d['name']} ({len(d['versions'])} versions)" for d in datasets["datasets"]))  # fmt: skip
            result = json.loads(
                run(
                    *client["bob"], "query", "--project", "etude-diabete", SQL, "--json", env=env
                ).stdout
            )
            print(
                f"analyst bob, `bulle --server URL query --project etude-diabete ...`: {result['data']}"
            )
            refused = run(*client["bob"], "datasets", "--json", env=env, check=False)
            error = json.loads(refused.stderr)["error"]
            print(
                f"analyst bob, `datasets`: refused, exit {refused.returncode} ({error['code']}: {error['message']})"
            )
            verified = json.loads(
                run(*client["alice"], "audit", "verify", "--json", env=env).stdout
            )
            print(
                f"custodian alice, `audit verify`: ok={verified['ok']}, {verified['entries']} events"
            )
        finally:
            server.terminate()
            server.wait(timeout=30)
            log.close()
        print("== server stopped")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python scripts/server_demo.py DEMO_WORKSPACE")
    sys.exit(main(sys.argv[1]))
