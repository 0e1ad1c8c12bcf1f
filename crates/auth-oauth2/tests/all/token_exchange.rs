//! The token exchange grant (RFC 8693): the exact request, subject and actor tokens read
//! afresh at each renewal from a file, the environment or another provider, clear errors
//! without secrets, and checks made when the provider is built.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use auth_core::{AuthProvider, ErrorKind, Scheme, Token, async_trait};
use auth_oauth2::{
    ClientAuth, OAuth2Config, OAuth2Provider, SubjectToken, TokenEndpointError, TokenExchangeGrant,
};

use crate::script::{Reply, Script, TOKEN_URL, clock, ok, ok_with_refresh, provider};

const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const JWT: &str = "urn:ietf:params:oauth:token-type:jwt";
const ACCESS_TOKEN: &str = "urn:ietf:params:oauth:token-type:access_token";

fn pair(name: &str, value: &str) -> (String, String) {
    (name.to_owned(), value.to_owned())
}

fn details(err: &auth_core::Error) -> &TokenEndpointError {
    std::error::Error::source(err)
        .and_then(|s| s.downcast_ref::<TokenEndpointError>())
        .expect("details attached")
}

/// Replaces the token the way the kubelet rotates a projected token: the new content goes to
/// a fresh directory, and the `..data` link the token's path goes through is swapped at once.
fn rotate(dir: &Path, generation: u32, contents: &str) {
    let data = dir.join(format!("..{generation}"));
    std::fs::create_dir(&data).unwrap();
    std::fs::write(data.join("token"), contents).unwrap();
    #[cfg(unix)]
    {
        let link = dir.join("..data_tmp");
        std::os::unix::fs::symlink(&data, &link).unwrap();
        std::fs::rename(&link, dir.join("..data")).unwrap();
        if !dir.join("token").exists() {
            std::os::unix::fs::symlink(Path::new("..data").join("token"), dir.join("token"))
                .unwrap();
        }
    }
    #[cfg(not(unix))]
    {
        let tmp = dir.join("token.tmp");
        std::fs::write(&tmp, contents).unwrap();
        std::fs::rename(&tmp, dir.join("token")).unwrap();
    }
}

#[tokio::test]
async fn the_request_carries_exactly_the_rfc_8693_parameters() {
    let script = Script::new([ok("exchanged", 3600)]);
    let subject = "eyJ.subject+/=&token";
    let actor = "eyJ.actor token";
    let grant = TokenExchangeGrant::new(SubjectToken::fixed(subject))
        .actor_token(SubjectToken::fixed(actor))
        .actor_token_type(JWT)
        .requested_token_type(ACCESS_TOKEN)
        .audience("orders api")
        .audience("billing")
        .resource("https://api.example/orders?x=1&y=2")
        .resource("urn:example:billing");
    let config = OAuth2Config::token_exchange(TOKEN_URL, grant).scopes(["orders:read", "b"]);
    let token = provider(config, &script, &clock()).token().await.unwrap();
    assert_eq!(token.header_value(), "Bearer exchanged");

    let seen = script.last();
    assert_eq!(seen.method, "POST");
    assert_eq!(seen.uri, TOKEN_URL);
    assert_eq!(
        seen.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        seen.form,
        vec![
            pair("grant_type", GRANT_TYPE),
            pair("subject_token", subject),
            pair("subject_token_type", JWT),
            pair("actor_token", actor),
            pair("actor_token_type", JWT),
            pair("requested_token_type", ACCESS_TOKEN),
            pair("audience", "orders api"),
            pair("audience", "billing"),
            pair("resource", "https://api.example/orders?x=1&y=2"),
            pair("resource", "urn:example:billing"),
            pair("scope", "orders:read b"),
        ]
    );
    // Form-encoded on the wire, every value.
    assert!(
        seen.body
            .contains("&subject_token=eyJ.subject%2B%2F%3D%26token&")
            && seen.body.contains("&audience=orders+api&")
            && seen
                .body
                .contains("&resource=https%3A%2F%2Fapi.example%2Forders%3Fx%3D1%26y%3D2&"),
        "{}",
        seen.body
    );
    // A public client: no client authentication at all.
    assert!(seen.header("authorization").is_none() && seen.param("client_id").is_none());
}

