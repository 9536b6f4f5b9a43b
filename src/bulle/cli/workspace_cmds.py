"""`bulle init DIR`, and the options that say how a new custodian private key is protected."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from bulle.cli.common import actor_from, console, emit, json_option
from bulle.domain.engine_choice import ENGINES, EngineChoice


def custodian_key_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """--custodian-passphrase-file / --custodian-key-out (the passphrase never on the command line)."""
    f = click.option(
        "--custodian-key-out",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Write the custodian's private key to FILE, outside the workspace (sealed too "
        "when a passphrase is given); only its public key stays inside.",
    )(f)
    return click.option(
        "--custodian-passphrase-file",
        type=click.Path(dir_okay=False, path_type=Path),
        help="File (mode 0600) holding the passphrase that seals the custodian's private "
        "key; default: the environment variable BULLE_CUSTODIAN_PASSPHRASE.",
    )(f)


def custodian_setup(passphrase_file: Path | None, key_out: Path | None):
    from bulle.vault.custodian_key import (
        CustodianKeySetup,
        passphrase_from_environment,
        read_passphrase_file,
    )

    passphrase = (
        read_passphrase_file(passphrase_file) if passphrase_file else passphrase_from_environment()
    )
    return CustodianKeySetup(passphrase=passphrase, key_out=key_out)


@click.command("init")
@click.argument("directory", type=click.Path(file_okay=False))
@click.option(
    "--engine",
    type=click.Choice(ENGINES),
    default="duckdb",
    show_default=True,
    help="The engine that holds the rows: embedded DuckDB, or Apache Spark (docs/scale.md).",
)
@click.option(
    "--spark-master",
    metavar="MASTER",
    help="With --engine spark: local[N], spark://HOST:7077, yarn or k8s://... "
    "(default local[*]); recorded in bulle.toml.",
)
@custodian_key_options
@json_option
@click.pass_context
def init(
    ctx: click.Context,
    directory: str,
    engine: str,
    spark_master: str | None,
    custodian_passphrase_file: Path | None,
    custodian_key_out: Path | None,
    as_json: bool,
) -> None:
    """Create a new, empty workspace in DIRECTORY (mode 0700, files 0600).

    The custodian's private key is sealed with a passphrase or written outside the workspace.
    """
    from bulle.workspace import Workspace

    choice = EngineChoice(engine, spark_master)
    setup = custodian_setup(custodian_passphrase_file, custodian_key_out)
    ws = Workspace.init(directory, actor_from(ctx), custodian=setup, choice=choice)
    key = setup.key_out or ws.keys_dir / "custodian.key"
    sealed = (
        " (sealed with the passphrase)"
        if setup.passphrase is not None
        else " (not sealed: keep it offline)"
    )
    payload = {
        "workspace": str(ws.root),
        "id": ws.id,
        "format_version": ws.config["workspace"]["format_version"],
        "pseudonym_key_id": ws.keys.current_pseudonym_key_id(),
        "engine": choice.name,
        **({"spark_master": ws.config["spark"]["master"]} if choice.name == "spark" else {}),
    }
    ws.close()
    emit(
        payload,
        as_json,
        lambda p: console().print(
            f"Created workspace [bold]{p['workspace']}[/] (id {p['id']}), readable by its owner only. "
            f"Custodian private key: {key}{sealed}; back it up (docs/pseudonymization.md)."
        ),
    )
