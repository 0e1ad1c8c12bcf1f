//! Token exchange (RFC 8693) from the declarative config, against a token server on 127.0.0.1
//! that checks every RFC 8693 parameter; the subject token file is rotated on disk between two
//! renewals, as a projected service-account token is.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use auth_core::AuthProvider;
use auth_http::ClientFileConfig;

use crate::support::{Seen, Server, json, serve};

const EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const JWT: &str = "urn:ietf:params:oauth:token-type:jwt";
const ACCESS: &str = "urn:ietf:params:oauth:token-type:access_token";

/// Answers only a complete, correct RFC 8693 request; anything else is a 400 that says what
/// was wrong. Tokens live one second.
async fn exchange_server() -> Server {
    let issued = Arc::new(AtomicUsize::new(0));
    serve(None, move |seen: Seen| {
        let issued = Arc::clone(&issued);
        async move {
            let form = seen.form();
            let all = |name: &str| -> Vec<String> {
                form.iter()
                    .filter(|(k, _)| k == name)
                    .map(|(_, v)| v.clone())
                    .collect()
            };
            let one = |name: &str| all(name).into_iter().next().unwrap_or_default();
            let problems: Vec<&str> = [
                (one("grant_type") == EXCHANGE, "grant_type"),
                (one("subject_token").starts_with("sa-token-"), "subject_token"),
                (one("subject_token_type") == JWT, "subject_token_type"),
                (one("requested_token_type") == ACCESS, "requested_token_type"),
                (
                    all("audience") == ["api://payments", "api://ledger"],
                    "audience",
                ),
                (all("resource") == ["https://payments.example/v1"], "resource"),
                (one("scope") == "read write", "scope"),
                (one("actor_token") == "actor-jwt", "actor_token"),
                (one("actor_token_type") == JWT, "actor_token_type"),
                (
                    seen.authorization().as_deref() == Some("Basic d29ya2xvYWQ6czNjcjN0"),
                    "client authentication",
                ),
            ]
            .into_iter()
            .filter_map(|(ok, name)| (!ok).then_some(name))
            .collect();
            if !problems.is_empty() {
                let body = serde_json::json!({
                    "error": "invalid_request",
                    "error_description": format!("bad {}", problems.join(", ")),
                });
                return json(400, &body.to_string());
            }
            let n = issued.fetch_add(1, Ordering::SeqCst) + 1;
            json(
                200,
                &format!(
                    r#"{{"access_token":"xchg-{n}","issued_token_type":"{ACCESS}","token_type":"Bearer","expires_in":1}}"#
                ),
            )
        }
    })
    .await
}

fn subject_tokens(server: &Server) -> Vec<String> {
    server
        .seen()
        .iter()
        .map(|seen| {
            seen.form()
                .into_iter()
                .find(|(k, _)| k == "subject_token")
                .map(|(_, v)| v)
                .unwrap_or_default()
        })
        .collect()
}

#[tokio::test]
async fn a_subject_token_rotated_on_disk_is_exchanged_at_the_next_renewal() {
    let server = exchange_server().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    std::fs::write(&file, "sa-token-1\n").unwrap();
    let toml = format!(
        r#"
        [auth]
        token_url = "{url}"
        client_id = "workload"
        client_secret = "s3cr3t"
        subject_token_file = "{file}"
        actor_token = "actor-jwt"
        actor_token_type = "{JWT}"
        requested_token_type = "{ACCESS}"
        audience = ["api://payments", "api://ledger"]
        resource = "https://payments.example/v1"
        scopes = ["read", "write"]
        "#,
        url = server.url("/token"),
        file = file.display()
    );
    let config = ClientFileConfig::from_toml_str(&toml).unwrap();
    assert_eq!(config.auth().unwrap().kind(), "token-exchange");
    let provider = config.build_provider().unwrap();
    assert_eq!(
        provider.token().await.unwrap().header_value(),
        "Bearer xchg-1"
    );

    // The kubelet writes the next token; the next renewal sends it.
    std::fs::write(&file, "sa-token-2\n").unwrap();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let renewed = provider.token().await.unwrap();
    assert_eq!(
        renewed.header_value(),
        "Bearer xchg-2",
        "{:?}",
        server.seen()
    );
    assert_eq!(subject_tokens(&server)[..2], ["sa-token-1", "sa-token-2"]);
}

#[tokio::test]
async fn a_bad_parameter_is_the_servers_clear_error_and_config_mistakes_are_refused() {
    let server = exchange_server().await;
    let toml = format!(
        r#"
        [auth]
        token_url = "{url}"
        client_id = "workload"
        client_secret = "s3cr3t"
        subject_token = "sa-token-x"
        "#,
        url = server.url("/token")
    );
    let provider = ClientFileConfig::from_toml_str(&toml)
        .unwrap()
        .build_provider()
        .unwrap();
    let error = provider.token().await.unwrap_err().to_string();
    assert!(error.contains("bad requested_token_type"), "{error}");
    assert!(!error.contains("sa-token-x"), "{error}");

    for (fields, expected) in [
        (
            "subject_token = \"a\"\nsubject_token_env = \"B\"",
            "not several",
        ),
        ("audience = \"api\"", "belongs to the token exchange grant"),
        (
            "subject_token = \"a\"\nusername = \"u\"\npassword = \"p\"",
            "does not belong to the token exchange grant",
        ),
        (
            "subject_token = \"a\"\nactor_token = \"b\"",
            "actor_token_type",
        ),
    ] {
        let toml = format!(
            "[auth]\ntoken_url = \"https://idp.example/token\"\nclient_id = \"c\"\nclient_secret = \"s\"\n{fields}\n"
        );
        let error = ClientFileConfig::from_toml_str(&toml)
            .and_then(|config| config.build_provider().map(|_| ()))
            .unwrap_err()
            .to_string();
        assert!(error.contains(expected), "{fields}: {error}");
    }
}
