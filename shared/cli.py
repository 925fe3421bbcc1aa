"""The `instap` command: run the suite, migrate, seed demo data, workers, users and tokens."""

from __future__ import annotations

import getpass
import json
import sys
from pathlib import Path

import click

from services.matching.credentials.cli import credential
from shared.components import COMPONENTS, services, workers
from shared.config import ConfigError, load_settings
from shared.db import Database


def _settings():  # type: ignore[no-untyped-def]
    try:
        return load_settings()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


def migrate_all(settings) -> None:  # type: ignore[no-untyped-def]
    from shared.migrations import upgrade

    for comp in COMPONENTS.values():
        db = Database(settings.database_url(comp.name), comp.name)
        try:
            upgrade(db, comp.migrations, comp.base().metadata)
        finally:
            db.dispose()


@click.group()
def main() -> None:
    """Instap: intake, matching and reporting for Werken in de energietransitie, Dordt West."""


@main.command()
def migrate() -> None:
    """Bring every component's database to the newest schema (Alembic)."""
    migrate_all(_settings())
    click.echo("migrations: up to date")


@main.command("wait-for-schema")
@click.option("--timeout", default=600, show_default=True, help="seconds to wait before giving up")
@click.option("--interval", default=5.0, show_default=True, help="seconds between checks")
def wait_for_schema(timeout: int, interval: float) -> None:
    """Wait until `instap migrate` has brought every database to this version's schema.

    For the init container of a new release's pods: they start only after the migration Job.
    """
    import time

    from shared.migrations import behind_head

    settings = _settings()
    deadline = time.monotonic() + timeout
    while True:
        waiting = []
        for comp in COMPONENTS.values():
            db = Database(settings.database_url(comp.name), comp.name)
            try:
                reason = behind_head(db, comp.migrations)
            except Exception as exc:  # database not reachable yet: keep waiting
                reason = f"{comp.name}: {type(exc).__name__}"
            finally:
                db.dispose()
            if reason:
                waiting.append(reason)
        if not waiting:
            click.echo("schema: up to date")
            return
        if time.monotonic() >= deadline:
            raise click.ClickException("schema not migrated in time: " + "; ".join(waiting))
        click.echo("waiting for migrations: " + "; ".join(waiting), err=True)
        time.sleep(interval)


@main.command("makemigration")
@click.argument("component", type=click.Choice(sorted(COMPONENTS)))
@click.argument("message")
def makemigration(component: str, message: str) -> None:
    """(developers) Autogenerate a migration for COMPONENT from its models."""
    from alembic import command

    from shared.migrations import alembic_config

    settings = _settings()
    comp = COMPONENTS[component]
    db = Database(settings.database_url(component), component)
    command.revision(
        alembic_config(db, comp.migrations, comp.base().metadata), message=message, autogenerate=True
    )


@main.command("seed-demo")
@click.option("--residents", default=300, show_default=True, help="how many demo residents")
def seed_demo(residents: int) -> None:
    """Fill the databases with realistic demo data (idempotent: runs once per database)."""
    from shared.demo import seed

    try:
        summary = seed(_settings(), residents=residents)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(summary)


@main.group()
def user() -> None:
    """Manage accounts."""


@user.command("add")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", required=True)
@click.option("--org", "org", required=True, help="organisation name (created if new)")
@click.option("--org-kind", default="gemeente", show_default=True)
@click.option("--password", default=None, help="prompted when omitted")
def user_add(email: str, name: str, role: str, org: str, org_kind: str, password: str | None) -> None:
    """Add a local account."""
    from shared.auth.accounts import add_user, get_or_create_organisation
    from shared.auth.hashing import hashing_for
    from shared.errors import DomainError

    settings = _settings()
    if password is None:
        password = getpass.getpass("Password: ")
    db = Database(settings.database_url("accounts"), "accounts")
    try:
        with db.unit_of_work() as s:
            organisation = get_or_create_organisation(s, org, org_kind)
            created = add_user(
                s,
                email=email,
                name=name,
                password=password,
                role=role,
                organisation=organisation,
                hashing=hashing_for(settings),
            )
            click.echo(f"user {created.email} ({role}, {org}) id={created.id}")
    except DomainError as exc:
        raise click.ClickException(f"{exc.message} {json.dumps(exc.errors)}") from None


def _accounts_db() -> Database:
    return Database(_settings().database_url("accounts"), "accounts")


