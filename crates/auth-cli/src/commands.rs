//! What each command does.

use std::io::{IsTerminal, Read, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use auth_core::file::MAX_FILE_BYTES;
use auth_core::{AuthProvider as _, SharedAuthProvider, Token};
use auth_http::{ClientFileConfig, redact_url, shown_url};
use http::{HeaderName, HeaderValue, Method};
use zeroize::Zeroizing;

use crate::cli::{Cli, Command, ConfigArg, RequestArgs};
use crate::examples;

/// Exit status for `--fail` with an HTTP status of 400 or more (as curl).
const HTTP_FAILURE: u8 = 22;

pub(crate) async fn run(cli: Cli) -> Result<ExitCode, String> {
    match cli.command {
        Command::Header(config) => {
            let token = token(&config).await?;
            print_line(
                token
                    .header_value()
                    .to_str()
                    .map_err(|_| "the header value is not text")?,
            )?;
        }
        Command::Token(config) => {
            let token = token(&config).await?;
            print_line(token.expose_credential())?;
        }
        Command::Request(args) => return request(args).await,
        Command::Example { kind, json } => {
            let text = examples::toml(kind);
            if json {
                let value: serde_json::Value =
                    toml::from_str(text).map_err(|e| format!("example is not TOML ({e})"))?;
                print_line(&serde_json::to_string_pretty(&value).map_err(|e| e.to_string())?)?;
            } else {
                print_line(text.trim_end())?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_line(text: &str) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}").map_err(|e| format!("cannot write to stdout ({e})"))
}

fn load(config: &ConfigArg) -> Result<ClientFileConfig, String> {
    if config.config == Path::new("-") {
        // Bytes first: a cut at the size cap may fall inside a character, and the size is the
        // error to report then, not the encoding.
        let mut bytes = Zeroizing::new(Vec::new());
        std::io::stdin()
            .take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("cannot read the config from stdin ({e})"))?;
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err(format!(
                "the config on stdin is larger than {MAX_FILE_BYTES} bytes; check what is piped in"
            ));
        }
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| "the config on stdin is not UTF-8 text".to_owned())?;
        ClientFileConfig::from_str_guess(text)
            .map_err(|e| format!("config from stdin: {}", e.message()))
    } else {
        ClientFileConfig::from_path(&config.config).map_err(|e| e.message().to_owned())
    }
}

/// The `[auth]` provider, sharing its tokens through the `[store]` table if there is one.
fn provider(config: &ClientFileConfig) -> Result<SharedAuthProvider, String> {
    if config.auth().is_none() {
        return Err("the config has no [auth] table; see `authc example --help`".to_owned());
    }
    config.build_provider().map_err(|e| e.to_string())
}

/// Waits for `future`, saying on a terminal's stderr when it takes more than a second.
async fn with_progress<T>(what: &str, future: impl Future<Output = T>) -> T {
    let mut future = std::pin::pin!(future);
    tokio::select! {
        done = &mut future => return done,
        () = tokio::time::sleep(Duration::from_secs(1)) => {}
    }
    if std::io::stderr().is_terminal() {
        eprintln!("authc: still waiting for {what}...");
    }
    future.await
}

async fn token(config: &ConfigArg) -> Result<Token, String> {
    let config = load(config)?;
    let provider = provider(&config)?;
    with_progress("the credential", provider.token())
        .await
        .map_err(|e| e.to_string())
}

async fn request(args: RequestArgs) -> Result<ExitCode, String> {
    let config = load(&args.config)?;
    let client = config.build_client().map_err(|e| e.to_string())?;
    let body = match &args.data {
        Some(data) => Some(match data.strip_prefix('@') {
            Some(path) => std::fs::read(path)
                .map_err(|e| format!("cannot read the body file `{path}` ({e})"))?,
            None => data.clone().into_bytes(),
        }),
        None => None,
    };
    let method = match &args.method {
        Some(method) => Method::from_bytes(method.to_ascii_uppercase().as_bytes())
            .map_err(|_| format!("`{method}` is not an HTTP method"))?,
        None if body.is_some() => Method::POST,
        None => Method::GET,
    };
    let url = reqwest::Url::parse(&args.url)
        .map_err(|e| format!("the URL argument is not a URL ({e})"))?;
    let mut builder = client.request(method, url.clone());
    for header in &args.headers {
        let (name, value) = header
            .split_once(':')
            .ok_or_else(|| format!("header `{header}` is not `Name: value`"))?;
        let name = HeaderName::from_bytes(name.trim().as_bytes())
            .map_err(|_| format!("`{}` is not a header name", name.trim()))?;
        let value = HeaderValue::from_str(value.trim())
            .map_err(|_| format!("the value of header `{name}` cannot stand in an HTTP header"))?;
        builder = builder.header(name, value);
    }
    if let Some(body) = body {
        builder = builder.body(body);
    }
    let response = with_progress("the response", builder.send())
        .await
        .map_err(|e| chain(&e))?;
    let status = response.status();
    let mut out = std::io::stdout().lock();
    let write_error = |e: std::io::Error| format!("cannot write to stdout ({e})");
    if args.include {
        writeln!(out, "{:?} {}", response.version(), status).map_err(write_error)?;
        for (name, value) in response.headers() {
            writeln!(out, "{name}: {}", String::from_utf8_lossy(value.as_bytes()))
                .map_err(write_error)?;
        }
        writeln!(out).map_err(write_error)?;
    }
    let bytes = response
        .bytes()
        .await
        .map_err(|e| format!("reading the response failed: {}", chain(&redact_url(e))))?;
    out.write_all(&bytes).map_err(write_error)?;
    out.flush().map_err(write_error)?;
    if args.fail && status.as_u16() >= 400 {
        drop(out);
        eprintln!("authc: error: HTTP {status} from {}", shown_url(&url));
        return Ok(ExitCode::from(HTTP_FAILURE));
    }
    Ok(ExitCode::SUCCESS)
}

/// An error and its causes on one line (a cause already quoted by its parent is not repeated).
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
