//! The command line.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Test an auth config from the shell: print the Authorization header or the token, or send one
/// authenticated request. Configs are TOML or JSON in Ballerina's `auth` shape; start from
/// `authc example KIND`.
#[derive(Debug, Parser)]
#[command(name = "authc", version, about, long_about = None, after_help = AFTER_HELP)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

const AFTER_HELP: &str = "Examples:
  authc example client-credentials > client.toml
  authc header --config client.toml
  authc token --config client.json
  cat client.toml | authc header --config -
  authc request --config client.toml -X POST -H 'Content-Type: application/json' -d '{\"a\":1}' -i https://api.example/items

Exit status: 0 success; 1 failure (one line on stderr says what); 22 with --fail and HTTP >= 400.";

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Print the full Authorization header value (`Basic ...`, `Bearer ...`).
    Header(ConfigArg),
    /// Print only the credential (the access token, the JWT, ...).
    Token(ConfigArg),
    /// Send one request through the authenticated client and print the response body.
    Request(RequestArgs),
    /// Print an example config for an auth kind.
    Example {
        /// The auth kind.
        kind: Kind,
        /// Print JSON instead of TOML.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub(crate) struct ConfigArg {
    /// The config file (.toml or .json); `-` reads it from stdin.
    #[arg(short, long, value_name = "FILE")]
    pub(crate) config: PathBuf,
}

#[derive(Debug, Args)]
pub(crate) struct RequestArgs {
    #[command(flatten)]
    pub(crate) config: ConfigArg,
    /// The method (default GET, or POST with -d).
    #[arg(short = 'X', long = "request", value_name = "METHOD")]
    pub(crate) method: Option<String>,
    /// A header, `Name: value`; repeatable.
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    pub(crate) headers: Vec<String>,
    /// The request body; `@FILE` reads it from a file.
    #[arg(short = 'd', long = "data", value_name = "BODY")]
    pub(crate) data: Option<String>,
    /// Print the status line and the response headers before the body.
    #[arg(short = 'i', long = "include")]
    pub(crate) include: bool,
    /// Exit with status 22 when the response status is 400 or more.
    #[arg(long)]
    pub(crate) fail: bool,
    /// The URL.
    pub(crate) url: String,
}

/// The auth kinds `authc example` knows.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum Kind {
    Basic,
    Bearer,
    Jwt,
    ClientCredentials,
    Password,
    RefreshToken,
    JwtBearer,
    /// Client credentials with DPoP-bound tokens (RFC 9449).
    Dpop,
    /// Client credentials authenticated by a TLS client certificate (RFC 8705).
    Mtls,
    /// Token exchange (RFC 8693): a workload token exchanged for an access token.
    TokenExchange,
    /// The token endpoint discovered from the issuer (RFC 8414, OpenID Connect).
    Discovery,
}
