//! `[store]`: the table checked against its kind, refused where it has no use, and the file and
//! Redis stores it builds sharing (or, with Redis down, not needing) one token.

use auth_core::AuthProvider;
use auth_http::ClientFileConfig;

use crate::support::{Server, json, serve};

fn error(toml: &str) -> String {
    match ClientFileConfig::from_toml_str(toml).and_then(|config| config.build_provider()) {
        Ok(_) => panic!("accepted:\n{toml}"),
        Err(error) => error.to_string(),
    }
}

async fn counting_token_server() -> Server {
    let counter = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    serve(None, move |_| {
        let n = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        async move {
            json(
                200,
                &format!(r#"{{"access_token":"at-{n}","expires_in":3600}}"#),
            )
        }
    })
    .await
}

fn oauth2(token_url: &str, store: &str) -> String {
    format!(
        r#"
        [auth]
        token_url = "{token_url}"
        client_id = "svc"
        client_secret = "s3cr3t"
        {store}
        "#
    )
}

#[test]
fn store_tables_are_checked_against_their_kind() {
    let url = "http://127.0.0.1:9/token";
    let cases = [
        ("[store]\nkind = \"file\"", "kind = \"file\" needs `path`"),
        ("[store]\nkind = \"redis\"", "kind = \"redis\" needs `url`"),
        (
            "[store]\npath = \"/tmp/x\"",
            "`path` has no use with kind = \"memory\"",
        ),
        (
            "[store]\nkind = \"file\"\npath = \"/tmp/x\"\nurl = \"redis://127.0.0.1\"",
            "`url` has no use with kind = \"file\"",
        ),
        (
            "[store]\nkind = \"file\"\npath = \"/tmp/x\"\nkey_prefix = \"a:\"",
            "`key_prefix` has no use with kind = \"file\"",
        ),
        ("[store]\nkind = \"disk\"", "unknown variant `disk`"),
        ("[store]\nkind = \"file\"\nttl = 3", "unknown field `ttl`"),
        (
            "[store]\nkind = \"redis\"\nurl = \"redis://127.0.0.1\"\nlease_ttl = 0",
            "greater than zero",
        ),
        (
            "[store]\nkind = \"redis\"\nurl = \"redis://127.0.0.1\"\nkey_prefix = \"my app\"",
            "not ' '",
        ),
        (
            "[store]\nkind = \"redis\"\nurl = \"rediss://:hunter2@127.0.0.1\"",
            "does not support TLS",
        ),
        (
            "[store]\nkind = \"file\"\npath = \"/tmp/x\"\nencryption_key_env = \"AUTH_TEST_NO_SUCH_VARIABLE\"",
            "AUTH_TEST_NO_SUCH_VARIABLE",
        ),
    ];
    for (store, expected) in cases {
        let message = error(&oauth2(url, store));
        let ours = !expected.starts_with("unknown") && expected != "greater than zero";
        assert!(!ours || message.contains("[store]"), "{store}: {message}");
        assert!(message.contains(expected), "{store}: {message}");
        assert!(
            !message.contains("hunter2") && !message.contains("s3cr3t"),
            "{message}"
        );
    }
    let nested = format!(
        "{}\n[auth.client_config.store]\nkind = \"memory\"",
        oauth2(url, "")
    );
    assert!(
        error(&nested).contains("cannot hold a `store` table"),
        "{}",
        error(&nested)
    );
}

#[test]
fn a_shared_store_beside_a_provider_without_tokens_to_share_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let toml = format!(
        "[auth]\nusername = \"alice\"\npassword = \"123\"\n[store]\nkind = \"file\"\npath = \"{}\"",
        dir.path().join("t").display()
    );
    let message = error(&toml);
    assert!(
        message.contains("a basic config, which has none to share"),
        "{message}"
    );
    // The default kind is fine anywhere.
    let memory = "[auth]\nusername = \"alice\"\npassword = \"123\"\n[store]\nkind = \"memory\"";
    ClientFileConfig::from_toml_str(memory)
        .unwrap()
        .build_provider()
        .unwrap();
}

/// Two providers built from one file (two runs of a program, or two processes) share the
/// token through the file store: one token request between them, and no token in the files.
#[tokio::test]
async fn a_file_store_shares_one_token_between_providers_built_from_one_config() {
    let server = counting_token_server().await;
    let dir = tempfile::tempdir().unwrap();
    let tokens = dir.path().join("tokens");
    let store = format!(
        "[store]\nkind = \"file\"\npath = \"{}\"\nlease_ttl = 2",
        tokens.display()
    );
    let toml = oauth2(&server.url("/token"), &store);
    for _ in 0..2 {
        let provider = ClientFileConfig::from_toml_str(&toml)
            .unwrap()
            .build_provider()
            .unwrap();
        assert_eq!(provider.token().await.unwrap().expose_credential(), "at-1");
    }
    assert_eq!(server.seen().len(), 1);
    for entry in std::fs::read_dir(&tokens).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        assert!(
            !bytes.windows(4).any(|w| w == b"at-1"),
            "a token in the clear"
        );
    }
}

/// A Redis store is made without connecting, and while the server is unreachable the provider
/// fetches on its own.
#[cfg(feature = "redis")]
#[tokio::test]
async fn a_redis_store_that_is_down_leaves_the_provider_working() {
    let server = counting_token_server().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let store =
        format!("[store]\nkind = \"redis\"\nurl = \"redis://:pw@127.0.0.1:{port}/0\"\ntimeout = 1");
    let config = ClientFileConfig::from_toml_str(&oauth2(&server.url("/token"), &store)).unwrap();
    let provider = config.build_provider().unwrap();
    assert_eq!(provider.token().await.unwrap().expose_credential(), "at-1");
    assert_eq!(server.seen().len(), 1);
}
