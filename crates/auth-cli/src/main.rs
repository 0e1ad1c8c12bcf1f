//! `authc`: test an auth config from the shell.
//!
//! ```text
//! authc header  --config client.toml            # the full Authorization value
//! authc token   --config client.toml            # only the credential
//! authc request --config client.toml [-X METHOD] [-H 'Name: value']... [-d BODY] [-i] [--fail] URL
//! authc example client-credentials              # a config to start from
//! ```
//!
//! Exit status: 0 on success; 1 when something failed (one line on stderr says what); 22 when
//! `--fail` is given and the response status is 400 or more; 2 for a usage error.
#![forbid(unsafe_code)]

mod cli;
mod commands;
mod examples;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return fail(&format!("cannot start the async runtime ({e})")),
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(code) => code,
        Err(message) => fail(&message),
    }
}

/// Prints one line on stderr and returns the failure status.
fn fail(message: &str) -> ExitCode {
    let one_line: String = message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ");
    eprintln!("authc: error: {one_line}");
    ExitCode::FAILURE
}
