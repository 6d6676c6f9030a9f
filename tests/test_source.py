"""decode_source / encode_source: the text Python would read, and the exact bytes back."""

from __future__ import annotations

import codecs

import pytest

from retrylint.source import SourceDecodeError, SourceText, decode_source, encode_source


def test_empty_file() -> None:
    assert decode_source(b"") == SourceText("", "utf-8", bom=False, newline="\n")


def test_utf8_without_cookie() -> None:
    source = decode_source("name = 'café'\n".encode())
    assert source == SourceText("name = 'café'\n", "utf-8", bom=False, newline="\n")


def test_bom_is_stripped_and_remembered() -> None:
    source = decode_source(codecs.BOM_UTF8 + b"x = 1\n")
    assert source.text == "x = 1\n"
    assert source.encoding == "utf-8"
    assert source.bom is True


def test_latin1_cookie_on_second_line() -> None:
    data = b"#!/usr/bin/env python\n# -*- coding: latin-1 -*-\nname = '\xe9'\n"
    source = decode_source(data)
    assert source.text.endswith("name = 'é'\n")
    assert codecs.lookup(source.encoding).name == "iso8859-1"


def test_cookie_after_code_is_not_honoured() -> None:
    with pytest.raises(SourceDecodeError, match="cannot decode as utf-8"):
        decode_source(b"x = 1\ny = 2\n# coding: latin-1\nz = '\xe9'\n")


@pytest.mark.parametrize(
    ("data", "newline"),
    [
        (b"a = 1\r\nb = 2\n", "\r\n"),
        (b"a = 1\nb = 2\r\n", "\n"),
        (b"a = 1\rb = 2\r", "\r"),
        (b"a = 1", "\n"),
    ],
)
def test_line_endings_are_kept_and_the_first_is_reported(data: bytes, newline: str) -> None:
    source = decode_source(data)
    assert source.text == data.decode()
    assert source.newline == newline


def test_bad_utf8_names_the_byte_and_offset() -> None:
    with pytest.raises(SourceDecodeError) as caught:
        decode_source(b"x = 1\ny = '\xff'\n")
    assert str(caught.value) == (
        "cannot decode as utf-8: invalid start byte 0xff at byte 11 (add a PEP 263 coding cookie)"
    )


def test_bad_utf8_on_the_first_line() -> None:
    with pytest.raises(SourceDecodeError, match=r"invalid start byte 0xff at byte 0"):
        decode_source(b"\xff = 1\n")


def test_bad_bytes_for_the_declared_encoding() -> None:
    with pytest.raises(
        SourceDecodeError, match=r"cannot decode as ascii: .*: 0xe9 at byte 21 \(check"
    ):
        decode_source(b"# coding: ascii\nx = '\xe9'\n")


def test_nul_byte_means_binary() -> None:
    with pytest.raises(
        SourceDecodeError, match=r"^looks like a binary file \(NUL byte at offset 3\)$"
    ):
        decode_source(b"\x7fEL\x00F")


def test_utf16_is_reported_as_such() -> None:
    with pytest.raises(SourceDecodeError, match="UTF-16"):
        decode_source("x = 1\n".encode("utf-16"))


def test_unknown_cookie_encoding() -> None:
    with pytest.raises(SourceDecodeError, match=r"^unknown encoding 'klingon' in coding cookie$"):
        decode_source(b"# coding: klingon\nx = 1\n")


def test_bom_with_a_latin1_cookie_is_an_error() -> None:
    with pytest.raises(SourceDecodeError, match="BOM"):
        decode_source(codecs.BOM_UTF8 + b"# coding: latin-1\nx = 1\n")


def test_bom_with_a_utf8_cookie_is_fine() -> None:
    assert decode_source(codecs.BOM_UTF8 + b"# coding: utf-8\n").bom is True


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"x = 1\r\ny = 2\r\n",
        codecs.BOM_UTF8 + "s = 'ü'\r\n".encode(),
        b"# coding: latin-1\r\ns = '\xe9'\r\n",
        b"# vim: set fileencoding=cp1252 :\ns = '\x80'\n",
    ],
)
def test_encode_inverts_decode(data: bytes) -> None:
    assert encode_source(decode_source(data).text, decode_source(data)) == data


def test_encode_keeps_bom_and_encoding_for_edited_text() -> None:
    latin = decode_source(b"# coding: latin-1\nx = 1\n")
    assert encode_source(latin.text + "s = 'é'\n", latin).endswith(b"s = '\xe9'\n")
    with_bom = decode_source(codecs.BOM_UTF8 + b"x = 1\n")
    assert encode_source("y = 2\n", with_bom) == codecs.BOM_UTF8 + b"y = 2\n"
