"""Settings file, profiles, token lookup, base-URL safety."""

from __future__ import annotations

import stat
import sys
from pathlib import Path

import pytest

from intercom_tui import config


def test_missing_file_is_defaults() -> None:
    settings = config.load_settings()
    assert settings.theme == config.DEFAULT_THEME
    assert settings.poll_interval == 30.0
    assert settings.profile().api_url == "https://api.intercom.io"
    assert settings.warnings == ()


def test_paths_follow_xdg(isolated_dirs: Path) -> None:
    assert config.config_path().is_relative_to(isolated_dirs / "config")
    assert config.cache_dir().is_relative_to(isolated_dirs / "cache")


def test_round_trip_with_mode_0600() -> None:
    settings = config.with_profile(
        config.Settings(theme="intercom-light", keymap={"triage.close": "w"}),
        config.Profile(name="eu", region="eu", token="secret-token-123"),
        make_default=True,
    )
    path = config.save_settings(settings)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    loaded = config.load_settings()
    assert loaded.theme == "intercom-light"
    assert loaded.keymap == {"triage.close": "w"}
    assert loaded.default_profile == "eu"
    assert loaded.profile().api_url == "https://api.eu.intercom.io"
    assert loaded.profile().token == "secret-token-123"
    assert loaded.warnings == ()


def test_profile_repr_never_shows_the_token() -> None:
    assert "secret-token-123" not in repr(config.Profile(token="secret-token-123"))


def test_bad_toml_is_a_warning_not_a_crash() -> None:
    path = config.config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("theme = [unclosed\n")
    path.chmod(0o600)
    settings = config.load_settings()
    assert settings.theme == config.DEFAULT_THEME
    assert any("not valid TOML" in w for w in settings.warnings)


def test_wrong_types_are_warnings() -> None:
    path = config.config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('poll_interval = "soon"\nkeymap = 3\n[profiles]\nwork = 5\n')
    path.chmod(0o600)
    settings = config.load_settings()
    assert settings.poll_interval == 30.0
    assert settings.keymap == {}
    assert len(settings.warnings) == 3


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_readable_by_others_warns() -> None:
    path = config.save_settings(config.Settings())
    path.chmod(0o644)
    assert any("chmod 600" in w for w in config.load_settings().warnings)


def test_unknown_profile_and_region_are_clear_errors() -> None:
    with pytest.raises(config.ConfigError, match="No profile named 'nope'"):
        config.Settings(profiles={"a": config.Profile(name="a")}).profile("nope")
    with pytest.raises(config.ConfigError, match="Unknown region"):
        _ = config.Profile(region="mars").api_url


def test_token_lookup_order(monkeypatch: pytest.MonkeyPatch) -> None:
    profile = config.Profile(token="from-file", token_command=f"{sys.executable} -c 'print(42)'")
    assert config.resolve_token(profile, environ={"INTERCOM_ACCESS_TOKEN": "env"}) == "env"
    assert config.resolve_token(profile, environ={}) == "42"
    assert config.resolve_token(config.Profile(token="from-file"), environ={}) == "from-file"
    failing = config.Profile(token_command=f"{sys.executable} -c 'raise SystemExit(3)'")
    with pytest.raises(config.ConfigError, match="exited with 3"):
        config.resolve_token(failing, environ={})


@pytest.mark.parametrize(
    ("url", "insecure", "ok"),
    [
        ("https://api.intercom.io", False, True),
        ("http://127.0.0.1:8765", False, True),
        ("http://localhost:8765/", False, True),
        ("http://[::1]:8765", False, True),
        ("http://proxy.example.com", False, False),
        ("http://proxy.example.com", True, True),
        ("ftp://api.intercom.io", False, False),
        ("not a url", False, False),
    ],
)
def test_plain_http_only_to_loopback(url: str, insecure: bool, ok: bool) -> None:
    if ok:
        assert config.check_base_url(url, insecure=insecure) == url.rstrip("/")
    else:
        with pytest.raises(config.ConfigError):
            config.check_base_url(url, insecure=insecure)
