"""retrylint's secret-name heuristics against bandit, ruff and detect-secrets, name by name.

One generated file holds, for each name of the list below (frameworks.md section 9: the
empirical matrix and its known false positives and misses), a hard-coded literal bound to the
name -- what bandit (B105-B107), ruff (S105-S107) and detect-secrets' KeywordDetector look at --
and a log line writing it, what retrylint (RL502) looks at. A tool flags a name when it reports
either of that name's lines. The table counts, per tool, secrets found and look-alikes flagged.

    python bench/secret_names.py --peers /path/to/venv/bin [--keep FILE]

The peers come from --peers (a virtual environment's bin with `pip install bandit ruff
detect-secrets`), then PATH; retrylint is the one installed beside this Python.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# (name, really a secret?). A literal value for each; "" where the list says so.
_SECRETS_TEXT = """password passwd pwd secret secrete PASSWORD db_password new_password passphrase token
access_token refresh_token auth_token github_token csrf_token api_key apikey private_key
client_secret api_secret secret_key SECRET_KEY aws_secret_access_key access_key auth
authorization credential credentials session_id cookie ssn card_number cvv password1
mypassword userPassword"""
SECRETS = _SECRETS_TEXT.split()
_LOOKALIKES_TEXT = """token_count token_type token_url password_reset_url password_field password_hash
secret_name secrets_path max_tokens num_tokens tokenizer tokens empty_password password_policy
password_min_length password_changed_at passwordless secret_arn secret_id secrets author
authority auth_method idempotency_key cache_key primary_key partition_key public_key
access_key_id session sessionmaker cookie_name passenger compass bypass pass_count passed
csrf_token_name secret_santa"""
LOOKALIKES = _LOOKALIKES_TEXT.split()


def value_for(name: str) -> str:
    """A realistic literal, different per name (detect-secrets reports each value once)."""
    if name == "empty_password":
        return ""
    digest = hashlib.sha256(name.encode()).hexdigest()
    return "".join(c.upper() if i % 3 == 0 else c for i, c in enumerate(digest[:16])) + "Qz"


def generate(folder: Path) -> tuple[Path, dict[int, str]]:
    """The file, and which name each line belongs to."""
    lines = ["import logging", "", "log = logging.getLogger(__name__)", ""]
    owner: dict[int, str] = {}
    for name in [*SECRETS, *LOOKALIKES]:
        for line in (f'{name} = "{value_for(name)}"', f'log.info("%s", {name})'):
            lines.append(line)
            owner[len(lines)] = name
    path = folder / "names.py"
    path.write_text("\n".join(lines) + "\n")
    return path, owner


def flagged_lines(tool: str, binary: str, path: Path) -> set[int]:
    match tool:
        case "bandit":
            out = _run([binary, "-q", "-f", "json", "-t", "B105,B106,B107", str(path)])
            return {r["line_number"] for r in json.loads(out)["results"]}
        case "ruff":
            command = [binary, "check", "--isolated", "--no-cache", "--output-format", "json"]
            out = _run([*command, "--select", "S105,S106,S107", str(path)])
            return {r["location"]["row"] for r in json.loads(out)}
        case "detect-secrets":
            out = _run([binary, "scan", *_only_keyword(binary), path.name], cwd=path.parent)
            results = json.loads(out)["results"].get(path.name, [])
            return {r["line_number"] for r in results}
        case "retrylint":
            command = [binary, "check", "--select", "RL502", "--format", "json", "--exit-zero"]
            out = _run([*command, "--scope", "all", str(path)])
            return {f["line"] for f in json.loads(out)["findings"]}
    raise ValueError(tool)


def _only_keyword(binary: str) -> list[str]:
    """detect-secrets options disabling every plugin but KeywordDetector (names, not values)."""
    listed = _run([binary, "scan", "--list-all-plugins"]).split()
    return [
        option
        for plugin in listed
        if plugin != "KeywordDetector"
        for option in ("--disable-plugin", plugin)
    ]


def _run(command: list[str], cwd: Path | None = None) -> str:
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=cwd)
    return done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peers", help="bin folder with bandit, ruff and detect-secrets")
    parser.add_argument("--keep", help="also write the generated file here")
    options = parser.parse_args()
    tools = {
        "bandit": _find("bandit", options.peers),
        "ruff": _find("ruff", options.peers),
        "detect-secrets": _find("detect-secrets", options.peers),
        "retrylint": str(Path(sys.executable).parent / "retrylint"),
    }
    with tempfile.TemporaryDirectory() as folder:
        path, owner = generate(Path(folder))
        if options.keep:
            shutil.copy(path, options.keep)
        verdicts = {
            tool: {owner[line] for line in flagged_lines(tool, binary, path) if line in owner}
            for tool, binary in tools.items()
            if binary
        }
    print(f"| name | secret? | {' | '.join(verdicts)} |")
    print(f"|---|---|{'---|' * len(verdicts)}")
    for name in [*SECRETS, *LOOKALIKES]:
        marks = " | ".join("x" if name in found else "" for found in verdicts.values())
        print(f"| {name} | {'yes' if name in SECRETS else 'no'} | {marks} |")
    print()
    print("| tool | secrets found | look-alikes flagged |")
    print("|---|---|---|")
    for tool, found in verdicts.items():
        hits = len(found & set(SECRETS))
        wrong = len(found & set(LOOKALIKES))
        print(f"| {tool} | {hits}/{len(SECRETS)} | {wrong}/{len(LOOKALIKES)} |")


def _find(name: str, peers: str | None) -> str | None:
    if peers and (Path(peers) / name).exists():
        return str(Path(peers) / name)
    return shutil.which(name)


if __name__ == "__main__":
    main()
