"""``cnsmm serve``, ``cnsmm worker``, ``cnsmm user create`` and ``cnsmm token create|list|revoke``."""

from __future__ import annotations

import sys
from typing import BinaryIO

import click

from cnsmm.errors import Error


def _need_server_extra() -> None:
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        raise Error("the web service needs extra packages", hint="pip install 'cnsmm[server]'") from None


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535))
@click.option("--db", envvar="CNSMM_DB", help="Store URL (default: SQLite in the user data folder; env CNSMM_DB).")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="Server processes.")
@click.option("--job-workers", type=click.IntRange(0, 64), default=None,
              help="Background jobs (imports) run at once by each server process [default: $CNSMM_JOB_WORKERS or 2]; "
                   "0 leaves them to `cnsmm worker` processes.")
@click.option("--no-worker", is_flag=True, help="Run no background jobs here (same as --job-workers 0).")
def serve_cmd(host: str, port: int, db: str | None, workers: int, job_workers: int | None, no_worker: bool) -> None:
    """Run the web service: dashboard, JSON API (/api/v1, OpenAPI at /openapi.json) and uploads.

    Uploads are kept in the store and imported in the background, by this process and by any
    `cnsmm worker` processes on the same store (see docs/service.md, "Scaling out")."""
    _need_server_extra()
    import os

    import uvicorn

    from cnsmm.accounts.store import open_service_store as open_web_store

    store = open_web_store(db)  # create or upgrade the tables once, before workers start
    click.echo(f"cnsmm serving {store.url} on http://{host}:{port}/ (create users with `cnsmm user create`)", err=True)
    store.dispose()
    if db:
        os.environ["CNSMM_DB"] = db
    if no_worker or job_workers is not None:
        os.environ["CNSMM_JOB_WORKERS"] = "0" if no_worker else str(job_workers)
    if workers == 1:
        uvicorn.run("cnsmm.web.asgi:app", host=host, port=port, proxy_headers=True, log_level="info")
        return
    import socket

    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config("cnsmm.web.asgi:app", host=host, port=port, workers=workers, proxy_headers=True,
                            log_level="info")
    sock = config.bind_socket()
    # uvicorn creates the shared socket without the TCP protocol number, so asyncio does not set
    # TCP_NODELAY on the connections it accepts and each response waited ~40 ms for the client's
    # delayed ACK. Accepted connections inherit the option from the listening socket.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    Multiprocess(config, sockets=[sock]).run()


@click.command("worker")
@click.option("--db", envvar="CNSMM_DB", help="Store URL (default: SQLite in the user data folder; env CNSMM_DB).")
@click.option("--concurrency", type=click.IntRange(1, 64), default=None,
              help="Jobs run at once [default: $CNSMM_JOB_WORKERS or 2].")
@click.option("--alive-file", type=click.Path(dir_okay=False), default=None,
              help="Touch this file every 15 s while running (for a liveness probe).")
def worker_cmd(db: str | None, concurrency: int | None, alive_file: str | None) -> None:
    """Run background jobs (imports uploaded to `cnsmm serve`) until stopped (SIGTERM or Ctrl-C).

    Start as many as the imports need, on any machine that reaches the store: on PostgreSQL
    they share the work through its task queue; on SQLite they must run beside the database
    file. A worker that stops mid-import loses nothing: its job is started again elsewhere."""
    _need_server_extra()
    import asyncio
    from pathlib import Path

    from cnsmm.accounts.store import open_service_store
    from cnsmm.jobs.dispatch import default_workers
    from cnsmm.jobs.worker import run_worker

    store = open_service_store(db)
    count = concurrency or default_workers() or 1
    click.echo(f"cnsmm worker on {store.url}: {count} job(s) at a time", err=True)
    try:
        asyncio.run(run_worker(store, count, Path(alive_file) if alive_file else None))
    finally:
        store.dispose()


MAX_PASSWORD_BYTES = 4096
"""Longest password ``--password-stdin`` reads (its first line, in UTF-8)."""


def read_password_line(stream: BinaryIO, limit: int = MAX_PASSWORD_BYTES) -> str:
    """The first line of ``stream`` without its line end, reading at most ``limit`` + 2 bytes:
    a longer line (or a stream without a line end that goes on) is refused, not read whole."""
    line = stream.readline(limit + 2)
    text = line.rstrip(b"\r\n")
    if len(text) > limit:
        raise Error(f"the password on standard input is longer than {limit:,} bytes (only its first line "
                    "is the password; read no further)", hint="Give the password alone on the first line")
    try:
        return text.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Error(f"the password on standard input is not UTF-8 (byte {exc.start + 1})",
                    hint="Give the password as UTF-8 text") from None


