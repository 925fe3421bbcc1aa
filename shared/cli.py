"""The `instap` command: run the suite, migrate, seed demo data, workers, users and tokens."""

from __future__ import annotations

import getpass
import json
import sys
from pathlib import Path

import click

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

    summary = seed(_settings(), residents=residents)
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
    from shared.auth.passwords import hashing_for
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


@main.group()
def token() -> None:
    """Manage bearer tokens for machine clients."""


@token.command("create")
@click.option("--role", required=True)
@click.option("--org", "org", required=True)
@click.option("--org-kind", default="gemeente", show_default=True)
@click.option("--name", default="machine client", show_default=True)
def token_create(role: str, org: str, org_kind: str, name: str) -> None:
    """Create a bearer token; it is printed once and stored only as a hash."""
    from shared.auth.accounts import create_token, get_or_create_organisation
    from shared.errors import DomainError

    db = Database(_settings().database_url("accounts"), "accounts")
    try:
        with db.unit_of_work() as s:
            organisation = get_or_create_organisation(s, org, org_kind)
            click.echo(create_token(s, name=name, role=role, organisation=organisation))
    except DomainError as exc:
        raise click.ClickException(f"{exc.message} {json.dumps(exc.errors)}") from None


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


if __name__ == "__main__":
    main()
