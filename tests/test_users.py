"""Users file: add/remove/list, bcrypt hashes only, verify, and the `ikemap user` command."""

from __future__ import annotations

import io
import stat

import bcrypt
import pytest

from analysis import users
from analysis.users import UsersError
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
    assert "no user 'sato'" in capsys.readouterr().err


def test_cli_user_add_without_terminal_asks_for_stdin(path, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert cli.main(["user", "add", "sato", "--role", "planner", "--users", str(path)]) == 2
    assert "--password-stdin" in capsys.readouterr().err
    assert not path.exists()
