//! A JWT signer of your own: the key stays wherever it lives (an HSM, a TPM, a cloud KMS) and
//! only signatures come out. Here a stand-in "remote signer" holds an Ed25519 key in another
//! thread and answers signing requests over a channel, as a KMS client would over the network;
//! the same signer then signs a self-signed JWT and an OAuth2 `private_key_jwt` client
//! assertion.
//!
//! ```sh
//! cargo run -p auth-examples --example custom_signer
//! ```

use std::sync::Arc;
use std::sync::mpsc;

use auth_core::{AuthProvider, Error, Result, async_trait};
use auth_jwt_issuer::{Algorithm, JwsSigner, JwtIssuer, SigningKey};
use auth_oauth2::{ClientAuth, OAuth2Config, OAuth2Provider, TokenTransport, TransportError};

/// A request to the signing service: the bytes, and where to send the signature.
type SignRequest = (Vec<u8>, mpsc::Sender<Result<Vec<u8>>>);

/// A signer whose key lives in a separate service; this process never sees it.
#[derive(Debug)]
struct RemoteSigner {
    requests: mpsc::Sender<SignRequest>,
    key_id: String,
}

impl RemoteSigner {
    /// Starts the stand-in service with a key only it holds.
    fn start() -> Result<Self> {
        let key = SigningKey::from_pem_or_der(Algorithm::EdDsa, SERVICE_KEY.as_bytes(), None)?;
        let (requests, inbox) = mpsc::channel::<SignRequest>();
        std::thread::spawn(move || {
            for (input, reply) in inbox {
                let _ = reply.send(key.sign(&input));
            }
        });
        Ok(Self {
            requests,
            key_id: "kms-key-2026".to_owned(),
        })
    }
}

impl JwsSigner for RemoteSigner {
    fn algorithm(&self) -> Algorithm {
        Algorithm::EdDsa
    }

    fn key_id(&self) -> Option<&str> {
        Some(&self.key_id)
    }

    fn sign(&self, signing_input: &[u8]) -> Result<Vec<u8>> {
        let (reply, answer) = mpsc::channel();
        self.requests
            .send((signing_input.to_vec(), reply))
            .map_err(|_| Error::other("the signing service is unreachable"))?;
        answer
            .recv()
            .map_err(|_| Error::other("the signing service did not answer"))?
    }
}

/// A token endpoint that checks a client assertion was sent and answers with a token.
#[derive(Debug)]
struct CheckingEndpoint;

#[async_trait]
impl TokenTransport for CheckingEndpoint {
    async fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> std::result::Result<http::Response<Vec<u8>>, TransportError> {
        let form: Vec<(String, String)> = form_urlencoded::parse(request.body())
            .into_owned()
            .collect();
        let Some((_, assertion)) = form.iter().find(|(name, _)| name == "client_assertion") else {
            let mut refused = http::Response::new(br#"{"error":"invalid_client"}"#.to_vec());
            *refused.status_mut() = http::StatusCode::UNAUTHORIZED;
            return Ok(refused);
        };
        let header = assertion.split('.').next().unwrap_or_default();
        println!("token endpoint got a client assertion whose header is {header}");
        Ok(http::Response::new(
            br#"{"access_token":"issued-for-the-assertion","expires_in":3600}"#.to_vec(),
        ))
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let signer = Arc::new(RemoteSigner::start()?);

    // A self-signed JWT, signed by the remote key.
    let issuer = JwtIssuer::builder()
        .issuer("svc")
        .audience("https://api.example")
        .shared_signer(signer.clone())
        .build()?;
    let jwt = issuer.issue()?;
    println!(
        "self-signed JWT header: {}",
        jwt.expose_secret().split('.').next().unwrap_or_default()
    );

    // The same key authenticates an OAuth2 client (private_key_jwt).
    let config = OAuth2Config::client_credentials(
        "https://idp.example/oauth2/token",
        ClientAuth::private_key_jwt_with("svc", auth_oauth2::ClientAssertion::from_shared(signer)),
    );
    let provider = OAuth2Provider::new(config, Arc::new(CheckingEndpoint))?;
    let token = provider.token().await?;
    println!("access token: {}", token.expose_credential());
    Ok(())
}

/// The stand-in service's own key (an Ed25519 test key; a real service keeps it in hardware).
const SERVICE_KEY: &str = "-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF
-----END PRIVATE KEY-----";
