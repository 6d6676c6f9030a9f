"""Turn a file's bytes into text the way Python itself would, and back again.

Decoding follows `tokenize.detect_encoding` (a UTF-8 BOM and a PEP 263 coding cookie in the first
two lines), so retrylint reads exactly the text the interpreter would run. Line endings are kept as
they are: the fixer must write a CRLF file back as CRLF, and `encode_source` is the exact inverse of
`decode_source` for that reason.
"""

from __future__ import annotations

import codecs
import io
import re
import tokenize
from dataclasses import dataclass

__all__ = [
    "LINE_BREAK",
    "SourceDecodeError",
    "SourceText",
    "decode_source",
    "encode_source",
    "line_starts",
]

LINE_BREAK = re.compile(r"\r\n|\r|\n")  # as Python reads a line break

_UTF8 = "utf-8"
# Python has no way to read these; a file starting with one is text we cannot analyse, not binary.
_WIDE_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)


@dataclass(frozen=True)
class SourceText:
    """A decoded source file plus what `encode_source` needs to write it back byte-for-byte."""

    text: str
    """The text without the BOM, line endings exactly as in the file."""
    encoding: str
    """The codec name `tokenize.detect_encoding` chose (``"utf-8"`` for a BOM file)."""
    bom: bool
    """Whether the file starts with a UTF-8 BOM."""
    newline: str
    """The first line ending in the file (``"\\r\\n"``, ``"\\n"`` or ``"\\r"``); ``"\\n"`` if none.

    Fixes that insert whole lines use it so they match the file's style."""


class SourceDecodeError(ValueError):
    """The bytes are not Python source text; the message is shown to the user as is."""


def decode_source(data: bytes) -> SourceText:
    """Decode *data* as Python would, raising `SourceDecodeError` with a user-facing reason."""
    if not data:
        return SourceText("", _UTF8, bom=False, newline="\n")
    for mark, name in _WIDE_BOMS:
        if data.startswith(mark):
            raise SourceDecodeError(f"looks like {name} text, which Python cannot read as source")
    nul = data.find(b"\x00")
    if nul != -1:
        raise SourceDecodeError(f"looks like a binary file (NUL byte at offset {nul})")

    encoding = _detect_encoding(data)
    bom = encoding == "utf-8-sig"
    if bom:
        encoding = _UTF8
    try:
        # "utf-8-sig" strips the BOM while keeping error offsets relative to the raw bytes.
        text = data.decode("utf-8-sig" if bom else encoding)
    except UnicodeDecodeError as exc:
        raise SourceDecodeError(_describe_decode_error(exc, encoding)) from None
    return SourceText(text, encoding, bom=bom, newline=_first_newline(text))


def encode_source(text: str, like: SourceText) -> bytes:
    """Encode *text* with the encoding and BOM of *like*; line endings are written as given.

    Raises `UnicodeEncodeError` if *text* holds a character the file's encoding cannot represent.
    """
    data = text.encode(like.encoding)
    return codecs.BOM_UTF8 + data if like.bom else data


def _detect_encoding(data: bytes) -> str:
    """`tokenize.detect_encoding`, with its terse `SyntaxError`s turned into readable reasons."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        message = str(exc.msg)
        if message.startswith("unknown encoding"):
            name = message.rpartition(": ")[2]
            raise SourceDecodeError(f"unknown encoding {name!r} in coding cookie") from None
        if message.startswith("encoding problem"):
            raise SourceDecodeError(
                "the file starts with a UTF-8 BOM but its coding cookie names another encoding"
            ) from None
        # No cookie and the first lines are not UTF-8: decoding as UTF-8 gives the precise spot.
        try:
            data.decode(_UTF8)
        except UnicodeDecodeError as decode_error:
            raise SourceDecodeError(_describe_decode_error(decode_error, _UTF8)) from None
        raise SourceDecodeError(message) from None
    return encoding


def _describe_decode_error(exc: UnicodeDecodeError, encoding: str) -> str:
    byte = f"0x{exc.object[exc.start]:02x}"
    # UTF-8's reasons name the byte ("invalid start byte"); other codecs' do not.
    what = f"{exc.reason} {byte}" if exc.reason.endswith("byte") else f"{exc.reason}: {byte}"
    hint = "add a PEP 263 coding cookie" if encoding == _UTF8 else "check the coding cookie"
    return f"cannot decode as {encoding}: {what} at byte {exc.start} ({hint})"


def _first_newline(text: str) -> str:
    lf = text.find("\n")
    cr = text.find("\r", 0, len(text) if lf == -1 else lf)
    if cr == -1:
        return "\n"
    return "\r\n" if text.startswith("\n", cr + 1) else "\r"


def line_starts(text: str) -> list[int]:
    """Offsets where each line of ``text`` starts (line breaks as Python reads them)."""
    return [0, *(m.end() for m in LINE_BREAK.finditer(text))]
