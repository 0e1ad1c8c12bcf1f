//! A token record in the clear (only ever inside this process): the access token with its
//! times, and the newest refresh token. Encoded as a small binary layout, wiped when dropped.

use std::time::{Duration, SystemTime};

use auth_core::SecretString;
use zeroize::Zeroizing;

/// The layout's version byte.
const FORMAT: u8 = 1;

/// The most a field may take: a token response is at most this long, so no token is longer.
const MAX_FIELD: usize = crate::transport::MAX_RESPONSE_BYTES;

/// What a store record holds.
#[derive(Clone)]
pub(crate) struct TokenRecord {
    /// `None` once the token was rejected (the refresh token is kept).
    pub(crate) access_token: Option<SecretString>,
    /// The token's scheme (`Bearer`).
    pub(crate) scheme: String,
    /// When the request that got the token was sent.
    pub(crate) issued_at: SystemTime,
    /// When the token expires (`issued_at` + its lifetime).
    pub(crate) expires_at: SystemTime,
    /// The newest refresh token, if the grant has one.
    pub(crate) refresh_token: Option<SecretString>,
}

fn millis(at: SystemTime) -> u64 {
    at.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn from_millis(ms: u64) -> Option<SystemTime> {
    SystemTime::UNIX_EPOCH.checked_add(Duration::from_millis(ms))
}

impl TokenRecord {
    pub(crate) fn encode(&self) -> Zeroizing<Vec<u8>> {
        let field_len =
            |field: &Option<SecretString>| field.as_ref().map_or(0, |s| s.expose_secret().len());
        let mut out = Zeroizing::new(Vec::with_capacity(
            32 + self.scheme.len() + field_len(&self.access_token) + field_len(&self.refresh_token),
        ));
        out.push(FORMAT);
        out.extend_from_slice(&millis(self.issued_at).to_be_bytes());
        out.extend_from_slice(&millis(self.expires_at).to_be_bytes());
        put(&mut out, Some(self.scheme.as_bytes()));
        put(
            &mut out,
            self.access_token
                .as_ref()
                .map(|s| s.expose_secret().as_bytes()),
        );
        put(
            &mut out,
            self.refresh_token
                .as_ref()
                .map(|s| s.expose_secret().as_bytes()),
        );
        out
    }

    pub(crate) fn decode(bytes: &[u8]) -> Option<Self> {
        let mut reader = Reader(bytes);
        if reader.take(1)? != [FORMAT] {
            return None;
        }
        let issued_at = from_millis(reader.u64()?)?;
        let expires_at = from_millis(reader.u64()?)?;
        let scheme = String::from_utf8(reader.field()??.to_vec()).ok()?;
        let text = |field: &[u8]| std::str::from_utf8(field).ok().map(SecretString::from);
        let access_token = match reader.field()? {
            Some(field) => Some(text(field)?),
            None => None,
        };
        let refresh_token = match reader.field()? {
            Some(field) => Some(text(field)?),
            None => None,
        };
        if !reader.0.is_empty() || expires_at < issued_at {
            return None;
        }
        Some(Self {
            access_token,
            scheme,
            issued_at,
            expires_at,
            refresh_token,
        })
    }
}

/// A field: absent (`u32::MAX`) or a length and the bytes.
fn put(out: &mut Vec<u8>, field: Option<&[u8]>) {
    match field {
        None => out.extend_from_slice(&u32::MAX.to_be_bytes()),
        Some(bytes) => {
            // No field reaches MAX_FIELD (see there), so the length always fits.
            let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX - 1);
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(bytes);
        }
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_be_bytes(self.take(8)?.try_into().ok()?))
    }

    /// `Some(None)` for an absent field, `None` for a malformed one.
    fn field(&mut self) -> Option<Option<&'a [u8]>> {
        let len = u32::from_be_bytes(self.take(4)?.try_into().ok()?);
        if len == u32::MAX {
            return Some(None);
        }
        let len = usize::try_from(len).ok()?;
        if len > MAX_FIELD {
            return None;
        }
        self.take(len).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> TokenRecord {
        let issued_at = SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_123);
        TokenRecord {
            access_token: Some(SecretString::from("access ü")),
            scheme: "Bearer".to_owned(),
            issued_at,
            expires_at: issued_at + Duration::from_secs(3600),
            refresh_token: None,
        }
    }

    #[test]
    fn round_trips() {
        let mut original = record();
        for refresh in [None, Some(SecretString::from("refresh"))] {
            original.refresh_token = refresh;
            let decoded = TokenRecord::decode(&original.encode()).unwrap();
            assert_eq!(decoded.issued_at, original.issued_at);
            assert_eq!(decoded.expires_at, original.expires_at);
            assert_eq!(decoded.scheme, "Bearer");
            assert_eq!(decoded.access_token.unwrap().expose_secret(), "access ü");
            assert_eq!(
                decoded.refresh_token.map(|s| s.expose_secret().to_owned()),
                original
                    .refresh_token
                    .as_ref()
                    .map(|s| s.expose_secret().to_owned())
            );
        }
        original.access_token = None;
        assert!(
            TokenRecord::decode(&original.encode())
                .unwrap()
                .access_token
                .is_none()
        );
    }

    #[test]
    fn malformed_bytes_decode_to_nothing() {
        let good = record().encode();
        for cut in 0..good.len() {
            assert!(TokenRecord::decode(&good[..cut]).is_none(), "cut at {cut}");
        }
        let mut longer = good.to_vec();
        longer.push(0);
        assert!(TokenRecord::decode(&longer).is_none());
        let mut wrong_format = good.to_vec();
        wrong_format[0] = 9;
        assert!(TokenRecord::decode(&wrong_format).is_none());
        let mut huge = good[..21].to_vec();
        huge.extend_from_slice(&(u32::MAX - 1).to_be_bytes());
        assert!(TokenRecord::decode(&huge).is_none());
    }
}
