//! Runnable examples for the `auth-*` workspace; see `examples/` and `README.md` beside this
//! file. This library is empty on purpose.
#![forbid(unsafe_code)]