@user.command("password")
@click.argument("email")
@click.option("--password", default=None, help="prompted when omitted")
def user_password(email: str, password: str | None) -> None:
    """Set a new password for EMAIL; every session of that user ends."""
    from shared.auth.accounts import change_password, user_by_email
    from shared.auth.hashing import hashing_for
    from shared.errors import DomainError

    settings = _settings()
    if password is None:
        password = getpass.getpass("New password: ")
    db = _accounts_db()
    try:
        with db.unit_of_work() as s:
            change_password(s, user_by_email(s, email), password, hashing_for(settings))
    except DomainError as exc:
        raise click.ClickException(f"{exc.message} {json.dumps(exc.errors, ensure_ascii=False)}") from None
    finally:
        db.dispose()
    click.echo(f"password of {email} changed; its sessions have ended")


@user.command("role")
@click.argument("email")
@click.argument("role")
def user_role(email: str, role: str) -> None:
    """Give EMAIL another ROLE; every session of that user ends."""
    from shared.auth.accounts import change_role, user_by_email
    from shared.errors import DomainError

    db = _accounts_db()
    try:
        with db.unit_of_work() as s:
            change_role(s, user_by_email(s, email), role)
    except DomainError as exc:
        raise click.ClickException(f"{exc.message} {json.dumps(exc.errors, ensure_ascii=False)}") from None
    finally:
        db.dispose()
    click.echo(f"{email} is now {role}; its sessions have ended")


@user.command("logout")
@click.argument("email")
def user_logout(email: str) -> None:
    """End every session of EMAIL (e.g. a lost laptop)."""
    from shared.auth.accounts import end_sessions, user_by_email
    from shared.errors import DomainError

    db = _accounts_db()
    try:
        with db.unit_of_work() as s:
            end_sessions(s, user_by_email(s, email).id)
    except DomainError as exc:
        raise click.ClickException(f"{exc.message} {json.dumps(exc.errors, ensure_ascii=False)}") from None
    finally:
        db.dispose()
    click.echo(f"every session of {email} has ended")


@main.group()
def token() -> None:
    """Manage bearer tokens for machine clients."""


@token.command("create")
@click.option("--role", required=True)
@click.option("--org", "org", required=True)
@click.option("--org-kind", default="gemeente", show_default=True)
@click.option("--name", default="machine client", show_default=True)
@click.option(
    "--days",
    type=click.IntRange(min=1, max=3650),
    default=None,
    help="days until the token expires [default: INSTAP_TOKEN_LIFETIME_DAYS, 90]",
)
def token_create(role: str, org: str, org_kind: str, name: str, days: int | None) -> None:
    """Create a bearer token; it is printed once and stored only as a hash."""
    from datetime import timedelta

    from shared.auth.accounts import create_token, get_or_create_organisation
    from shared.errors import DomainError

    settings = _settings()
    lifetime = timedelta(days=days or settings.token_lifetime_days)
    db = Database(settings.database_url("accounts"), "accounts")
    try:
        with db.unit_of_work() as s:
            organisation = get_or_create_organisation(s, org, org_kind)
            click.echo(create_token(s, name=name, role=role, organisation=organisation, lifetime=lifetime))
    except DomainError as exc:
        raise click.ClickException(f"{exc.message} {json.dumps(exc.errors)}") from None
    finally:
        db.dispose()


@token.command("list")
@click.option("--all", "show_all", is_flag=True, help="also revoked and expired tokens")
def token_list(show_all: bool) -> None:
    """List tokens: id, name, role, organisation, expiry and last use (never the token itself)."""
    from shared.auth.tokens import list_tokens

    db = _accounts_db()
    try:
        with db.unit_of_work() as s:
            rows = list_tokens(s, include_ended=show_all)
    finally:
        db.dispose()
    click.echo(
        f"{'id':>5}  {'status':<10} {'role':<16} {'expires':<16} {'last used':<16} name (organisation)"
    )
    for row in rows:
        click.echo(
            f"{row.id:>5}  {row.status:<10} {row.role:<16} {_minute(row.expires_at):<16} "
            f"{_minute(row.last_used_at):<16} {row.name} ({row.organisation})"
        )


@token.command("revoke")
@click.argument("token_id", type=click.IntRange(min=1))
def token_revoke(token_id: int) -> None:
    """Revoke token TOKEN_ID (from `instap token list`); it is refused from the next request on."""
    from shared.auth.tokens import revoke_token
    from shared.errors import DomainError

    db = _accounts_db()
    try:
        with db.unit_of_work() as s:
            newly = revoke_token(s, token_id)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    finally:
        db.dispose()
    click.echo(f"token {token_id} revoked" if newly else f"token {token_id} was already revoked")


