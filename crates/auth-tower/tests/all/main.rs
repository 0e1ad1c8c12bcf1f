//! The layer between real clients and real servers on 127.0.0.1: a hyper-util client against a
//! hyper server, and a tonic channel against a tonic server (the standard health service),
//! with the workspace's OAuth2 provider fetching from a counting token server.
#![allow(clippy::unwrap_used, reason = "test helpers fail loudly on purpose")]

mod dpop;
mod hyper_client;
mod service_paths;
mod support;
mod tonic_client;
