"""Rust v0 and legacy symbols, and plain C++ names, as a reader writes them."""

from __future__ import annotations

import pytest

from kcrashd.parse.demangle import demangle


@pytest.mark.parametrize(
    "mangled,readable",
    [
        # v0 (RFC 2603): inherent impl method, crate disambiguators dropped
        (
            "_RNvMs3_NtCshgDM7dBCdno_11rust_binder7processNtB5_7Process10update_ref",
            "<rust_binder::process::Process>::update_ref",
        ),
        ("_RNvMNtCs1234_8rust_foo6deviceNtB2_6Device5reset", "<rust_foo::device::Device>::reset"),
        # v0: a crate-level function in a crate whose name starts with "_"
        ("_RNvCscSpY9Juk0HT_7___rustc17rust_begin_unwind", "__rustc::rust_begin_unwind"),
        (
            "_RNvNtNtCs9jEwPDbx20M_4core9panicking11panic_const24panic_const_sub_overflow",
            "core::panicking::panic_const::panic_const_sub_overflow",
        ),
        # v0: trait impl for a reference type
        (
            "_RNvXs1b_NtCs9jEwPDbx20M_4core3fmtRNtNtNtB8_5panic10panic_info9PanicInfoNtB6_7Display3fmt",
            "<&core::panic::panic_info::PanicInfo as core::fmt::Display>::fmt",
        ),
        # v0: generic arguments
        (
            "_RINvNtCs1234_4core3ptr13drop_in_placeNtCs5678_6kernel5ErrorEB4_",
            "core::ptr::drop_in_place::<kernel::Error>",
        ),
        # legacy: Itanium nesting and a hash, which is dropped
        ("_ZN6kernel4sync4lock4Lock4lock17h0123456789abcdefE", "kernel::sync::lock::Lock::lock"),
        (
            "_ZN4core3ptr23drop_in_place$LT$u8$GT$17h0123456789abcdefE",
            "core::ptr::drop_in_place<u8>",
        ),
        # plain C++: the name, parameter types dropped
        ("_Z8fakeNameiii", "fakeName"),
    ],
)
def test_demangle(mangled: str, readable: str) -> None:
    assert demangle(mangled) == readable


@pytest.mark.parametrize(
    "name", ["foo_probe", "_RNv", "_ZN3fooE7", "_R" + "B_" * 50, "_RNvC" + "9" * 400, "_Zfoo"]
)
def test_anything_else_is_returned_unchanged(name: str) -> None:
    assert demangle(name) == name


def test_deep_nesting_is_bounded() -> None:
    deep = "_R" + "NvNv" * 200 + "C3foo3bar"
    assert demangle(deep) == deep
