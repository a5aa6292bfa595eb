"""`cnsmm token create|list|revoke` through main(argv), and a revoked token refused by the API."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.conftest import run_cli

from cnsmm.accounts.service import list_tokens
from cnsmm.web.app import create_app
from cnsmm.web.db import open_web_store


def test_create_list_and_revoke(db: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = run_cli(capsys, "token", "create", "--project", "shop", "--name", "ci-main", "--db", db)
    assert code == 0, err
    secret = out.strip()
    assert secret.startswith("cnsmm_") and "shown only this once" in err

    code, out, _ = run_cli(capsys, "token", "list", "--project", "shop", "--db", db)
    assert code == 0
    (line,) = out.splitlines()
    token_id, prefix, name, role, expires, state, used = line.split("\t")
    assert secret.startswith(prefix.rstrip("…")) and (name, role, state) == ("ci-main", "security", "active")
    assert used == "never used"
    assert secret not in out and expires[:2] == "20"

    store = open_web_store(db)
    try:
        with TestClient(create_app(store=store)) as client:
            url, auth = "/api/v1/projects/shop/overview", {"Authorization": f"Bearer {secret}"}
            assert client.get(url, headers=auth).status_code == 200
            deadline = time.monotonic() + 10  # recorded at once when the store is free
            while list_tokens(store, "shop")[0]["last_used_at"] is None and time.monotonic() < deadline:
                time.sleep(0.05)
            code, _, err = run_cli(capsys, "token", "revoke", token_id, "--project", "shop", "--db", db)
            assert code == 0 and f"revoked token {token_id} of shop" in err
            store.memo.clear()  # as a server process does at most 5 seconds later
            assert client.get(url, headers=auth).status_code == 401
    finally:
        store.dispose()

    code, out, _ = run_cli(capsys, "token", "list", "--project", "shop", "--db", db)
    fields = out.strip().split("\t")
    assert fields[5] == "revoked" and fields[6][:2] == "20"  # used once, through the API above
    code, _, err = run_cli(capsys, "token", "revoke", token_id, "--project", "shop", "--db", db)
    assert code == 2 and f"no active token {token_id} in project shop" in err
    assert "cnsmm token list --project shop" in err
    code, _, err = run_cli(capsys, "token", "revoke", token_id, "--project", "other", "--db", db)
    assert code == 2  # a token of another project is not found there
