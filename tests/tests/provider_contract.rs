//! Every provider honours the `AuthProvider` contract: `Send + Sync + Debug`, usable as
//! `Arc<dyn AuthProvider>` from many tasks at once, stable answers from static providers.

use std::sync::Arc;

use auth::basic::BasicProvider;
use auth::bearer::BearerProvider;
use auth::jwt::{Algorithm, JwtIssuer, JwtProvider, SigningKey};
use auth_core::{AuthProvider, SharedAuthProvider, Token, provider_fn};

const fn assert_provider<T: AuthProvider + Send + Sync + 'static>() {}

// Checked at compile time: each provider type is a thread-safe provider.
const _: () = {
    assert_provider::<BasicProvider>();
    assert_provider::<BearerProvider>();
    assert_provider::<JwtProvider>();
    assert_provider::<auth::oauth2::OAuth2Provider>();
    assert_provider::<Token>();
    assert_provider::<SharedAuthProvider>();
    assert_provider::<Arc<dyn AuthProvider>>();
    assert_provider::<Box<dyn AuthProvider>>();
};

fn providers(dir: &std::path::Path) -> Vec<(Arc<dyn AuthProvider>, &'static str)> {
    let file = dir.join("token");
    std::fs::write(&file, "from-a-file\n").expect("test provider builds");
    vec![
        (
            Arc::new(BasicProvider::new("admin", "123").expect("test provider builds")),
            "Basic YWRtaW46MTIz",
        ),
        (
            Arc::new(BearerProvider::new("static-token").expect("test provider builds")),
            "Bearer static-token",
        ),
        (
            Arc::new(BearerProvider::from_file(&file).expect("test provider builds")),
            "Bearer from-a-file",
        ),
        (
            Arc::new(Token::bearer("itself").expect("test provider builds")),
            "Bearer itself",
        ),
        (
            Arc::new(SharedAuthProvider::new(
                Token::bearer("shared").expect("test provider builds"),
            )),
            "Bearer shared",
        ),
        (
            Arc::new(provider_fn(|| async { Token::bearer("from-fn") })),
            "Bearer from-fn",
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_provider_serves_many_tasks_at_once() {
    let dir = tempfile::tempdir().unwrap();
    for (provider, expected) in providers(dir.path()) {
        let mut tasks = Vec::new();
        for _ in 0..16 {
            let provider = Arc::clone(&provider);
            tasks.push(tokio::spawn(async move {
                let mut seen = Vec::new();
                for _ in 0..50 {
                    let token = provider.token().await.unwrap();
                    assert!(token.header_value().is_sensitive());
                    seen.push(token.header_value().to_str().unwrap().to_owned());
                }
                seen
            }));
        }
        for task in tasks {
            for value in task.await.unwrap() {
                assert_eq!(value, expected, "{provider:?}");
            }
        }
        // Invalidating a static credential changes nothing.
        let token = provider.token().await.unwrap();
        provider.invalidate(&token);
        assert_eq!(provider.token().await.unwrap().header_value(), expected);
    }
}

#[tokio::test]
async fn debug_of_every_provider_hides_the_credential() {
    let dir = tempfile::tempdir().unwrap();
    for (provider, expected) in providers(dir.path()) {
        let credential = expected.split_once(' ').unwrap().1;
        let debug = format!("{provider:?}");
        assert!(!debug.contains(credential), "{debug}");
        let token = provider.token().await.unwrap();
        assert!(!format!("{token:?}").contains(credential));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwt_provider_serves_many_tasks_with_one_cached_token() {
    let issuer = JwtIssuer::builder()
        .issuer("contract")
        .signer(SigningKey::hmac(Algorithm::Hs256, "a contract-test secret of 32+ bytes").unwrap())
        .build()
        .unwrap();
    let provider: Arc<dyn AuthProvider> = Arc::new(JwtProvider::new(issuer));
    let first = provider.token().await.unwrap();
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let provider = Arc::clone(&provider);
            tokio::spawn(async move {
                for _ in 0..50 {
                    provider.token().await.unwrap();
                }
                provider.token().await.unwrap()
            })
        })
        .collect();
    for task in tasks {
        assert!(task.await.unwrap().same_credential(&first));
    }
    assert!(!format!("{provider:?}").contains("contract-test secret"));
}

#[tokio::test]
async fn token_now_agrees_with_token_for_cached_and_static_providers() {
    let dir = tempfile::tempdir().unwrap();
    for (provider, expected) in providers(dir.path()) {
        let token = provider.token().await.unwrap();
        match provider.token_now() {
            Some(now) => assert!(now.same_credential(&token), "{provider:?}"),
            // The closure adapter cannot answer without running its future.
            None => assert_eq!(expected, "Bearer from-fn"),
        }
    }
    let issuer = JwtIssuer::builder()
        .signer(SigningKey::hmac(Algorithm::Hs256, "a contract-test secret of 32+ bytes").unwrap())
        .build()
        .unwrap();
    let jwt = JwtProvider::new(issuer);
    assert!(
        jwt.token_now().is_none(),
        "nothing cached before the first token()"
    );
    let token = jwt.token().await.unwrap();
    assert!(jwt.token_now().unwrap().same_credential(&token));
    jwt.invalidate(&token);
    assert!(
        jwt.token_now().is_none(),
        "an invalidated token is not handed out"
    );
}
