"""The public API: what `import derive` offers, and that importing it stays light."""

from __future__ import annotations

import subprocess
import sys

import derive


def test_all_is_sorted_and_complete() -> None:
    assert derive.__all__ == sorted(derive.__all__)
    for name in derive.__all__:
        assert getattr(derive, name) is not None


def test_derive_error_is_a_value_error() -> None:
    assert issubclass(derive.DeriveError, ValueError)


def test_load_is_the_pipeline_load() -> None:
    from derive.pipeline import load

    assert derive.load is load


def test_unknown_attribute_is_an_attribute_error() -> None:
    try:
        derive.nonexistent  # noqa: B018 - the attribute access is the test
    except AttributeError as exc:
        assert "nonexistent" in str(exc)
    else:
        raise AssertionError("expected AttributeError")


def test_help_does_not_import_sympy() -> None:
    """`derive --help` answers without paying for SymPy (DESIGN: import lazily)."""
    code = ("import sys; from derive.cli import build_parser; build_parser(); "
            "print('sympy' in sys.modules)")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()  # fmt: skip
    assert out == "False"
