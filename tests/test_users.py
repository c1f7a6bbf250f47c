"""Users file: add/remove/list, bcrypt hashes only, verify, and the `ikemap user` command."""

from __future__ import annotations

import io
import stat

import bcrypt
import pytest

from gate import users
from gate.users import UsersError
from ikemap import cli


@pytest.fixture
def path(tmp_path, monkeypatch):
    monkeypatch.setattr(users, "BCRYPT_ROUNDS", 4)
    return tmp_path / "users.toml"


def test_add_list_remove_round_trip(path):
    users.add(path, "sato", role="planner", password="correct horse")
    users.add(path, "伊藤", role="disaster", password="tsunami-2011", scope="04202, 04203")
    listed = users.list_users(path)
    assert [(u.name, u.role, u.scope) for u in listed] == [
        ("sato", "planner", None),
        ("伊藤", "disaster", ("04202", "04203")),
    ]
    users.remove(path, "sato")
    assert [u.name for u in users.list_users(path)] == ["伊藤"]
    with pytest.raises(UsersError, match="no user 'sato'"):
        users.remove(path, "sato")


def test_file_holds_salted_bcrypt_hashes_never_passwords(path):
    users.add(path, "a", role="planner", password="same password")
    users.add(path, "b", role="planner", password="same password")
    text = path.read_text(encoding="utf-8")
    assert "same password" not in text
    hashes = [u.password_hash for u in users.list_users(path)]
    assert hashes[0] != hashes[1]  # salted
    assert all(bcrypt.checkpw(b"same password", h.encode()) for h in hashes)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "password_hash" not in repr(users.list_users(path)[0])


def test_verify(path):
    users.add(path, "sato", role="coordinator", password="correct horse", scope=["01202"])
    user = users.verify(path, "sato", "correct horse")
    assert (user.name, user.role, user.scope) == ("sato", "coordinator", ("01202",))
    assert users.verify(path, "sato", "wrong horse") is None
    assert users.verify(path, "nobody", "correct horse") is None
    assert users.verify(path, "sato", "") is None


def test_re_adding_replaces_password(path):
    users.add(path, "sato", role="planner", password="first password")
    users.add(path, "sato", role="admin", password="second password")
    assert users.verify(path, "sato", "first password") is None
    assert users.verify(path, "sato", "second password").role == "admin"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"role": "boss", "password": "long enough"}, "Role 'boss'"),
        ({"role": "planner", "password": "short"}, "at least 8"),
        ({"role": "planner", "password": "x" * 73}, "72 bytes"),
        ({"role": "planner", "password": "long enough", "scope": "131"}, "5-digit"),
    ],
)
def test_bad_users_are_refused(path, kwargs, match):
    with pytest.raises(UsersError, match=match):
        users.add(path, "sato", **kwargs)
    assert not path.exists()


def test_bad_name_and_broken_file(path):
    with pytest.raises(UsersError, match="not valid"):
        users.add(path, 'a"b', role="planner", password="long enough")
    path.write_text('[users."x"]\nrole = "emperor"\npassword_hash = "$2b$04$abc"\n')
    with pytest.raises(UsersError, match="role is 'emperor'"):
        users.load(path)
    path.write_text("not = [toml")
    with pytest.raises(UsersError, match="not a valid users file"):
        users.load(path)


def test_default_path(monkeypatch, tmp_path):
    monkeypatch.delenv(users.ENV_VAR, raising=False)
    assert users.default_path(tmp_path / "w.gpkg") == tmp_path / "users.toml"
    monkeypatch.setenv(users.ENV_VAR, str(tmp_path / "elsewhere.toml"))
    assert users.default_path(tmp_path / "w.gpkg") == tmp_path / "elsewhere.toml"


def test_cli_user_add_list_remove(path, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("a fine password\n"))
    args = [
        "user",
        "add",
        "sato",
        "--role",
        "coordinator",
        "--scope",
        "01202",
        "--users",
        str(path),
    ]
    assert cli.main([*args, "--password-stdin"]) == 0
    assert users.verify(path, "sato", "a fine password").scope == ("01202",)
    assert cli.main(["user", "list", "--users", str(path)]) == 0
    out = capsys.readouterr().out
    assert "sato" in out and "coordinator" in out and "01202" in out and "$2b$" not in out
    assert cli.main(["user", "remove", "sato", "--users", str(path)]) == 0
    assert users.list_users(path) == []
    assert cli.main(["user", "remove", "sato", "--users", str(path)]) == 2
    assert "no user 'sato'" in " ".join(capsys.readouterr().err.split())  # wrapped to width


def test_cli_user_add_without_terminal_asks_for_stdin(path, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert cli.main(["user", "add", "sato", "--role", "planner", "--users", str(path)]) == 2
    assert "--password-stdin" in capsys.readouterr().err
    assert not path.exists()


# ---------------------------------------------------------------------------------------------
# logins that hold (gate.login): per user, across sessions, audited


@pytest.fixture
def ws(tmp_path):
    from geo import workspace

    p = tmp_path / "w.gpkg"
    workspace.write_metadata(p, {"region": "test"})
    return p


def test_failures_lock_the_user_across_sessions_with_a_cool_down(path, ws):
    from gate import audit, login

    users.add(path, "sato", role="planner", password="correct horse")
    t0 = 1_000_000.0
    for i in range(login.MAX_FAILURES):
        r = login.attempt(path, ws, "sato", "wrong", now=t0 + i)
        assert r.user is None
    assert r.locked  # the fifth failure locks
    # a new browser session or the command line: the count lives beside the users file
    again = login.attempt(path, ws, "sato", "correct horse", now=t0 + 60)
    assert again.user is None and again.locked and "ロック" in again.message
    status = login.status(path, "sato", now=t0 + 60)
    assert status[0] and status[1] == t0 + login.MAX_FAILURES - 1 + login.COOLDOWN_S
    # another user is not affected
    users.add(path, "ito", role="disaster", password="tsunami-2011")
    assert login.attempt(path, ws, "ito", "tsunami-2011", now=t0 + 61).user.name == "ito"
    # after the cool-down the right password works and clears the count
    late = t0 + login.MAX_FAILURES + login.COOLDOWN_S
    assert login.attempt(path, ws, "sato", "correct horse", now=late).user.name == "sato"
    assert login.status(path, "sato", now=late) == (False, None, 0)
    log = audit.read(ws)
    assert log["action"].tolist() == [
        *["login_failed"] * login.MAX_FAILURES,
        "login_locked",
        "login",
        "login",
    ]
    assert stat.S_IMODE(login.state_path(path).stat().st_mode) == 0o600
    assert "correct horse" not in login.state_path(path).read_text(encoding="utf-8")


def test_unknown_names_are_counted_and_audited_too(path, ws):
    from gate import audit, login

    users.add(path, "sato", role="planner", password="correct horse")
    for i in range(login.MAX_FAILURES + 1):
        r = login.attempt(path, ws, "nobody", "whatever-1", now=2_000_000.0 + i)
    assert r.locked
    assert audit.read(ws)["user"].eq("nobody").all()
