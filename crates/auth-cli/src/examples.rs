//! The example configs `authc example` prints (also parsed by the tests, so they stay valid).

use crate::cli::Kind;

pub(crate) fn toml(kind: Kind) -> &'static str {
    match kind {
        Kind::Basic => BASIC,
        Kind::Bearer => BEARER,
        Kind::Jwt => JWT,
        Kind::ClientCredentials => CLIENT_CREDENTIALS,
        Kind::Password => PASSWORD,
        Kind::RefreshToken => REFRESH_TOKEN,
        Kind::JwtBearer => JWT_BEARER,
        Kind::Dpop => DPOP,
        Kind::Mtls => MTLS,
        Kind::TokenExchange => TOKEN_EXCHANGE,
        Kind::Discovery => DISCOVERY,
    }
}

const BASIC: &str = r#"# HTTP Basic authentication (RFC 7617).
[auth]
username = "alice"
password = "123"
"#;

const BEARER: &str = r#"# A fixed bearer token.
[auth]
token = "JlbmMiOiJBMTI4Q0JDLUhTMjU2In"
"#;

const JWT: &str = r#"# A self-signed JWT, sent as `Bearer <jwt>` and re-issued before it expires.
[auth]
username = "svc"                  # sub
issuer = "acme"                   # iss
audience = ["https://api.example"]
key_id = "kid-1"
exp_time = 300
custom_claims = { scp = "read" }

[auth.signature_config]
algorithm = "RS256"               # RS/PS 256/384/512, ES256, ES384, EdDSA, HS256/384/512, none

[auth.signature_config.config]
key_file = "private.pem"          # PEM or DER; encrypted keys need key_password
# key_password = "..."
# or: key_store = { path = "keystore.p12", password = "..." }, key_alias = "signer"
"#;

const CLIENT_CREDENTIALS: &str = r#"# OAuth2 client credentials grant.
# Client part: TLS and timeouts for the requests `authc request` sends.
connect_timeout = 15
req_timeout = 30
# [secure_socket]
# cert = "ca.pem"

[auth]
token_url = "https://idp.example/oauth2/token"
client_id = "my-client"
client_secret = "my-secret"
scopes = ["read", "write"]
credential_bearer = "AUTH_HEADER_BEARER"   # or POST_BODY_BEARER
clock_skew = 10

[auth.client_config]
http_version = "1.1"
# custom_headers = { X-Tenant = "t1" }
# [auth.client_config.secure_socket]
# cert = "idp-ca.pem"

# Keep tokens between runs (and share them with other processes); without [store] every
# run of authc asks for a new token.
# [store]
# kind = "file"                       # or "redis", with url = "redis://127.0.0.1:6379/0"
# path = "~/.cache/authc/tokens"      # a directory, created 0700; use an absolute path
# encryption_key_env = "AUTH_STORE_KEY"   # optional: base64 32-byte key(s); else derived
"#;

const PASSWORD: &str = r#"# OAuth2 password grant; refreshes with the refresh token, and runs the grant again when
# the refresh is refused.
[auth]
token_url = "https://idp.example/oauth2/token"
username = "alice"
password = "123"
client_id = "my-client"
client_secret = "my-secret"
scopes = ["openid"]
refresh_config = "INFER_REFRESH_CONFIG"
"#;

const REFRESH_TOKEN: &str = r#"# OAuth2 refresh-token grant; keeps the newest rotated refresh token.
[auth]
refresh_url = "https://idp.example/oauth2/token"
refresh_token = "24f19603-8565-4b5f-a036-88a945e1f272"
client_id = "my-client"
client_secret = "my-secret"

# With rotating refresh tokens, a store keeps the newest one across runs: without it, the
# second run presents the first refresh token again, which the server has revoked.
# [store]
# kind = "file"
# path = "/var/cache/myapp/tokens"
"#;

const JWT_BEARER: &str = r#"# OAuth2 jwt-bearer grant (RFC 7523) with a fresh signed assertion per token request.
[auth]
token_url = "https://idp.example/oauth2/token"
client_id = "my-client"
client_secret = "my-secret"

[auth.assertion_config]
issuer = "my-client"
username = "svc"
audience = "https://idp.example/oauth2/token"

[auth.assertion_config.signature_config]
algorithm = "RS256"

[auth.assertion_config.signature_config.config]
key_file = "private.pem"
"#;

const DPOP: &str = r#"# OAuth2 client credentials with DPoP-bound tokens (RFC 9449): each token request, and each
# request `authc request` sends with a DPoP token, carries a fresh proof signed by this key;
# a server's nonce (use_dpop_nonce) is answered with one retry.
[auth]
token_url = "https://idp.example/oauth2/token"
client_id = "my-client"
client_secret = "my-secret"
scopes = ["read"]

[auth.dpop]
algorithm = "ES256"               # ES256 (default), ES384, EdDSA; RS256/PS256 need key_file
# key_file = "dpop-key.pem"       # a key of your own; without it one is made at start
# key_password = "..."
# or: key_store = { path = "dpop.p12", password = "..." }, key_alias = "dpop"
"#;

const MTLS: &str = r#"# OAuth2 client credentials authenticated by a TLS client certificate (RFC 8705): the
# client sends its client_id and no secret. The tokens are bound to the certificate, so the
# requests `authc request` sends present it too (certificate_bound).
[secure_socket]
cert = "ca.pem"                   # the CA of the API `authc request` talks to

[auth]
token_url = "https://idp.example/oauth2/token"
client_id = "my-client"
client_auth = "tls_client_auth"   # or "self_signed_tls_client_auth"
certificate_bound = true
scopes = ["read"]

[auth.client_config.secure_socket]
cert = "ca.pem"                   # the identity provider's CA
key = { cert_file = "client.pem", key_file = "client-key.pem" }
# or: key = { path = "client.p12", password = "..." }
"#;

const TOKEN_EXCHANGE: &str = r#"# OAuth2 token exchange (RFC 8693): a workload's own token (a Kubernetes service-account
# token, a CI OIDC token) exchanged for an access token. The file is read again at each
# renewal, so a token rotated on disk is picked up.
[auth]
token_url = "https://idp.example/oauth2/token"
# The client's own credentials, when the server wants the client to authenticate too.
client_id = "my-client"
client_secret = "my-secret"
subject_token_file = "/var/run/secrets/tokens/token"   # or subject_token, subject_token_env
subject_token_type = "urn:ietf:params:oauth:token-type:jwt"
requested_token_type = "urn:ietf:params:oauth:token-type:access_token"
audience = "https://api.example"  # one or a list
# resource = "https://api.example/v1"
# actor_token_env = "ACTOR_TOKEN"
# actor_token_type = "urn:ietf:params:oauth:token-type:jwt"
"#;

const DISCOVERY: &str = r#"# OAuth2 client credentials with the token endpoint found in the issuer's metadata
# (RFC 8414, then OpenID Connect Discovery) on first use; the document's issuer must equal
# issuer_url exactly, and its lists must include this client's authentication method.
[auth]
issuer_url = "https://idp.example"
client_id = "my-client"
client_secret = "my-secret"
scopes = ["read"]
"#;

#[cfg(test)]
mod tests {
    use clap::ValueEnum as _;

    use super::*;

    #[test]
    fn every_example_is_a_valid_config() {
        for kind in Kind::value_variants() {
            let config = auth_http::ClientFileConfig::from_toml_str(toml(*kind))
                .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
            assert!(config.auth().is_some(), "{kind:?}");
        }
    }
}
