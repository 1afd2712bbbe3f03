"""Where the reports are published and who to ask: agency.yml's ``publishing``, overridden by the environment."""

from __future__ import annotations

import base64
import os
import re
from pathlib import Path
from urllib.parse import quote

from transparency.core.config import LOGO_TYPES, Agency, Publishing
from transparency.core.errors import ConfigError

#: Environment variables that override ``publishing.url`` and ``publishing.contact`` (a deployment's own
#: address, say, without editing agency.yml); set but empty means "not set".
URL_VARIABLE = "TRANSPARENCY_PUBLIC_URL"
CONTACT_VARIABLE = "TRANSPARENCY_CONTACT_EMAIL"

#: The folder of released versions under reports/<agency>/ and so under the public address (build.RELEASED is this).
RELEASED = "released"

_TABLE_LINK = re.compile(r'href="tables/([^"/]+)"')


def public_url(agency: Agency) -> str | None:
    """The web address of ``reports/<agency>/`` (ending in "/"), or None when the reports have none.

    ``TRANSPARENCY_PUBLIC_URL`` wins over ``publishing.url``; both are checked alike.

    Raises
    ------
    ConfigError
        The environment variable is not a web address (named as the key).
    """
    found = _from_environment(URL_VARIABLE, "url", "a web address such as https://police.example.gov/transparency/")
    return found if found is not None else agency.model.publishing.url


def contact(agency: Agency) -> str | None:
    """The e-mail address for questions about the report (``TRANSPARENCY_CONTACT_EMAIL`` wins), or None."""
    found = _from_environment(CONTACT_VARIABLE, "contact", "an e-mail address")
    return found if found is not None else agency.model.publishing.contact


def _from_environment(variable: str, key: str, expected: str) -> str | None:
    """A publishing setting from the environment, checked as agency.yml's ``publishing.<key>`` is; None when unset."""
    text = (os.environ.get(variable) or "").strip()
    if not text:
        return None
    try:
        return getattr(Publishing(**{key: text}), key)
    except ValueError:
        raise ConfigError(variable, "", f"'{text}' is not {expected}") from None


def version_url(base: str | None, period: str, version: int) -> str | None:
    """The address of a released version's folder, where `transparency release` puts it and the public index links
    to it: ``<base>released/<period>/v<version>/`` (None without a public address)."""
    if not base:
        return None
    return f"{base}{RELEASED}/{quote(period)}/v{int(version)}/"


def next_version(reports: Path, period: str) -> int:
    """The version number the next release of a period will have (1 when none is released yet), for a draft's links."""
    folder = reports / RELEASED / period
    numbers = [int(p.name[1:]) for p in folder.glob("v*") if p.is_dir() and p.name[1:].isdigit()] if folder.is_dir() else []
    return max(numbers, default=0) + 1


def absolute_table_links(html: str, version_address: str | None) -> str:
    """The report with its links to CSV tables (``tables/<file>.csv``) made absolute under a released version's
    address, so that they work in a PDF shared on its own; unchanged without an address (links stay relative)."""
    if not version_address:
        return html
    return _TABLE_LINK.sub(lambda m: f'href="{version_address}tables/{m.group(1)}"', html)


def logo_data_uri(agency: Agency) -> str | None:
    """The agency's logo (``publishing.logo``, checked to lie inside its folder at load) as a data URI for the
    cover, so the report carries it wherever it goes; None without a logo."""
    logo = agency.model.publishing.logo
    if not logo:
        return None
    path = agency.folder / logo
    kind = LOGO_TYPES[path.suffix.lower()]
    return f"data:{kind};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


__all__ = ["absolute_table_links", "contact", "logo_data_uri", "next_version", "public_url", "version_url"]
