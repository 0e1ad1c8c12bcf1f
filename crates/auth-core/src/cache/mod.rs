//! Devices for caching providers' hot paths: the current token handed to each thread as its own
//! copy ([`TokenCell`], [`StaticTokenCell`]) and, with the `coarse-clock` feature, a wall clock
//! cheap enough to read on every request (`CoarseClock`).
//!
//! A provider that only hands out a credential does not need any of this; a provider that is
//! called for every request of a busy client does: cloning one shared [`Token`](crate::Token)
//! from several cores makes them write the same reference count, and two threads then run
//! slower than one.

mod cell;
#[cfg(feature = "coarse-clock")]
mod coarse;
mod copies;
mod fixed;

pub use cell::{CachedToken, TokenCell};
#[cfg(feature = "coarse-clock")]
#[cfg_attr(docsrs, doc(cfg(feature = "coarse-clock")))]
pub use coarse::CoarseClock;
pub use fixed::StaticTokenCell;