#[tokio::test]
async fn only_the_subject_token_and_its_type_are_sent_by_default_and_client_auth_when_given() {
    let script = Script::new([ok("a", 3600)]);
    let config = OAuth2Config::token_exchange(
        TOKEN_URL,
        TokenExchangeGrant::new(SubjectToken::fixed("subj")),
    )
    .client_auth(ClientAuth::post("exchanger", "exchanger-secret"));
    provider(config, &script, &clock()).token().await.unwrap();
    assert_eq!(
        script.last().form,
        vec![
            pair("grant_type", GRANT_TYPE),
            pair("subject_token", "subj"),
            pair("subject_token_type", JWT),
            pair("client_id", "exchanger"),
            pair("client_secret", "exchanger-secret"),
        ]
    );
}

#[tokio::test]
async fn a_subject_token_file_rotated_on_disk_is_sent_at_the_next_renewal() {
    let dir = tempfile::tempdir().unwrap();
    rotate(dir.path(), 1, "first-projected-token\n");
    let clock = clock();
    let script = Script::new([ok("t1", 60), ok("t2", 60)]);
    let grant = TokenExchangeGrant::new(SubjectToken::file(dir.path().join("token")));
    let provider = provider(
        OAuth2Config::token_exchange(TOKEN_URL, grant),
        &script,
        &clock,
    );

    assert_eq!(provider.token().await.unwrap().expose_credential(), "t1");
    assert_eq!(
        script.last().param("subject_token"),
        Some("first-projected-token"),
        "read without its trailing newline"
    );
    rotate(dir.path(), 2, "second-projected-token\r\n");
    // While the token is valid, nothing is read or sent.
    assert_eq!(provider.token().await.unwrap().expose_credential(), "t1");
    assert_eq!(script.count(), 1);

    clock.advance(Duration::from_secs(61));
    assert_eq!(provider.token().await.unwrap().expose_credential(), "t2");
    assert_eq!(script.count(), 2);
    assert_eq!(
        script.last().param("subject_token"),
        Some("second-projected-token")
    );
}

#[tokio::test]
async fn a_returned_refresh_token_is_ignored_and_renewal_exchanges_again() {
    let clock = clock();
    let script = Script::new([ok_with_refresh("t1", 60, "rt-1"), ok("t2", 60)]);
    let config = OAuth2Config::token_exchange(
        TOKEN_URL,
        TokenExchangeGrant::new(SubjectToken::fixed("subj")),
    );
    let provider = provider(config, &script, &clock);
    provider.token().await.unwrap();
    clock.advance(Duration::from_secs(61));
    assert_eq!(provider.token().await.unwrap().expose_credential(), "t2");
    let renewal = script.last();
    assert_eq!(renewal.param("grant_type"), Some(GRANT_TYPE));
    assert_eq!(renewal.param("subject_token"), Some("subj"));
    assert!(
        renewal.param("refresh_token").is_none(),
        "{:?}",
        renewal.form
    );
}

#[tokio::test]
async fn the_subject_token_can_come_from_the_environment() {
    // Cargo sets this for the tests it runs; tests cannot set variables (no unsafe code).
    let expected = std::env::var("CARGO_PKG_NAME").expect("run by cargo");
    let script = Script::new([ok("t", 60)]);
    let grant = TokenExchangeGrant::new(SubjectToken::env("CARGO_PKG_NAME"))
        .subject_token_type(ACCESS_TOKEN);
    let config = OAuth2Config::token_exchange(TOKEN_URL, grant);
    provider(config, &script, &clock()).token().await.unwrap();
    assert_eq!(
        script.last().param("subject_token"),
        Some(expected.as_str())
    );
    assert_eq!(
        script.last().param("subject_token_type"),
        Some(ACCESS_TOKEN)
    );
}

