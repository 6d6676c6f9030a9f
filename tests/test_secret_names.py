"""The secret-name heuristics: words not substrings, benign modifiers, categories, user packs."""

from __future__ import annotations

from pathlib import Path

import pytest

from retrylint.config import ConfigError, load_config
from retrylint.secrets.names import words_of
from retrylint.secrets.packs import PackError, matcher, validate_pack

# frameworks.md section 9: the empirical matrix, its known false positives and known misses.
_SECRETS_TEXT = """password passwd pwd secret secrete PASSWORD db_password new_password passphrase
token access_token refresh_token auth_token github_token csrf_token api_key apikey private_key
client_secret api_secret secret_key SECRET_KEY aws_secret_access_key access_key auth
authorization credential credentials session_id cookie password1 mypassword userPassword
X-CSRFToken Proxy-Authorization X-Api-Key DB_PASS basic_auth contraseña"""
SECRETS = _SECRETS_TEXT.split()
_LOOKALIKES_TEXT = """token_count max_tokens num_tokens token_type token_url tokenizer tokens
password_reset_url password_field password_hash password_policy password_min_length
password_changed_at passwordless secret_name secret_arn secret_id secrets_path secrets author
authority auth_method idempotency_key cache_key primary_key partition_key public_key
access_key_id session sessionmaker cookie_name passenger compass bypass pass_count passed
csrf_token_name secret_santa monkey keyboard bos_token is_password hashed_password
access_token_expires_at authorization_url token_ids"""
LOOKALIKES = _LOOKALIKES_TEXT.split()
PERSONAL = (
    "ssn",
    "card_number",
    "cvv",
    "cvv2",
    "iban",
    "date_of_birth",
    "dob",
    "creditCardNumber",
    "tax_id",
)


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("userPassword", ("user", "password")),
        ("X-CSRFToken", ("x", "csrf", "token")),
        ("APIKey", ("api", "key")),
        ("password1", ("password",)),
        ("STRIPE_SECRET_KEY", ("stripe", "secret", "key")),
        ("settings.api_key", ("settings", "api", "key")),
        ("contraseña", ("contrasena",)),
        ("cvv2", ("cvv",)),
    ],
)
def test_words(name: str, words: tuple[str, ...]) -> None:
    assert words_of(name) == words


@pytest.mark.parametrize("name", SECRETS)
def test_secrets_match(name: str) -> None:
    found = matcher().match(name)
    assert found is not None and found.category == "secret", name


@pytest.mark.parametrize("name", LOOKALIKES)
def test_lookalikes_do_not_match(name: str) -> None:
    assert matcher().match(name) is None


@pytest.mark.parametrize("name", PERSONAL)
def test_personal_data_is_its_own_category(name: str) -> None:
    found = matcher().match(name)
    assert found is not None and found.category == "personal", name


def test_number_does_not_cancel_personal_data_but_last_does() -> None:
    assert matcher().match("card_number") is not None
    assert matcher().match("card_number_last4") is None


def test_connection_urls_are_a_lower_category() -> None:
    assert matcher().match("DATABASE_URL").category == "connection"  # type: ignore[union-attr]
    assert matcher().match("sentry_dsn").category == "connection"  # type: ignore[union-attr]
    assert matcher().match("token_url") is None


def test_a_secret_word_beats_a_cancelled_one() -> None:
    """password_reset_token: the reset cancels password, not the token after it."""
    found = matcher().match("password_reset_token")
    assert found is not None and found.words == ("token",)


def test_lexer_files_drop_the_bare_token_only() -> None:
    assert matcher().match("token", lexer=True) is None
    assert matcher().match("access_token", lexer=True) is None  # "access token" is no sequence
    assert matcher().match("api_key", lexer=True) is not None


def test_metadata_names() -> None:
    assert matcher().is_metadata("token_id")
    assert matcher().is_metadata("vault_path")
    assert not matcher().is_metadata("api_token")
    assert not matcher().is_metadata("user")


def test_the_bundled_pack_is_valid() -> None:
    from retrylint.catalog import rules_dir

    assert validate_pack(rules_dir() / "secret_names.yaml")


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_a_user_pack_extends_both_lists(tmp_path: Path) -> None:
    pack = write(
        tmp_path / "secrets.yaml",
        "secret:\n  words: [licence]\n  sequences: [vault unseal key]\n"
        "personal:\n  words: [nhs]\nbenign:\n  after: [scopes]\n  names: [checkout token]\n",
    )
    names = matcher([pack])
    assert names.match("licence").category == "secret"  # type: ignore[union-attr]
    assert names.match("VAULT_UNSEAL_KEY") is not None
    assert names.match("nhs_number").category == "personal"  # type: ignore[union-attr]
    assert names.match("checkout.token") is None
    assert matcher().match("licence") is None  # the bundled matcher is unchanged


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("secret:\n  words: [api_key]\n", "'api_key' is not one word; list it under sequences"),
        ("secret:\n  sequences: [token]\n", "'token' is one word; list it under words"),
        ("secrets:\n  words: [pin]\n", "'secrets': unknown key"),
        ("benign:\n  after: [on]\n", "expected a list of non-empty strings"),
        ("literals:\n  - {name: broken, pattern: '('}\n", "broken: bad pattern"),
        ("[password]\n", "expected a mapping"),
    ],
)
def test_bad_packs_name_the_key(tmp_path: Path, text: str, message: str) -> None:
    pack = write(tmp_path / "secrets.yaml", text)
    with pytest.raises(PackError, match=message.replace("(", r"\(")):
        validate_pack(pack)


def test_the_config_rejects_a_bad_pack_naming_file_and_key(tmp_path: Path) -> None:
    write(tmp_path / "secrets.yaml", "secret:\n  word: [pin]\n")
    write(tmp_path / "retrylint.toml", 'extra-secret-names = ["secrets.yaml"]\n')
    with pytest.raises(ConfigError) as error:
        load_config(tmp_path)
    assert "retrylint.toml" in str(error.value)
    assert "'extra-secret-names'" in str(error.value)
    assert "'secret.word': unknown key" in str(error.value)
