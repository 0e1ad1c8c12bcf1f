//! TLS settings (Ballerina's `secureSocket`) for the main client and the token-endpoint client.

use std::path::{Path, PathBuf};

use auth_core::{Error, Result, SecretString};
use p12_keystore::{KeyStore, KeyStoreEntry, Pkcs12ImportPolicy};
use serde::Deserialize;
use zeroize::Zeroizing;

/// TLS settings (Ballerina's `secureSocket`).
///
/// With no settings the platform's trusted roots apply. `cert` replaces them with the CAs
/// given; `key` adds a client certificate for mutual TLS.
///
/// # Security
///
/// `disable = true` turns certificate **and** host name checking off: anyone between the
/// client and the server can read and change the traffic, credentials included. Use it only
/// against a test server you control.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct SecureSocket {
    /// Trust every certificate and host name. Dangerous; see above.
    #[serde(default)]
    pub disable: bool,
    /// The CAs to trust.
    #[serde(default)]
    pub cert: Option<TrustConfig>,
    /// The client certificate and key for mutual TLS.
    #[serde(default)]
    pub key: Option<ClientKey>,
}

/// The CAs to trust.
#[derive(Clone, Debug, Deserialize)]
#[serde(
    untagged,
    expecting = "a PEM file path, or a truststore table { path, password }"
)]
#[non_exhaustive]
pub enum TrustConfig {
    /// A PEM file of one or more CA certificates.
    PemFile(PathBuf),
    /// A PKCS#12 truststore.
    TrustStore {
        /// The file.
        path: PathBuf,
        /// Its password.
        password: SecretString,
    },
}

/// A client certificate and key for mutual TLS.
#[derive(Clone, Debug, Deserialize)]
#[serde(
    untagged,
    expecting = "a keystore table { path, password } or { cert_file, key_file, key_password }"
)]
#[non_exhaustive]
pub enum ClientKey {
    /// A PKCS#12 keystore holding the key and its certificate chain.
    KeyStore {
        /// The file.
        path: PathBuf,
        /// Its password (also the key's).
        password: SecretString,
    },
    /// A PEM certificate (chain) file and a key file, possibly encrypted.
    CertKey {
        /// The certificate chain, PEM.
        #[serde(alias = "certFile")]
        cert_file: PathBuf,
        /// The private key: PEM or DER, possibly encrypted.
        #[serde(alias = "keyFile")]
        key_file: PathBuf,
        /// The key's password, when it is encrypted.
        #[serde(default, alias = "keyPassword")]
        key_password: Option<SecretString>,
    },
}

fn read(path: &Path, what: &str) -> Result<Zeroizing<Vec<u8>>> {
    std::fs::read(path).map(Zeroizing::new).map_err(|e| {
        Error::invalid_config(format!("{what} `{}` cannot be read ({e})", path.display()))
            .with_source(e)
    })
}

fn open_store(path: &Path, password: &SecretString, what: &str) -> Result<KeyStore> {
    let data = read(path, what)?;
    KeyStore::from_pkcs12(&data, password.expose_secret(), Pkcs12ImportPolicy::Relaxed).map_err(
        |e| {
            let reason = match e {
                p12_keystore::error::Error::MacError(_) => "the password is wrong".to_owned(),
                other => format!("it is not a readable PKCS#12 file ({other})"),
            };
            Error::key_material(format!(
                "{what} `{}` cannot be opened: {reason}",
                path.display()
            ))
        },
    )
}

impl SecureSocket {
    /// Applies these settings to a reqwest client builder.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidConfig`](auth_core::ErrorKind::InvalidConfig) or
    /// [`ErrorKind::KeyMaterial`](auth_core::ErrorKind::KeyMaterial) naming the file and the
    /// problem: unreadable, wrong password, no certificate, no key.
    pub fn apply(&self, mut builder: reqwest::ClientBuilder) -> Result<reqwest::ClientBuilder> {
        if self.disable {
            tracing::warn!(
                target: "auth_http",
                "TLS certificate and host name verification are DISABLED (secure_socket.disable = true)"
            );
            builder = builder
                .tls_danger_accept_invalid_certs(true)
                .tls_danger_accept_invalid_hostnames(true);
        }
        if let Some(cert) = &self.cert {
            builder = builder.tls_certs_only(trusted_certificates(cert)?);
        }
        if let Some(key) = &self.key {
            builder = builder.identity(identity(key)?);
        }
        Ok(builder)
    }
}

