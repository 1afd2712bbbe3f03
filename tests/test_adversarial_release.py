"""Attacks on the release record (issue 17): no one can quietly rewrite what was released.

What this guards: each line of ``releases.jsonl`` carries the sha256 of the line before it and is signed with
the agency's Ed25519 key, as is each ``RELEASE.json``; ``verify`` checks the chain and every signature and
says exactly what was altered or withdrawn: a released file edited together with its hash in RELEASE.json
and its log line; a version deleted with its log line while the index still links it; a line removed from
the middle; releases re-signed with another key; a damaged log line; a RELEASE.json that is not a record.
Releases from before signing are reported as such, not as tampered.

Each test works on its own copy of the chief's released project (test_release.released_project: version 1,
then a correction, version 2), so the shared project is never changed.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from transparency import cli
from transparency.releasing.release import LOG_FILE, RELEASE_FILE
from transparency.releasing.signing import (
    LOG_CONTEXT,
    RELEASE_CONTEXT,
    SigningKey,
    canonical,
    create_signing_key,
    read_signing_key,
    signature_holds,
    signing_key_path,
)


@pytest.fixture(scope="module")
def chief(tmp_path_factory):
    from test_release import released_project

    return released_project(tmp_path_factory)


def _writable(folder: Path) -> None:
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)


@pytest.fixture
def copy(chief, tmp_path, monkeypatch):
    """A writable copy of the released project (data, reports), run from the command line as TRANSPARENCY_ROOT."""
    root = tmp_path / "copy"
    shutil.copytree(chief.root, root, symlinks=True)
    _writable(root / "reports")
    monkeypatch.setenv("TRANSPARENCY_ROOT", str(root))
    released = root / "reports" / "sample" / "released"
    return SimpleNamespace(root=root, agency=chief.agency, released=released, log=released / LOG_FILE,
                           v1=released / "2026Q2" / "v1", v2=released / "2026Q2" / "v2")


def run_verify(copy, *extra: str, capsys) -> tuple[int, str]:
    code = cli.main(["verify", "--agency", "sample", *extra])
    out = capsys.readouterr()
    text = out.out + out.err
    assert "Traceback" not in text
    return code, text


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def lines(copy) -> list[str]:
    return copy.log.read_text().splitlines()


def write_lines(copy, texts: list[str]) -> None:
    copy.log.write_text("".join(t + "\n" for t in texts))


# --- What a release records ------------------------------------------------------------------------------


def test_each_log_line_chains_to_the_one_before_and_is_signed(chief):
    log = (chief.reports / "released" / LOG_FILE).read_text().splitlines()
    records = [json.loads(line) for line in log]
    assert [(r["period"], r["version"]) for r in records] == [("2026Q2", 1), ("2026Q2", 2)]
    assert records[0]["prev_sha256"] is None
    assert records[1]["prev_sha256"] == hashlib.sha256(log[0].encode()).hexdigest()
    public = read_signing_key("sample").public
    for record in records:
        body = {k: v for k, v in record.items() if k != "signature"}
        assert record["key"] == public and signature_holds(public, record["signature"], LOG_CONTEXT, body)


def test_release_json_is_signed_with_the_agency_key(chief):
    record = json.loads((chief.v2.folder / RELEASE_FILE).read_text())
    public = read_signing_key("sample").public
    assert record["signing_key"] == public
    body = {k: v for k, v in record.items() if k != "signature"}
    assert signature_holds(public, record["signature"], RELEASE_CONTEXT, body)
    body["files"]["metrics.json"] = "0" * 64
    assert not signature_holds(public, record["signature"], RELEASE_CONTEXT, body)


def test_the_index_and_catalogue_publish_the_public_key_and_the_chain_head(chief):
    log = (chief.reports / "released" / LOG_FILE).read_text().splitlines()
    head = hashlib.sha256(log[-1].encode()).hexdigest()
    public = read_signing_key("sample").public
    published = json.loads((chief.reports / "data.json").read_text())["releaseLog"]
    assert published["head"] == head and published["entries"] == 2
    assert published["publicKey"] == public and published["algorithm"] == "Ed25519"
    page = (chief.reports / "index.html").read_text()
    assert head in page and public in page and "--chain-head" in page


def test_verify_passes_an_untouched_chain(copy, capsys):
    head = sha256(lines(copy)[-1])
    code, text = run_verify(copy, "--chain-head", head, "--public-key", read_signing_key("sample").public, capsys=capsys)
    assert code == 0, text
    assert "2 line(s), each chained to the one before" in text and head in text
    assert "the chain head you kept is line 2 of 2" in text


# --- Attacks ----------------------------------------------------------------------------------------------


def test_a_file_edited_with_its_hash_and_log_line_is_caught(copy, capsys):
    """The attack that passed before: edit a table, put its new hash in RELEASE.json, and RELEASE.json's new
    hash in the log line."""
    table = copy.v1 / "tables" / "use_of_force__force_types.csv"
    table.write_bytes(table.read_bytes().replace(b",", b";", 1))
    record = json.loads((copy.v1 / RELEASE_FILE).read_text())
    record["files"]["tables/use_of_force__force_types.csv"] = hashlib.sha256(table.read_bytes()).hexdigest()
    (copy.v1 / RELEASE_FILE).write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    texts = lines(copy)
    first = json.loads(texts[0])
    first["release_sha256"] = hashlib.sha256((copy.v1 / RELEASE_FILE).read_bytes()).hexdigest()
    texts[0] = json.dumps(first, sort_keys=True)
    write_lines(copy, texts)
    code, text = run_verify(copy, capsys=capsys)
    assert code == 1, text
    assert "line 1 (2026Q2 version 1) was altered after it was written: its signature does not match" in text
    assert "line 2 (2026Q2 version 2) does not follow the line before it (line 1" in text
    assert "2026Q2 version 1: CHANGED" in text
    assert "RELEASE.json was altered after the release: its signature does not match" in text


def test_releases_re_signed_with_another_key_are_caught(copy, capsys):
    """An attacker with a key of their own re-signs RELEASE.json and rebuilds the whole chain."""
    forger = SigningKey(bytes(range(1, 33)))
    record = json.loads((copy.v1 / RELEASE_FILE).read_text())
    record["released_by"] = "Someone Else"
    record["signing_key"] = forger.public
    record.pop("signature")
    record["signature"] = forger.sign(RELEASE_CONTEXT, record)
    (copy.v1 / RELEASE_FILE).write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    rebuilt, previous = [], None
    for number, text in enumerate(lines(copy), 1):
        line = {k: v for k, v in json.loads(text).items() if k != "signature"}
        if number == 1:
            line["release_sha256"] = hashlib.sha256((copy.v1 / RELEASE_FILE).read_bytes()).hexdigest()
        line.update(prev_sha256=sha256(previous) if previous else None, key=forger.public)
        line["signature"] = forger.sign(LOG_CONTEXT, line)
        previous = json.dumps(line, sort_keys=True)
        rebuilt.append(previous)
    write_lines(copy, rebuilt)
    code, text = run_verify(copy, capsys=capsys)  # checked against this machine's key
    assert code == 1, text
    assert "line 1 (2026Q2 version 1) is signed with another key than the agency's" in text
    assert "RELEASE.json is signed with another key than the agency's" in text


def test_a_withdrawn_version_and_its_log_line_are_caught(copy, capsys):
    """Version 2 (the correction) deleted with its log line, while index.html still links it."""
    head = sha256(lines(copy)[-1])
    shutil.rmtree(copy.v2)
    write_lines(copy, lines(copy)[:1])
    code, text = run_verify(copy, capsys=capsys)
    assert code == 1, text
    assert "2026Q2 version 2: WITHDRAWN (the public index links it" in text
    assert f"data.json names the log's head as {head[:12]}… after 2 line(s), but the log has no such line" in text

    # Even with the index written again from what is left, the head a reader kept gives it away.
    from transparency.releasing.publish_index import write_index

    write_index(copy.agency, copy.root)
    code, text = run_verify(copy, "--chain-head", head, capsys=capsys)
    assert code == 1, text
    assert f"the chain head you kept ({head[:12]}…) is not in the log" in text


def test_a_line_removed_from_the_middle_is_caught(copy, capsys):
    write_lines(copy, lines(copy)[1:])
    code, text = run_verify(copy, capsys=capsys)
    assert code == 1, text
    assert "line 1 (2026Q2 version 2) does not follow the line before it (it is first, but was chained" in text
    assert "version 1 is not in the release log" in text


def test_a_damaged_log_line_is_named(copy, capsys):
    texts = lines(copy)
    write_lines(copy, [texts[0][:40], texts[1]])
    code, text = run_verify(copy, capsys=capsys)
    assert code == 1, text
    assert "line 1 of the release log is not a readable record" in text
    assert "version 1 is not in the release log" in text


def test_a_release_json_that_is_a_list_is_named(copy, capsys):
    (copy.v2 / RELEASE_FILE).write_text("[1, 2, 3]\n")
    code, text = run_verify(copy, capsys=capsys)
    assert code == 1, text
    assert "2026Q2 version 2: CHANGED" in text and "RELEASE.json is not a release record (it holds a JSON list)" in text


def test_releases_from_before_signing_are_reported_as_unsigned_not_tampered(copy, capsys):
    """Version 1 as an older release wrote it (no signature, no chain), version 2 released after the upgrade."""
    record = json.loads((copy.v1 / RELEASE_FILE).read_text())
    for key in ("signature", "signing_key"):
        record.pop(key)
    (copy.v1 / RELEASE_FILE).write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    first, second = (json.loads(t) for t in lines(copy))
    legacy = json.dumps({"period": "2026Q2", "version": 1, "released_at": first["released_at"],
                         "release_sha256": hashlib.sha256((copy.v1 / RELEASE_FILE).read_bytes()).hexdigest()},
                        sort_keys=True)
    signer = read_signing_key("sample")
    second = {k: v for k, v in second.items() if k != "signature"} | {"prev_sha256": sha256(legacy)}
    second["signature"] = signer.sign(LOG_CONTEXT, second)
    write_lines(copy, [legacy, json.dumps(second, sort_keys=True)])
    from transparency.releasing.publish_index import write_index

    write_index(copy.agency, copy.root)
    code, text = run_verify(copy, capsys=capsys)
    assert code == 0, text
    assert "1 line(s) of the release log are from before signing" in text
    assert "unsigned: released before signing" in text

    # An unsigned line after signed ones is no old release: someone wrote it by hand.
    write_lines(copy, lines(copy) + [legacy])
    code, text = run_verify(copy, capsys=capsys)
    assert code == 1 and "line 3 (2026Q2 version 1) is not signed, though lines before it are" in text, text


# --- The signing key ------------------------------------------------------------------------------------


def test_signing_key_files_are_refused_when_unsafe(tmp_path, monkeypatch):
    from transparency.core.errors import ConfigError

    monkeypatch.setenv("TRANSPARENCY_KEYS_DIR", str(tmp_path / "keys"))
    with pytest.raises(ConfigError, match="no signing key for agency 'town'.*transparency keygen"):
        read_signing_key("town")
    path, new = create_signing_key("town")
    assert new and path == signing_key_path("town") and path.stat().st_mode & 0o777 == 0o600
    assert create_signing_key("town") == (path, False), "an existing key is never replaced"
    key = read_signing_key("town")
    assert len(base64.b64decode(key.public)) == 32
    path.chmod(0o644)
    with pytest.raises(ConfigError, match="can be read by other users"):
        read_signing_key("town")
    path.chmod(0o600)
    path.write_text("00" * 32 + "\n")
    with pytest.raises(ConfigError, match="not 64 hex digits of a real key"):
        read_signing_key("town")
    path.unlink()
    (tmp_path / "elsewhere").write_text("11" * 32)
    path.symlink_to(tmp_path / "elsewhere")
    with pytest.raises(ConfigError, match="is a link"):
        read_signing_key("town")


def test_signatures_are_over_canonical_json_with_a_purpose():
    key = SigningKey(bytes(range(32)))
    data = {"b": 1, "a": ["é", 2]}
    signature = key.sign(LOG_CONTEXT, data)
    assert canonical(data) == '{"a":["é",2],"b":1}'.encode()
    assert signature_holds(key.public, signature, LOG_CONTEXT, dict(reversed(data.items())))
    assert not signature_holds(key.public, signature, RELEASE_CONTEXT, data), "a log signature is no manifest signature"
    assert not signature_holds(key.public, "not base64!", LOG_CONTEXT, data)