/// A provider of subject tokens that counts how often it is asked and told of a refusal.
#[derive(Debug, Default)]
struct Counting {
    asked: AtomicUsize,
    refused: AtomicUsize,
}

#[async_trait]
impl AuthProvider for Counting {
    async fn token(&self) -> auth_core::Result<Token> {
        let n = self.asked.fetch_add(1, Ordering::SeqCst) + 1;
        Token::bearer(format!("subject-{n}"))
    }

    fn invalidate(&self, _rejected: &Token) {
        self.refused.fetch_add(1, Ordering::SeqCst);
    }
}

#[tokio::test]
async fn a_provider_source_is_asked_at_each_renewal_and_told_of_a_refusal() {
    let clock = clock();
    let counting = Arc::new(Counting::default());
    let script = Script::new([
        ok("t1", 60),
        ok("t2", 60),
        crate::script::oauth_error(400, "invalid_grant"),
    ]);
    let grant = TokenExchangeGrant::new(SubjectToken::provider(Arc::clone(&counting)));
    let provider = provider(
        OAuth2Config::token_exchange(TOKEN_URL, grant),
        &script,
        &clock,
    );

    assert_eq!(provider.token().await.unwrap().expose_credential(), "t1");
    assert_eq!(script.last().param("subject_token"), Some("subject-1"));
    clock.advance(Duration::from_secs(61));
    assert_eq!(provider.token().await.unwrap().expose_credential(), "t2");
    assert_eq!(script.last().param("subject_token"), Some("subject-2"));
    assert_eq!(counting.asked.load(Ordering::SeqCst), 2);
    assert_eq!(counting.refused.load(Ordering::SeqCst), 0);

    clock.advance(Duration::from_secs(61));
    let err = provider.token().await.unwrap_err();
    assert_eq!(details(&err).oauth_error(), Some("invalid_grant"));
    assert!(
        err.message()
            .contains("the subject or actor token was refused"),
        "{err}"
    );
    assert_eq!(
        counting.refused.load(Ordering::SeqCst),
        1,
        "the refused subject token is invalidated at its provider"
    );
}

#[tokio::test]
async fn a_static_token_and_a_shared_provider_are_sources_but_a_basic_credential_is_not() {
    let script = Script::new([ok("t", 60)]);
    let shared: Arc<dyn AuthProvider> = Arc::new(Token::bearer("static-subject").unwrap());
    let grant = TokenExchangeGrant::new(SubjectToken::from(shared));
    provider(
        OAuth2Config::token_exchange(TOKEN_URL, grant),
        &script,
        &clock(),
    )
    .token()
    .await
    .unwrap();
    assert_eq!(script.last().param("subject_token"), Some("static-subject"));

    let basic = Token::new(Scheme::Basic, "dXNlcjpwYXNzd29yZA==").unwrap();
    let grant = TokenExchangeGrant::new(SubjectToken::provider(basic));
    let err = provider(
        OAuth2Config::token_exchange(TOKEN_URL, grant),
        &script,
        &clock(),
    )
    .token()
    .await
    .unwrap_err();
    assert!(err.message().contains("gave a Basic credential"), "{err}");
    assert!(!err.to_string().contains("dXNlcjpwYXNzd29yZA"), "{err}");
    assert_eq!(script.count(), 1, "nothing sent with a Basic credential");
}