fn trusted_certificates(cert: &TrustConfig) -> Result<Vec<reqwest::Certificate>> {
    let (certs, origin) = match cert {
        TrustConfig::PemFile(path) => {
            let pem = read(path, "CA certificate file")?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
                Error::invalid_config(format!(
                    "CA certificate file `{}` is not PEM certificates ({e})",
                    path.display()
                ))
            })?;
            (certs, path)
        }
        TrustConfig::TrustStore { path, password } => {
            let store = open_store(path, password, "truststore")?;
            let mut certs = Vec::new();
            for (_, entry) in store.entries() {
                let ders: Vec<&[u8]> = match entry {
                    KeyStoreEntry::Certificate(cert) => vec![cert.as_der()],
                    KeyStoreEntry::PrivateKeyChain(chain) => {
                        chain.certs().iter().map(|c| c.as_der()).collect()
                    }
                    _ => Vec::new(),
                };
                for der in ders {
                    certs.push(reqwest::Certificate::from_der(der).map_err(|e| {
                        Error::invalid_config(format!(
                            "truststore `{}` holds a certificate that cannot be used ({e})",
                            path.display()
                        ))
                    })?);
                }
            }
            (certs, path)
        }
    };
    if certs.is_empty() {
        return Err(Error::invalid_config(format!(
            "`{}` holds no certificates to trust",
            origin.display()
        )));
    }
    Ok(certs)
}

fn identity(key: &ClientKey) -> Result<reqwest::Identity> {
    let (pem, origin) = match key {
        ClientKey::KeyStore { path, password } => {
            let store = open_store(path, password, "keystore")?;
            let Some((_, chain)) = store.private_key_chain() else {
                return Err(Error::key_material(format!(
                    "keystore `{}` holds no private key for a client certificate",
                    path.display()
                )));
            };
            if chain.certs().is_empty() {
                return Err(Error::key_material(format!(
                    "keystore `{}` holds a key without its certificate",
                    path.display()
                )));
            }
            let mut pem = Zeroizing::new(pem::encode(&pem::Pem::new(
                "PRIVATE KEY",
                chain.key().as_der().to_vec(),
            )));
            for cert in chain.certs() {
                pem.push_str(&pem::encode(&pem::Pem::new(
                    "CERTIFICATE",
                    cert.as_der().to_vec(),
                )));
            }
            (pem, path.display().to_string())
        }
        ClientKey::CertKey {
            cert_file,
            key_file,
            key_password,
        } => {
            let certs = read(cert_file, "client certificate file")?;
            let key = read(key_file, "client key file")?;
            let origin = format!("client key file `{}`", key_file.display());
            let mut pem = client_key_pem(&key, key_password.as_ref(), &origin)?;
            pem.push('\n');
            pem.push_str(&String::from_utf8_lossy(&certs));
            (pem, key_file.display().to_string())
        }
    };
    reqwest::Identity::from_pem(pem.as_bytes()).map_err(|e| {
        Error::key_material(format!(
            "the client certificate and key from `{origin}` cannot be used ({e})"
        ))
    })
}

/// The key as unencrypted PEM; decrypting needs auth-jwt-issuer's key loader (feature `jwt`).
#[cfg(feature = "jwt")]
fn client_key_pem(
    key: &[u8],
    password: Option<&SecretString>,
    origin: &str,
) -> Result<Zeroizing<String>> {
    auth_jwt_issuer::decode_private_key_pem(key, password, origin)
}

#[cfg(not(feature = "jwt"))]
fn client_key_pem(
    key: &[u8],
    password: Option<&SecretString>,
    origin: &str,
) -> Result<Zeroizing<String>> {
    let text = std::str::from_utf8(key).map_err(|_| {
        Error::key_material(format!(
            "{origin} is not PEM; DER and encrypted keys need auth-http's `jwt` feature"
        ))
    })?;
    if password.is_some() || text.contains("ENCRYPTED") {
        return Err(Error::key_material(format!(
            "{origin} is encrypted; decrypting it needs auth-http's `jwt` feature"
        )));
    }
    Ok(Zeroizing::new(text.to_owned()))
}
