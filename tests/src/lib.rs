//! Cross-crate tests for the `auth-*` workspace (in `tests/`), and the workspace README's
//! code blocks, compiled and run as doctests.
#![forbid(unsafe_code)]

#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
