"""The server's configuration: what `make run` starts with."""

import tomllib
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent


def test_static_serving_is_on_only_with_a_static_folder():
    """Streamlit warns at every start when it is told to serve ./static and there is none."""
    with (PROJECT / ".streamlit" / "config.toml").open("rb") as handle:
        server = tomllib.load(handle)["server"]
    assert not server.get("enableStaticServing", False) or (PROJECT / "static").is_dir()
