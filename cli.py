"""`conduct`: the command line. The one module that may import every package.

Imports are made inside each command so that `conduct classify` starts cold in well under a
second and no command pays for another's dependencies.
"""

from __future__ import annotations

import sys

import click


def _settings_or_exit():  # type: ignore[no-untyped-def]
    from config.settings import SettingsError, load_settings

    try:
        return load_settings()
    except SettingsError as exc:
        click.echo(f"conduct: configuration error: {exc}", err=True)
        sys.exit(2)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Conduct Guard: enforce a customer-conduct policy inside Zendesk and Freshdesk."""


@main.group()
def bench() -> None:
    """Benchmarks: each prints its figures and a ratio against a baseline run alongside."""


if __name__ == "__main__":  # pragma: no cover
    main()
