"""Keys and the embedded database are readable by their owner only."""

import stat

from sqlalchemy import text

from core.config import load_settings
from core.db import make_engine


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_var_folder_and_the_generated_keys_are_the_owners_only(tmp_path):
    var = tmp_path / "var"
    load_settings({"COURIER_VAR_DIR": str(var)})
    assert (mode(var), mode(var / "code.key"), mode(var / "secret.key")) == (0o700, 0o600, 0o600)


def test_a_new_sqlite_database_is_the_owners_only(tmp_path):
    path = tmp_path / "fresh" / "courier.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
    engine.dispose()
    assert (mode(path.parent), mode(path)) == (0o700, 0o600)