def _minute(moment) -> str:  # type: ignore[no-untyped-def]
    return moment.strftime("%Y-%m-%d %H:%M") if moment is not None else "-"


@main.command()
@click.argument("service", type=click.Choice([c.name for c in workers()]))
@click.option("--burst", is_flag=True, help="process what is queued, then stop")
def worker(service: str, burst: bool) -> None:
    """Run an RQ worker for SERVICE's queue, plus its outbox relay."""
    from shared.worker import run_worker

    sys.exit(run_worker(service, _settings(), burst=burst))


@main.group()
def outbox() -> None:
    """Inspect and replay outbox events."""


@outbox.command("replay")
@click.argument("service")
@click.option("--to", "consumer", required=True, help="consumer service to re-send to")
@click.option("--type", "types", multiple=True, help="only these event types")
def outbox_replay(service: str, consumer: str, types: tuple[str, ...]) -> None:
    """Re-send SERVICE's stored events to CONSUMER (back-fill); consumers dedupe by event id."""
    from shared.app import build_context
    from shared.outbox import replay
    from shared.worker import outbox_model

    ctx = build_context(service, _settings())
    count = replay(ctx.db, outbox_model(service), ctx.redis, service, consumer, types or None)
    click.echo(f"re-sent {count} events from {service} to {consumer}")


@main.command("backup")
@click.option(
    "--to",
    "dest",
    type=click.Path(path_type=Path),
    default=None,
    help="new directory for the backup [default: INSTAP_DATA_DIR/backups/instap-<UTC time>]",
)
def backup_command(dest: Path | None) -> None:
    """Back up every component's database, the signing keys and a manifest with checksums."""
    from datetime import UTC, datetime

    from shared.backup import BackupError, backup

    settings = _settings()
    if dest is None:
        dest = settings.data_dir / "backups" / f"instap-{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
    try:
        manifest = backup(settings, dest)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    for name, entry in manifest["components"].items():
        rows = sum(t["rows"] for t in entry["tables"].values())
        click.echo(f"{name}: {entry['backend']}, revision {entry['alembic_revision']}, {rows} rows")
    click.echo(f"keys: {len(manifest['keys'])} file(s)")
    click.echo(f"backup written to {dest}")


@main.command("restore")
@click.argument("source", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("--yes", is_flag=True, help="do not ask; the current data is replaced")
def restore_command(source: Path, yes: bool) -> None:
    """Restore a backup made by `instap backup` (stop the web apps and workers first)."""
    from shared.backup import BackupError, check, read_manifest, restore

    settings = _settings()
    try:
        manifest = read_manifest(source)
        check(manifest, source)
        if not yes:
            click.confirm(
                f"Replace the data of {', '.join(manifest['components'])} with the backup of "
                f"{manifest['created_at']}?",
                abort=True,
            )
        differences = restore(settings, source)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    broken = {name: tables for name, tables in differences.items() if tables}
    if broken:
        raise click.ClickException(f"restored, but these tables differ from the backup: {broken}")
    click.echo(f"restored {', '.join(differences)}: every table matches the backup's checksums")
    click.echo("next: `instap migrate` (brings an older backup to this version's schema)")


@main.command()
@click.option(
    "--write",
    "target",
    type=click.Path(path_type=Path),
    default=None,
    help="directory to write <service>.json into; prints when omitted",
)
def openapi(target: Path | None) -> None:
    """Print or write each service's OpenAPI document (generated from code)."""
    settings = _settings()
    for comp in services():
        app = comp.create_app(settings)
        with app.app_context():
            spec = app.extensions["flask-smorest"]["apis"][""]["ext_obj"].spec.to_dict()
        text = json.dumps(spec, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        if target is None:
            click.echo(text)
        else:
            target.mkdir(parents=True, exist_ok=True)
            (target / f"{comp.name}.json").write_text(text)
            click.echo(f"wrote {target / (comp.name + '.json')}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True)
@click.option("--no-seed", is_flag=True, help="skip the demo data")
@click.option(
    "--demo-residents",
    default=300,
    show_default=True,
    type=click.IntRange(min=0),
    help="how many demo residents to seed (first run only)",
)
def run(host: str, port: int, no_seed: bool, demo_residents: int) -> None:
    """Start the whole suite for development: Redis, migrations, demo data, web and workers."""
    from shared.devserver import run_suite

    sys.exit(run_suite(host=host, port=port, seed_demo=not no_seed, residents=demo_residents))


main.add_command(credential)

if __name__ == "__main__":
    main()
