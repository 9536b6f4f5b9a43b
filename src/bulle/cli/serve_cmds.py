"""`bulle -w DIR serve`: run the HTTP API on this machine (127.0.0.1 unless told otherwise)."""

from __future__ import annotations

from pathlib import Path

import click

from bulle.errors import InputError, UserError, Where


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--tls-cert", type=click.Path(dir_okay=False, path_type=Path), help="PEM certificate."
)
@click.option("--tls-key", type=click.Path(dir_okay=False, path_type=Path), help="PEM private key.")
@click.pass_context
def serve(ctx, host: str, port: int, tls_cert: Path | None, tls_key: Path | None) -> None:
    """Serve the workspace's HTTP API (docs at /docs, OpenAPI at /openapi.json); ready when
    GET /health answers 200."""
    import uvicorn

    from bulle.server.app import create_app

    root = (ctx.find_root().obj or {}).get("workspace")
    if not root:
        raise UserError("no workspace given: use `bulle --workspace DIR serve`")
    if (tls_cert is None) != (tls_key is None):
        raise InputError("--tls-cert and --tls-key go together", Where(field="--tls-cert"))
    for f in (tls_cert, tls_key):
        if f is not None and not f.is_file():
            raise InputError("no such file", Where(file=str(f)))
    app = create_app(root, tls=tls_cert is not None)
    uvicorn.run(
        app,
        host=host,
        port=port,
        ssl_certfile=str(tls_cert) if tls_cert else None,
        ssl_keyfile=str(tls_key) if tls_key else None,
        log_level="warning",
        server_header=False,
        proxy_headers=False,
        timeout_graceful_shutdown=10,
    )