#[tokio::test]
async fn unreadable_sources_fail_clearly_naming_the_path_or_variable_and_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing-token");
    let clock = clock();
    let script = Script::new([ok("t", 60)]);
    let exchange =
        |source| OAuth2Config::token_exchange(TOKEN_URL, TokenExchangeGrant::new(source));

    let file_provider = provider(exchange(SubjectToken::file(&path)), &script, &clock);
    let err = file_provider.token().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidConfig, "{err}");
    assert!(!err.is_retryable());
    let expected = format!(
        "could not get the subject token: subject token file `{}` does not exist; check the path",
        path.display()
    );
    assert!(err.message().contains(&expected), "{err}");
    assert!(
        err.message().starts_with("token-exchange token request to"),
        "{err}"
    );
    assert_eq!(script.count(), 0, "nothing sent without a subject token");
    // Once the file appears (and the failure penalty is over), the next call works.
    std::fs::write(&path, "late-token").unwrap();
    clock.advance(Duration::from_secs(2));
    assert_eq!(
        file_provider.token().await.unwrap().expose_credential(),
        "t"
    );
    assert_eq!(script.last().param("subject_token"), Some("late-token"));

    // A file holding a control character: where, not what.
    let bad = dir.path().join("bad-token");
    std::fs::write(&bad, "secret-marker\r\nX-Injected: 1").unwrap();
    let err = provider(exchange(SubjectToken::file(&bad)), &script, &clock)
        .token()
        .await
        .unwrap_err();
    assert!(
        err.message().contains(&format!(
            "subject token file `{}` contains a carriage return (CR) at byte 13",
            bad.display()
        )),
        "{err}"
    );
    assert!(!format!("{err} {err:?}").contains("secret-marker"), "{err}");
    let empty = dir.path().join("empty-token");
    std::fs::write(&empty, "\n").unwrap();
    let err = provider(exchange(SubjectToken::file(&empty)), &script, &clock)
        .token()
        .await
        .unwrap_err();
    assert!(
        err.message().contains(&format!(
            "subject token file `{}` is empty",
            empty.display()
        )),
        "{err}"
    );

    let err = provider(
        exchange(SubjectToken::env("AUTH_OAUTH2_TEST_SURELY_UNSET")),
        &script,
        &clock,
    )
    .token()
    .await
    .unwrap_err();
    assert!(
        err.message()
            .contains("environment variable `AUTH_OAUTH2_TEST_SURELY_UNSET` is not set"),
        "{err}"
    );
    // Cargo sets this one, empty, for a version without a pre-release part.
    assert_eq!(std::env::var("CARGO_PKG_VERSION_PRE").as_deref(), Ok(""));
    let err = provider(
        exchange(SubjectToken::env("CARGO_PKG_VERSION_PRE")),
        &script,
        &clock,
    )
    .token()
    .await
    .unwrap_err();
    assert!(
        err.message()
            .contains("environment variable `CARGO_PKG_VERSION_PRE` is empty"),
        "{err}"
    );
    assert_eq!(script.count(), 1, "only the exchange with a readable token");
}

