//! The `aud` claim.

/// The `aud` claim: one audience or several.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Audience {
    /// `"aud": "a"`.
    One(String),
    /// `"aud": ["a", ...]` (a one-element list stays a list).
    Many(Vec<String>),
}

impl Audience {
    /// Every audience named.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        let (one, many): (Option<&str>, &[String]) = match self {
            Self::One(one) => (Some(one.as_str()), &[]),
            Self::Many(many) => (None, many.as_slice()),
        };
        one.into_iter().chain(many.iter().map(String::as_str))
    }
}

impl From<&str> for Audience {
    fn from(audience: &str) -> Self {
        Self::One(audience.to_owned())
    }
}

impl From<String> for Audience {
    fn from(audience: String) -> Self {
        Self::One(audience)
    }
}

impl From<Vec<String>> for Audience {
    fn from(audiences: Vec<String>) -> Self {
        Self::Many(audiences)
    }
}

impl<const N: usize> From<[&str; N]> for Audience {
    fn from(audiences: [&str; N]) -> Self {
        Self::Many(audiences.iter().map(|a| (*a).to_owned()).collect())
    }
}
