//! TLS settings (Ballerina's `secureSocket`) for the authenticated client and the token
//! endpoint's transport.

use std::path::{Path, PathBuf};

use auth_core::file::{MAX_FILE_BYTES, read_bounded};
use auth_core::{Error, ErrorKind, Result, SecretString};
use auth_keys::PrivateKey;
use auth_keys::pkcs12::Pkcs12Store;
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
#[derive(Clone, Debug, Default)]
#[cfg_attr(feature = "config", derive(serde::Deserialize))]
#[cfg_attr(feature = "config", serde(deny_unknown_fields))]
#[non_exhaustive]
pub struct SecureSocket {
    /// Trust every certificate and host name. Dangerous; see above.
    #[cfg_attr(feature = "config", serde(default))]
    pub disable: bool,
    /// The CAs to trust.
    #[cfg_attr(feature = "config", serde(default))]
    pub cert: Option<TrustConfig>,
    /// The client certificate and key for mutual TLS.
    #[cfg_attr(feature = "config", serde(default))]
    pub key: Option<ClientKey>,
}

/// The CAs to trust.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "config", derive(serde::Deserialize))]
#[cfg_attr(
    feature = "config",
    serde(
        untagged,
        deny_unknown_fields,
        expecting = "a PEM file path, or a truststore table { path, password } (no other field)"
    )
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
#[derive(Clone, Debug)]
#[cfg_attr(feature = "config", derive(serde::Deserialize))]
#[cfg_attr(
    feature = "config",
    serde(
        untagged,
        deny_unknown_fields,
        expecting = "a keystore table { path, password } or { cert_file, key_file, key_password } \
                     (no other field)"
    )
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
    /// A PEM certificate (chain) file and a key file (PEM or DER, possibly encrypted).
    CertKey {
        /// The certificate chain, PEM.
        #[cfg_attr(feature = "config", serde(alias = "certFile"))]
        cert_file: PathBuf,
        /// The private key: PEM or DER, possibly encrypted.
        #[cfg_attr(feature = "config", serde(alias = "keyFile"))]
        key_file: PathBuf,
        /// The key's password, when it is encrypted.
        #[cfg_attr(feature = "config", serde(default, alias = "keyPassword"))]
        key_password: Option<SecretString>,
    },
}

#[cfg(feature = "config")]
impl ClientKey {
    /// Whether `other` names the same files (so the same certificate).
    pub(crate) fn same_files(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::KeyStore { path: a, .. }, Self::KeyStore { path: b, .. }) => a == b,
            (
                Self::CertKey {
                    cert_file: a,
                    key_file: x,
                    ..
                },
                Self::CertKey {
                    cert_file: b,
                    key_file: y,
                    ..
                },
            ) => a == b && x == y,
            _ => false,
        }
    }
}

impl SecureSocket {
    /// Trusts the CA certificates in a PEM file instead of the platform's roots.
    pub fn trust_pem_file(path: impl Into<PathBuf>) -> Self {
        Self {
            cert: Some(TrustConfig::PemFile(path.into())),
            ..Self::default()
        }
    }

    /// Applies these settings to a reqwest client builder.
    ///
    /// # Errors
    ///
    /// [`auth_core::ErrorKind::InvalidConfig`] or
    /// [`auth_core::ErrorKind::KeyMaterial`] naming the file and the
    /// problem: unreadable, too large, not a regular file, wrong password, no certificate, no
    /// key.
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

/// Reads a certificate file: a regular file of at most 1 MiB.
fn read_certificates(path: &Path, what: &str) -> Result<Zeroizing<Vec<u8>>> {
    read_bounded(path, what, MAX_FILE_BYTES, ErrorKind::InvalidConfig)
}

fn trusted_certificates(cert: &TrustConfig) -> Result<Vec<reqwest::Certificate>> {
    let (certs, origin) = match cert {
        TrustConfig::PemFile(path) => {
            let pem = read_certificates(path, "CA certificate file")?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
                Error::invalid_config(format!(
                    "CA certificate file `{}` is not PEM certificates ({e})",
                    path.display()
                ))
            })?;
            (certs, path)
        }
        TrustConfig::TrustStore { path, password } => {
            let store = Pkcs12Store::open(path, password, "truststore")?;
            let certs = store
                .certificates()
                .iter()
                .map(|der| {
                    reqwest::Certificate::from_der(der).map_err(|e| {
                        Error::invalid_config(format!(
                            "truststore `{}` holds a certificate that cannot be used ({e})",
                            path.display()
                        ))
                    })
                })
                .collect::<Result<Vec<_>>>()?;
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
            let (key, chain) = Pkcs12Store::open(path, password, "keystore")?.identity()?;
            let certs: Vec<Zeroizing<String>> = chain
                .iter()
                .map(|der| auth_keys::pem_encode("CERTIFICATE", der))
                .collect();
            (joined(&key, certs.iter().map(|c| c.as_bytes())), path)
        }
        ClientKey::CertKey {
            cert_file,
            key_file,
            key_password,
        } => {
            let certs = read_certificates(cert_file, "client certificate file")?;
            let key = PrivateKey::from_file(key_file, key_password.as_ref())?;
            (joined(&key, [certs.as_slice()].into_iter()), key_file)
        }
    };
    reqwest::Identity::from_pem(&pem).map_err(|e| {
        Error::key_material(format!(
            "the client certificate and key from `{}` cannot be used ({e})",
            origin.display()
        ))
    })
}

/// The key's PEM followed by the certificates', in one buffer sized once and wiped on drop.
fn joined<'a>(
    key: &PrivateKey,
    certs: impl Iterator<Item = &'a [u8]> + Clone,
) -> Zeroizing<Vec<u8>> {
    let key_pem = key.to_pem();
    let total = key_pem.len() + certs.clone().map(|c| c.len() + 1).sum::<usize>();
    let mut out = Zeroizing::new(Vec::with_capacity(total));
    out.extend_from_slice(key_pem.as_bytes());
    for cert in certs {
        out.push(b'\n');
        out.extend_from_slice(cert);
    }
    out
}