#[test]
fn bad_token_exchange_configs_are_refused_when_the_provider_is_built() {
    let transport = Script::new([]);
    let fixed = || TokenExchangeGrant::new(SubjectToken::fixed("subj"));
    let cases: Vec<(OAuth2Config, &str)> = vec![
        (
            OAuth2Config::token_exchange(
                TOKEN_URL,
                fixed().actor_token(SubjectToken::fixed("actor")),
            ),
            "an `actor_token` but no `actor_token_type`",
        ),
        (
            OAuth2Config::token_exchange(TOKEN_URL, fixed().actor_token_type(JWT)),
            "an `actor_token_type` but no `actor_token`",
        ),
        (
            OAuth2Config::token_exchange(
                TOKEN_URL,
                fixed().resource("https://api.example/orders#section"),
            ),
            "`resource` https://api.example/orders has a fragment",
        ),
        (
            OAuth2Config::token_exchange(TOKEN_URL, fixed().resource("/orders")),
            "a `resource` is not an absolute URI",
        ),
        (
            OAuth2Config::token_exchange(TOKEN_URL, fixed().subject_token_type("")),
            "`subject_token_type` is empty",
        ),
        (
            OAuth2Config::token_exchange(TOKEN_URL, fixed().requested_token_type("urn:x\n")),
            "`requested_token_type` contains a line feed",
        ),
        (
            OAuth2Config::token_exchange(TOKEN_URL, fixed().audience("")),
            "`audience` is empty",
        ),
        (
            OAuth2Config::token_exchange(
                TOKEN_URL,
                TokenExchangeGrant::new(SubjectToken::fixed("sub\r\nject")),
            ),
            "`subject_token` contains a carriage return",
        ),
        (
            OAuth2Config::token_exchange(
                TOKEN_URL,
                TokenExchangeGrant::new(SubjectToken::env("A=B")),
            ),
            "contains `=`",
        ),
        (
            OAuth2Config::token_exchange(
                TOKEN_URL,
                TokenExchangeGrant::new(SubjectToken::file("")),
            ),
            "the file path of `subject_token` is empty",
        ),
        (
            OAuth2Config::token_exchange(TOKEN_URL, fixed()).optional_param("audience", "x"),
            "`optional_params` may not set `audience`",
        ),
        (
            OAuth2Config::token_exchange(TOKEN_URL, fixed()).custom_payload("subject%5Ftoken=x"),
            "`custom_payload` may not set `subject_token`",
        ),
    ];
    for (config, expected) in cases {
        let err = OAuth2Provider::new(config, transport.clone()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidConfig, "{err}");
        assert!(
            err.message().contains(expected),
            "`{err}` should say `{expected}`"
        );
        assert!(!err.to_string().contains("sub\r\nject"));
    }
    // Other grants may still send an `audience` parameter of their own.
    let client_credentials = crate::script::cc().optional_param("audience", "x");
    assert!(OAuth2Provider::new(client_credentials, transport.clone()).is_ok());
    // A public client may exchange; a resource may have a query.
    let public = OAuth2Config::token_exchange(
        TOKEN_URL,
        fixed().resource("https://api.example/orders?region=eu"),
    );
    assert!(OAuth2Provider::new(public, transport).is_ok());
}