@click.group("user")
def user_group() -> None:
    """Manage local users of the web service."""


@user_group.command("create")
@click.argument("name")
@click.option("--admin", is_flag=True, help="Global administrator (all projects).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (first line).")
@click.option("--project", help="Also give the user a role in this project.")
@click.option("--role", type=click.Choice(["viewer", "developer", "security", "owner"]), default="viewer",
              show_default=True)
@click.option("--db", envvar="CNSMM_DB", help="Store URL (env CNSMM_DB).")
def user_create(name: str, admin: bool, password_stdin: bool, project: str | None, role: str, db: str | None) -> None:
    """Create a user. The password is read from stdin (--password-stdin) or prompted for, never an argument."""
    _need_server_extra()
    from cnsmm.accounts.service import Role, create_user, set_membership
    from cnsmm.accounts.store import open_service_store as open_web_store

    if password_stdin:
        password = read_password_line(sys.stdin.buffer)
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with open_web_store(db) as store:
        create_user(store, name, password, admin=admin)
        if project:
            set_membership(store, name, project, Role(role))
    click.echo(f"created user {name}" + (" (admin)" if admin else "") + (f", {role} in {project}" if project else ""),
               err=True)


@click.group("token")
def token_group() -> None:
    """Manage API tokens (for CI uploads)."""


@token_group.command("create")
@click.option("--project", required=True)
@click.option("--role", type=click.Choice(["viewer", "developer", "security", "owner"]), default="security",
              show_default=True)
@click.option("--name", default="ci", show_default=True)
@click.option("--days", default=90, show_default=True, type=click.IntRange(1, 3650), help="Days until it expires.")
@click.option("--db", envvar="CNSMM_DB", help="Store URL (env CNSMM_DB).")
def token_create(project: str, role: str, name: str, days: int, db: str | None) -> None:
    """Create a project token and print it once (only its hash is stored)."""
    _need_server_extra()
    from cnsmm.accounts.service import Role, create_token
    from cnsmm.accounts.store import open_service_store as open_web_store

    with open_web_store(db) as store:
        secret, token = create_token(store, project, Role(role), name=name, created_by="cli", days=days)
    click.echo(secret)
    click.echo(f"token {token.prefix}… for {project} ({role}), expires {token.expires_at:%Y-%m-%d}; "
               "it is shown only this once", err=True)


@token_group.command("list")
@click.option("--project", required=True)
@click.option("--db", envvar="CNSMM_DB", help="Store URL (env CNSMM_DB).")
def token_list(project: str, db: str | None) -> None:
    """List a project's tokens: id, prefix, name, role, expiry, state, last use (never the secrets)."""
    _need_server_extra()
    from cnsmm.accounts.service import list_tokens
    from cnsmm.accounts.store import open_service_store as open_web_store

    with open_web_store(db) as store:
        rows = list_tokens(store, project)
    if not rows:
        click.echo(f"no tokens in project {project}", err=True)
    for t in rows:
        fields = [str(t["id"]), f"{t['prefix']}…", t["name"], t["role"], t["expires_at"] or "never",
                  "revoked" if t["revoked"] else "active", t["last_used_at"] or "never used"]
        click.echo("\t".join(fields))


@token_group.command("revoke")
@click.argument("token_id", type=click.IntRange(1))
@click.option("--project", required=True)
@click.option("--db", envvar="CNSMM_DB", help="Store URL (env CNSMM_DB).")
def token_revoke(token_id: int, project: str, db: str | None) -> None:
    """Revoke a token of a project by its id (see `cnsmm token list`). Running servers refuse it
    within 5 seconds."""
    _need_server_extra()
    from cnsmm.accounts.service import revoke_token
    from cnsmm.accounts.store import open_service_store as open_web_store

    with open_web_store(db) as store:
        revoked = revoke_token(store, project, token_id)
    if not revoked:
        raise Error(f"no active token {token_id} in project {project}",
                    hint=f"List the project's tokens with: cnsmm token list --project {project}")
    click.echo(f"revoked token {token_id} of {project}", err=True)


COMMANDS = [serve_cmd, worker_cmd, user_group, token_group]
