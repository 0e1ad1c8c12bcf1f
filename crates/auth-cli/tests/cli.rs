//! `authc` run as a process against servers on 127.0.0.1.
#![allow(clippy::unwrap_used, reason = "test helpers fail loudly on purpose")]

use std::convert::Infallible;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::{TokioExecutor, TokioIo};

/// Every request the server saw: method, path, Authorization, body.
type Log = Arc<Mutex<Vec<(String, String, String, String)>>>;

/// `/token`: client `id`/`secret` (anything else: 401 invalid_client), password `alice`/`pw`;
/// everything else echoes what it got, with 404 for `/missing`.
async fn server() -> (SocketAddr, Log) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let log: Log = Arc::default();
    let seen = Arc::clone(&log);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let seen = Arc::clone(&seen);
            tokio::spawn(async move {
                let service = hyper::service::service_fn(
                    move |request: http::Request<hyper::body::Incoming>| {
                        let seen = Arc::clone(&seen);
                        async move {
                            let (parts, body) = request.into_parts();
                            let body =
                                String::from_utf8_lossy(&body.collect().await.unwrap().to_bytes())
                                    .into_owned();
                            let auth = parts
                                .headers
                                .get("authorization")
                                .map(|v| v.to_str().unwrap().to_owned())
                                .unwrap_or_default();
                            seen.lock().unwrap().push((
                                parts.method.to_string(),
                                parts.uri.path().to_owned(),
                                auth.clone(),
                                body.clone(),
                            ));
                            if parts.uri.path() == "/slow-token" {
                                tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
                            }
                            let (status, text) = match parts.uri.path() {
                            "/slow-token" => (200, r#"{"access_token":"slow-token","expires_in":3600}"#.to_owned()),
                            "/token" if auth == "Basic aWQ6c2VjcmV0" || body.contains("username=alice&password=pw") || body.contains("grant_type=refresh_token") || body.contains("jwt-bearer") => {
                                (200, r#"{"access_token":"issued-token","expires_in":3600,"refresh_token":"rt-2"}"#.to_owned())
                            }
                            "/token" => (401, r#"{"error":"invalid_client","error_description":"bad secret"}"#.to_owned()),
                            "/missing" => (404, "nothing here".to_owned()),
                            path => (200, format!("{} {path} x-custom={} body={body}", parts.method, parts.headers.get("x-custom").map(|v| v.to_str().unwrap()).unwrap_or("-"))),
                        };
                            Ok::<_, Infallible>(
                                http::Response::builder()
                                    .status(status)
                                    .header("x-served-by", "test")
                                    .body(Full::new(Bytes::from(text)))
                                    .unwrap(),
                            )
                        }
                    },
                );
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (addr, log)
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs `authc args…` with `stdin`, off the async runtime.
async fn authc(args: Vec<String>, stdin: Option<String>) -> Out {
    tokio::task::spawn_blocking(move || {
        let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin("authc"));
        command
            .args(&args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = command.spawn().unwrap();
        let mut pipe = child.stdin.take().unwrap();
        if let Some(text) = stdin {
            // authc stops reading at its size cap, so a longer input meets a closed pipe.
            if let Err(e) = pipe.write_all(text.as_bytes()) {
                assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
            }
        }
        drop(pipe);
        let output = child.wait_with_output().unwrap();
        Out {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    })
    .await
    .unwrap()
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn key(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../auth-jwt-issuer/tests/keys")
        .join(name)
        .display()
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn header_and_token_for_every_auth_kind() {
    let (addr, _) = server().await;
    let url = format!("http://{addr}/token");
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "basic.toml",
            "[auth]\nusername = \"admin\"\npassword = \"123\"".to_owned(),
            "Basic YWRtaW46MTIz",
        ),
        (
            "bearer.toml",
            "[auth]\ntoken = \"static-abc\"".to_owned(),
            "Bearer static-abc",
        ),
        (
            "jwt.toml",
            format!(
                "[auth]\nissuer = \"cli\"\n[auth.signature_config]\nalgorithm = \"RS256\"\n[auth.signature_config.config]\nkey_file = \"{}\"",
                key("rsa.pem")
            ),
            "Bearer eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.",
        ),
        (
            "cc.toml",
            format!(
                "[auth]\ntoken_url = \"{url}\"\nclient_id = \"id\"\nclient_secret = \"secret\""
            ),
            "Bearer issued-token",
        ),
        (
            "password.toml",
            format!("[auth]\ntoken_url = \"{url}\"\nusername = \"alice\"\npassword = \"pw\""),
            "Bearer issued-token",
        ),
        (
            "refresh.toml",
            format!("[auth]\nrefresh_url = \"{url}\"\nrefresh_token = \"rt-1\""),
            "Bearer issued-token",
        ),
        (
            "jwt-bearer.toml",
            format!("[auth]\ntoken_url = \"{url}\"\nassertion = \"eyJ.e30.sig\""),
            "Bearer issued-token",
        ),
    ];
    for (name, text, expected) in cases {
        let path = write(&dir, name, &text);
        let out = authc(args(&["header", "--config", &path]), None).await;
        assert_eq!(out.code, 0, "{name}: {}", out.stderr);
        assert!(out.stdout.starts_with(expected), "{name}: {}", out.stdout);
        let out = authc(args(&["token", "--config", &path]), None).await;
        assert_eq!(out.code, 0, "{name}: {}", out.stderr);
        let (_, credential) = expected.split_once(' ').unwrap();
        assert!(out.stdout.starts_with(credential), "{name}: {}", out.stdout);
        assert!(
            !out.stdout.contains(' '),
            "token prints the credential alone"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn stdin_and_json_configs() {
    let out = authc(
        args(&["header", "--config", "-"]),
        Some("[auth]\nusername = \"tom\"\npassword = \"123\"".into()),
    )
    .await;
    assert_eq!(
        (out.code, out.stdout.trim()),
        (0, "Basic dG9tOjEyMw=="),
        "{}",
        out.stderr
    );
    let out = authc(
        args(&["token", "--config", "-"]),
        Some(r#"{"auth": {"token": "from-json"}}"#.into()),
    )
    .await;
    assert_eq!(out.stdout.trim(), "from-json");
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        &dir,
        "c.json",
        r#"{"auth": {"username": "tom", "password": "123"}}"#,
    );
    let out = authc(args(&["header", "--config", &path]), None).await;
    assert_eq!(out.stdout.trim(), "Basic dG9tOjEyMw==");
}

#[tokio::test(flavor = "multi_thread")]
async fn request_with_method_headers_body_include_and_fail() {
    let (addr, log) = server().await;
    let dir = tempfile::tempdir().unwrap();
    let config = write(&dir, "c.toml", "[auth]\ntoken = \"req-token\"");
    let url = format!("http://{addr}/items");
    let out = authc(
        args(&[
            "request",
            "--config",
            &config,
            "-X",
            "PUT",
            "-H",
            "X-Custom: yes",
            "-d",
            "payload",
            &url,
        ]),
        None,
    )
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "PUT /items x-custom=yes body=payload");
    assert_eq!(log.lock().unwrap().last().unwrap().2, "Bearer req-token");

    let out = authc(
        args(&["request", "--config", &config, "-d", "x", "-i", &url]),
        None,
    )
    .await;
    assert!(
        out.stdout.starts_with("HTTP/1.1 200 OK\n"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("x-served-by: test\n"), "{}", out.stdout);
    assert!(
        out.stdout.ends_with("\n\nPOST /items x-custom=- body=x"),
        "-d means POST: {}",
        out.stdout
    );

    let missing = format!("http://{addr}/missing");
    let out = authc(args(&["request", "--config", &config, &missing]), None).await;
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "nothing here"),
        "without --fail a 404 is a response"
    );
    let out = authc(
        args(&["request", "--config", &config, "--fail", &missing]),
        None,
    )
    .await;
    assert_eq!(out.code, 22);
    assert!(out.stderr.contains("HTTP 404"), "{}", out.stderr);
    // A URL's user info and query are not echoed.
    let secret_url = format!("http://user:url-secret-7@{addr}/missing?key=url-secret-8");
    let out = authc(
        args(&["request", "--config", &config, "--fail", &secret_url]),
        None,
    )
    .await;
    assert_eq!(out.code, 22);
    assert!(!out.stderr.contains("url-secret"), "{}", out.stderr);
}

/// Runs a failing command and checks the one-line error and that no secret leaked.
async fn fails(list: &[&str], stdin: Option<&str>, says: &str, secret: &str) {
    let out = authc(args(list), stdin.map(str::to_owned)).await;
    assert_eq!(out.code, 1, "{list:?} should fail with status 1");
    assert_eq!(
        out.stderr.lines().count(),
        1,
        "one line on stderr: {:?}",
        out.stderr
    );
    assert!(out.stderr.starts_with("authc: error: "), "{}", out.stderr);
    assert!(
        out.stderr.contains(says),
        "`{}` should say `{says}`",
        out.stderr.trim()
    );
    assert!(
        !out.stderr.contains(secret) && !out.stdout.contains(secret),
        "{secret} leaked: {}",
        out.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn failures_are_one_clear_line_without_secrets() {
    let (addr, _) = server().await;
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.toml").display().to_string();
    fails(
        &["header", "--config", &missing],
        None,
        "nope.toml",
        "not-a-secret-in-this-case",
    )
    .await;

    let bad = write(
        &dir,
        "bad.toml",
        "[auth]\nusername = \"u\"\npassword = \"pw-secret-1\"\nthis is not toml\n",
    );
    fails(&["header", "--config", &bad], None, "line 4", "pw-secret-1").await;

    // Over the cap on stdin, cut inside a two-byte character: the size is what is reported.
    let oversized = format!("# {}", "é".repeat(600_000));
    fails(
        &["header", "--config", "-"],
        Some(&oversized),
        "larger than 1048576 bytes",
        "not-a-secret-in-this-case",
    )
    .await;

    let unknown = write(
        &dir,
        "unknown.toml",
        "[auth]\nusername = \"u\"\npassword = \"pw-secret-2\"\nflavour = \"x\"\n",
    );
    fails(
        &["header", "--config", &unknown],
        None,
        "unknown field `flavour`",
        "pw-secret-2",
    )
    .await;

    let store = write(
        &dir,
        "store.toml",
        &format!(
            "[auth]\n[auth.signature_config.config]\nkey_store = {{ path = \"{}\", password = \"store-secret-3\" }}\nkey_alias = \"signer\"",
            key("rsa-openssl3.p12")
        ),
    );
    fails(
        &["header", "--config", &store],
        None,
        "keystore password is wrong",
        "store-secret-3",
    )
    .await;

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let unreachable = write(
        &dir,
        "down.toml",
        &format!(
            "[auth]\ntoken_url = \"http://127.0.0.1:{port}/token\"\nclient_id = \"id\"\nclient_secret = \"cs-secret-4\""
        ),
    );
    fails(
        &["token", "--config", &unreachable],
        None,
        &format!("127.0.0.1:{port}/token"),
        "cs-secret-4",
    )
    .await;

    let wrong = write(
        &dir,
        "wrong.toml",
        &format!(
            "[auth]\ntoken_url = \"http://{addr}/token\"\nclient_id = \"id\"\nclient_secret = \"cs-secret-5\""
        ),
    );
    fails(
        &["token", "--config", &wrong],
        None,
        "invalid_client",
        "cs-secret-5",
    )
    .await;
    fails(
        &["header", "--config", "-"],
        Some("[auth]\ntoken = \"tok en-marker-6\""),
        "a space",
        "en-marker-6",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_example_config_parses_and_the_simple_ones_run() {
    for kind in [
        "basic",
        "bearer",
        "jwt",
        "client-credentials",
        "password",
        "refresh-token",
        "jwt-bearer",
        "dpop",
        "mtls",
        "token-exchange",
        "discovery",
    ] {
        let out = authc(args(&["example", kind]), None).await;
        assert_eq!(out.code, 0, "{kind}");
        let config = auth_http::ClientFileConfig::from_toml_str(&out.stdout)
            .unwrap_or_else(|e| panic!("{kind}: {e}"));
        assert!(config.auth().is_some(), "{kind}");
        let json = authc(args(&["example", kind, "--json"]), None).await;
        auth_http::ClientFileConfig::from_json_str(&json.stdout)
            .unwrap_or_else(|e| panic!("{kind} json: {e}"));
    }
    let basic = authc(args(&["example", "basic"]), None).await.stdout;
    let out = authc(args(&["header", "--config", "-"]), Some(basic)).await;
    assert_eq!(out.stdout.trim(), "Basic YWxpY2U6MTIz");
    let help = authc(args(&["--help"]), None).await;
    assert!(
        help.stdout.contains("authc example client-credentials"),
        "{}",
        help.stdout
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_slow_token_endpoint_shows_progress_on_a_terminal_only() {
    let (addr, _) = server().await;
    let dir = tempfile::tempdir().unwrap();
    let config = write(
        &dir,
        "slow.toml",
        &format!(
            "[auth]\ntoken_url = \"http://{addr}/slow-token\"\nclient_id = \"id\"\nclient_secret = \"secret\""
        ),
    );
    // Not a terminal: no progress text.
    let out = authc(args(&["token", "--config", &config]), None).await;
    assert_eq!(
        (out.code, out.stdout.trim(), out.stderr.as_str()),
        (0, "slow-token", "")
    );

    // A terminal, made by util-linux `script`.
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("SKIPPED the terminal half: util-linux `script` is not installed");
        return;
    }
    let authc = assert_cmd::cargo::cargo_bin("authc").display().to_string();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new("script")
            .args([
                "-qec",
                &format!("{authc} token --config {config}"),
                "/dev/null",
            ])
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("still waiting for the credential"), "{text}");
    assert!(text.contains("slow-token"), "{text}");
}

/// A server that answers `200` with a `Content-Length` of 100 and then closes after 5 bytes.
async fn truncating_server() -> SocketAddr {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut buffer = [0u8; 4096];
            let _ = stream.read(&mut buffer).await;
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nshort")
                .await;
        }
    });
    addr
}

/// Every way `authc request` can fail: one line, exit status 1 (22 for `--fail`), and never the
/// URL's query or user info, which can hold API keys.
#[tokio::test(flavor = "multi_thread")]
async fn every_request_error_path_hides_the_urls_query_and_user_info() {
    let (addr, _) = server().await;
    let truncating = truncating_server().await;
    let dir = tempfile::tempdir().unwrap();
    let bearer = write(&dir, "bearer.toml", "[auth]\ntoken = \"req-token\"");
    let quick = write(
        &dir,
        "quick.toml",
        "req_timeout = 0.3\n[auth]\ntoken = \"req-token\"",
    );
    let refused_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let oauth_down = write(
        &dir,
        "oauth-down.toml",
        &format!(
            "[auth]\ntoken_url = \"http://127.0.0.1:{refused_port}/token?tenant=url-secret-0\"\nclient_id = \"id\"\nclient_secret = \"secret\""
        ),
    );
    let secret = "?api_key=url-secret-1#frag-url-secret-2";
    let user = "user:url-secret-3@";
    let cases: Vec<(Vec<String>, &str)> = vec![
        // Connection refused.
        (
            args(&[
                "request",
                "--config",
                &bearer,
                &format!("http://{user}127.0.0.1:{refused_port}/x{secret}"),
            ]),
            "request failed",
        ),
        // No response within req_timeout.
        (
            args(&[
                "request",
                "--config",
                &quick,
                &format!("http://{user}{addr}/slow-token{secret}"),
            ]),
            "timed out",
        ),
        // The body breaks off.
        (
            args(&[
                "request",
                "--config",
                &bearer,
                &format!("http://{user}{truncating}/x{secret}"),
            ]),
            "reading the response failed",
        ),
        // TLS spoken to a plain HTTP server.
        (
            args(&[
                "request",
                "--config",
                &bearer,
                &format!("https://{user}{addr}/x{secret}"),
            ]),
            "request failed",
        ),
        // The token endpoint is down: the provider's error, with the token URL shortened.
        (
            args(&[
                "request",
                "--config",
                &oauth_down,
                &format!("http://{addr}/x{secret}"),
            ]),
            "could not authenticate the request",
        ),
        // A bad header and a bad method.
        (
            args(&[
                "request",
                "--config",
                &bearer,
                "-H",
                "no colon",
                &format!("http://{addr}/x{secret}"),
            ]),
            "is not `Name: value`",
        ),
        (
            args(&[
                "request",
                "--config",
                &bearer,
                "-X",
                "BAD METHOD",
                &format!("http://{addr}/x{secret}"),
            ]),
            "is not an HTTP method",
        ),
        // Not a URL at all.
        (
            args(&["request", "--config", &bearer, "not a url url-secret-4"]),
            "is not a URL",
        ),
    ];
    for (list, says) in cases {
        let out = authc(list.clone(), None).await;
        assert_eq!(out.code, 1, "{list:?}: {}", out.stderr);
        assert_eq!(out.stderr.lines().count(), 1, "{list:?}: {}", out.stderr);
        assert!(
            out.stderr.contains(says),
            "{list:?}: `{}` should say `{says}`",
            out.stderr.trim()
        );
        assert!(
            !out.stderr.contains("url-secret"),
            "{list:?} leaked: {}",
            out.stderr
        );
    }
    // --fail on an HTTP error status.
    let out = authc(
        args(&[
            "request",
            "--config",
            &bearer,
            "--fail",
            &format!("http://{user}{addr}/missing{secret}"),
        ]),
        None,
    )
    .await;
    assert_eq!(out.code, 22, "{}", out.stderr);
    assert!(!out.stderr.contains("url-secret"), "{}", out.stderr);
}

/// Each `authc example KIND`, pointed at a server on 127.0.0.1 (and the JWT ones at a real
/// key), sends what its kind says: the grant, the client authentication and the header.
#[tokio::test(flavor = "multi_thread")]
async fn every_example_config_sends_what_its_kind_says() {
    let (addr, log) = server().await;
    let token_url = format!("http://{addr}/token");
    let cases: [(&str, &str, &str, &str); 9] = [
        ("basic", "header", "Basic YWxpY2U6MTIz", ""),
        (
            "bearer",
            "header",
            "Bearer JlbmMiOiJBMTI4Q0JDLUhTMjU2In",
            "",
        ),
        ("jwt", "header", "Bearer eyJ", ""),
        (
            "client-credentials",
            "token",
            "issued-token",
            "grant_type=client_credentials",
        ),
        (
            "password",
            "token",
            "issued-token",
            "grant_type=password&username=alice&password=123",
        ),
        (
            "refresh-token",
            "token",
            "issued-token",
            "grant_type=refresh_token&refresh_token=24f19603",
        ),
        (
            "jwt-bearer",
            "token",
            "issued-token",
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=eyJ",
        ),
        (
            "dpop",
            "token",
            "issued-token",
            "grant_type=client_credentials",
        ),
        (
            "token-exchange",
            "token",
            "issued-token",
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange&subject_token=workload-token",
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (kind, command, expected, body) in cases {
        let example = authc(args(&["example", kind]), None).await.stdout;
        let config = example
            .replace("https://idp.example/oauth2/token", &token_url)
            .replace("\"private.pem\"", &format!("{:?}", key("rsa.pem")))
            .replace(
                "\"/var/run/secrets/tokens/token\"",
                &format!("{:?}", write(&dir, "subject-token", "workload-token\n")),
            )
            // The example's client secret is a placeholder; the test server wants `secret`.
            .replace(
                "client_id = \"my-client\"\nclient_secret = \"my-secret\"",
                "client_id = \"id\"\nclient_secret = \"secret\"",
            );
        let path = write(&dir, &format!("{kind}.toml"), &config);
        let before = log.lock().unwrap().len();
        let out = authc(args(&[command, "--config", &path]), None).await;
        assert_eq!(out.code, 0, "{kind}: {}", out.stderr);
        assert!(
            out.stdout.trim().starts_with(expected),
            "{kind}: {}",
            out.stdout
        );
        if !body.is_empty() {
            let seen = log.lock().unwrap()[before..].to_vec();
            let (method, path, authorization, sent) = seen.last().unwrap().clone();
            assert_eq!(
                (method.as_str(), path.as_str()),
                ("POST", "/token"),
                "{kind}"
            );
            assert!(sent.starts_with(body), "{kind}: {sent}");
            assert_eq!(
                authorization, "Basic aWQ6c2VjcmV0",
                "{kind}: client_secret_basic"
            );
        }
    }
}

/// `authc example dpop`, `mtls` and `discovery` against oidc-provider (started by .ci/run, see
/// tests/oidc-provider): `authc token` prints the access token, and `authc request` sends the
/// DPoP proof or presents the client certificate the token is bound to.
#[tokio::test(flavor = "multi_thread")]
async fn the_dpop_mtls_and_discovery_examples_work_against_oidc_provider() {
    let var = |name: &str| std::env::var(name).ok();
    let (Some(issuer), Some(resource), Some(pki)) = (
        var("AUTH_OIDC_ISSUER"),
        var("AUTH_OIDC_RESOURCE"),
        var("AUTH_OIDC_PKI"),
    ) else {
        eprintln!(
            "SKIPPED the_dpop_mtls_and_discovery_examples_work_against_oidc_provider: \
             AUTH_OIDC_ISSUER, AUTH_OIDC_RESOURCE and AUTH_OIDC_PKI are not set; .ci/run starts \
             oidc-provider (tests/oidc-provider) on 127.0.0.1 and sets them"
        );
        return;
    };
    let file = |name: &str| format!("{:?}", std::path::Path::new(&pki).join(name));
    let dir = tempfile::tempdir().unwrap();
    let resource_url = format!("{resource}/resource");
    let trust = format!("secure_socket = {{ cert = {} }}\n", file("ca.pem"));
    let idp_trust = format!(
        "\n[auth.client_config]\nsecure_socket = {{ cert = {} }}\n",
        file("ca.pem")
    );

    // dpop: by discovery, to show both at once; the resource checks the proof.
    let example = authc(args(&["example", "dpop"]), None).await.stdout;
    let dpop = format!("{trust}{example}{idp_trust}")
        .replace(
            "token_url = \"https://idp.example/oauth2/token\"",
            &format!("issuer_url = \"{issuer}\""),
        )
        .replace("\"my-client\"", "\"dpop-nonce-client\"")
        .replace("\"my-secret\"", "\"dpop-nonce-secret\"")
        .replace("scopes = [\"read\"]", "scopes = [\"api\"]");
    let path = write(&dir, "dpop.toml", &dpop);
    let token = authc(args(&["token", "--config", &path]), None).await;
    assert_eq!(token.code, 0, "{}", token.stderr);
    assert!(!token.stdout.trim().is_empty());
    let out = authc(args(&["request", "--config", &path, &resource_url]), None).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("\"binding\":\"dpop\""),
        "{}",
        out.stdout
    );

    // mtls: certificate client auth, and the resource request presents the certificate.
    let example = authc(args(&["example", "mtls"]), None).await.stdout;
    let mtls = example
        .replace(
            "\"https://idp.example/oauth2/token\"",
            &format!("\"{issuer}/token\""),
        )
        .replace("\"my-client\"", "\"mtls-client\"")
        .replace("\"ca.pem\"", &file("ca.pem"))
        .replace("\"client.pem\"", &file("client.pem"))
        .replace("\"client-key.pem\"", &file("client-key.pem"))
        .replace("scopes = [\"read\"]", "scopes = [\"api\"]");
    let path = write(&dir, "mtls.toml", &mtls);
    let out = authc(args(&["request", "--config", &path, &resource_url]), None).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("\"binding\":\"mtls\""),
        "{}",
        out.stdout
    );

    // discovery: a Bearer client; and the resource server's copy of the document, whose issuer
    // is not the resource server's URL, is refused.
    let example = authc(args(&["example", "discovery"]), None).await.stdout;
    let discovery = format!("{example}{idp_trust}")
        .replace("\"my-client\"", "\"bearer-client\"")
        .replace("\"my-secret\"", "\"bearer-secret\"")
        .replace("scopes = [\"read\"]", "scopes = [\"api\"]");
    let good = write(
        &dir,
        "discovery.toml",
        &discovery.replace("\"https://idp.example\"", &format!("\"{issuer}\"")),
    );
    let out = authc(args(&["token", "--config", &good]), None).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let bad = write(
        &dir,
        "mismatch.toml",
        &discovery.replace("\"https://idp.example\"", &format!("\"{resource}\"")),
    );
    let out = authc(args(&["token", "--config", &bad]), None).await;
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains("must match exactly"), "{}", out.stderr);
}