#[test]
fn debug_shows_where_tokens_come_from_never_a_token() {
    let grant = TokenExchangeGrant::new(SubjectToken::fixed("subject-marker"))
        .actor_token(SubjectToken::provider(
            Token::bearer("actor-marker").unwrap(),
        ))
        .actor_token_type(JWT)
        .audience("orders");
    let config = OAuth2Config::token_exchange(TOKEN_URL, grant.clone());
    let provider = OAuth2Provider::new(config.clone(), Script::new([])).unwrap();
    for debug in [
        format!("{grant:?}"),
        format!("{config:?}"),
        format!("{:?}", config.grant()),
    ] {
        assert!(debug.contains("TokenExchangeGrant"), "{debug}");
        assert!(
            debug.contains("Fixed([redacted])") && debug.contains("orders"),
            "{debug}"
        );
        assert!(
            !debug.contains("subject-marker") && !debug.contains("actor-marker"),
            "{debug}"
        );
    }
    let debug = format!("{provider:?}");
    assert!(debug.contains("token-exchange"), "{debug}");
    assert!(!debug.contains("marker"), "{debug}");
    let sources = format!(
        "{:?} {:?}",
        SubjectToken::env("SUBJECT_VAR"),
        SubjectToken::file("/run/secrets/token")
    );
    assert_eq!(sources, r#"Env("SUBJECT_VAR") File("/run/secrets/token")"#);
    assert_eq!(config.grant_name(), "token-exchange");
}

#[tokio::test]
async fn a_server_echoing_the_subject_and_actor_tokens_has_them_redacted() {
    // Read from files, so the tokens are secrets of the request, not of the config.
    let dir = tempfile::tempdir().unwrap();
    let subject = "ZQ&ct +tok:%!";
    let actor = "act0r-t0ken/x";
    std::fs::write(dir.path().join("subject"), subject).unwrap();
    std::fs::write(dir.path().join("actor"), actor).unwrap();
    let form =
        |text: &str| -> String { form_urlencoded::byte_serialize(text.as_bytes()).collect() };
    let script = Script::new([Reply::Json(
        400,
        format!(
            r#"{{"error":"invalid_request","error_description":"bad {subject} / {} / actor {actor}; body subject_token=ab&x"}}"#,
            form(subject).replace('+', "%20")
        ),
    )]);
    let grant = TokenExchangeGrant::new(SubjectToken::file(dir.path().join("subject")))
        .actor_token(SubjectToken::file(dir.path().join("actor")))
        .actor_token_type(JWT);
    let err = provider(
        OAuth2Config::token_exchange(TOKEN_URL, grant),
        &script,
        &clock(),
    )
    .token()
    .await
    .unwrap_err();
    let everything = format!("{err} {err:?} {:?}", details(&err));
    assert!(everything.contains("invalid_request"), "{everything}");
    for leaked in ["ZQ", "+tok", "act0r", "t0ken", "ab&x"] {
        assert!(!everything.contains(leaked), "{leaked}: {everything}");
    }
    assert_eq!(
        details(&err).description(),
        Some("bad [redacted] / [redacted] / actor [redacted]; body subject_token=[redacted]&x")
    );
}

#[tokio::test]
async fn another_issued_token_type_than_requested_is_accepted() {
    let script = Script::new([Reply::Json(
        200,
        r#"{"access_token":"issued-jwt","issued_token_type":"urn:ietf:params:oauth:token-type:jwt","token_type":"N_A","expires_in":60}"#
            .into(),
    )]);
    let grant =
        TokenExchangeGrant::new(SubjectToken::fixed("subj")).requested_token_type(ACCESS_TOKEN);
    let token = provider(
        OAuth2Config::token_exchange(TOKEN_URL, grant),
        &script,
        &clock(),
    )
    .token()
    .await
    .unwrap();
    assert_eq!(token.header_value(), "Bearer issued-jwt");
}

#[cfg(feature = "store")]
mod store {
    use auth_core::store::MemoryStore;
    use auth_oauth2::{StoreEncryption, StoreSettings};

    use super::*;

    fn build(
        grant: TokenExchangeGrant,
        script: &Arc<Script>,
        clock: &auth_core::clock::ManualClock,
        settings: StoreSettings,
    ) -> auth_core::Result<OAuth2Provider> {
        OAuth2Provider::builder(
            OAuth2Config::token_exchange(TOKEN_URL, grant),
            script.clone(),
        )
        .clock(Arc::new(clock.clone()))
        .refresh_ahead(None)
        .retry_policy(auth_oauth2::RetryPolicy::none())
        .store(settings)
        .build()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_store_shares_a_file_sourced_exchange_only_with_configured_keys() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("token"), "projected").unwrap();
        let grant = || TokenExchangeGrant::new(SubjectToken::file(dir.path().join("token")));
        let store = MemoryStore::new();
        let clock = clock();
        let script = Script::new([ok("shared", 60)]);
        let settings = || StoreSettings::new(Arc::new(store.clone()));

        let err = build(grant(), &script, &clock, settings()).unwrap_err();
        assert!(
            err.message().contains("needs an encryption key")
                && err.message().contains("environment variable or a file"),
            "{err}"
        );
        let keyed = || settings().encryption(StoreEncryption::new([7; 32]));
        let one = build(grant(), &script, &clock, keyed()).unwrap();
        let two = build(grant(), &script, &clock, keyed()).unwrap();
        assert_eq!(one.token().await.unwrap().expose_credential(), "shared");
        assert_eq!(two.token().await.unwrap().expose_credential(), "shared");
        assert_eq!(
            script.count(),
            1,
            "the second replica took the stored token"
        );
        assert_eq!(store.keys().len(), 1);
    }

    #[test]
    fn a_store_is_refused_for_a_provider_sourced_exchange() {
        let grant = TokenExchangeGrant::new(SubjectToken::provider(Token::bearer("s").unwrap()));
        let settings = StoreSettings::new(Arc::new(MemoryStore::new()))
            .encryption(StoreEncryption::new([7; 32]));
        let err = build(grant, &Script::new([]), &clock(), settings).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidConfig);
        assert!(
            err.message()
                .contains("whose subject token comes from another provider"),
            "{err}"
        );
    }
}
