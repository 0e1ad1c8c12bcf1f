//! The token exchange grant, checked when the provider is built: token types, the actor
//! token's pairing with its type, audiences, resource indicators, the token sources, and no
//! other setting that sends the grant's own parameters.

use auth_core::text::{TextRule, check_text};
use auth_core::{Error, Result, SecretString};
use url::Url;

use super::grant::TokenExchangeGrant;
use super::subject::SubjectToken;
use crate::checks::{check_credential, check_grant_params, check_name, shown_url};
use crate::config::OAuth2Config;

/// The parameters the token exchange grant sends itself (RFC 8693 §2.1).
const PARAMETERS: [&str; 7] = [
    "subject_token",
    "subject_token_type",
    "actor_token",
    "actor_token_type",
    "requested_token_type",
    "audience",
    "resource",
];

/// What every token exchange request sends besides the tokens themselves.
pub(crate) struct Exchange {
    pub(crate) subject: SubjectToken,
    pub(crate) subject_token_type: String,
    /// The actor token's source and its type.
    pub(crate) actor: Option<(SubjectToken, String)>,
    pub(crate) requested_token_type: Option<String>,
    pub(crate) audiences: Vec<String>,
    pub(crate) resources: Vec<String>,
}

impl Exchange {
    pub(crate) fn new(grant: &TokenExchangeGrant, config: &OAuth2Config) -> Result<Self> {
        check_source("subject_token", &grant.subject)?;
        check_name("subject_token_type", &grant.subject_token_type)?;
        let actor = match (&grant.actor, &grant.actor_token_type) {
            (Some(actor), Some(token_type)) => {
                check_source("actor_token", actor)?;
                check_name("actor_token_type", token_type)?;
                Some((actor.clone(), token_type.clone()))
            }
            (Some(_), None) => {
                return Err(Error::invalid_config(
                    "the token exchange has an `actor_token` but no `actor_token_type`, which \
                     RFC 8693 requires with it; give its type with `actor_token_type` (e.g. \
                     urn:ietf:params:oauth:token-type:jwt)",
                ));
            }
            (None, Some(_)) => {
                return Err(Error::invalid_config(
                    "the token exchange has an `actor_token_type` but no `actor_token`; give \
                     the actor token with `actor_token`, or remove its type",
                ));
            }
            (None, None) => None,
        };
        if let Some(requested) = &grant.requested_token_type {
            check_name("requested_token_type", requested)?;
        }
        for audience in &grant.audiences {
            check_name("audience", audience)?;
        }
        for resource in &grant.resources {
            check_resource(resource)?;
        }
        check_grant_params(
            "token exchange",
            &PARAMETERS,
            &config.optional_params,
            config.custom_payload.as_deref(),
        )?;
        Ok(Self {
            subject: grant.subject.clone(),
            subject_token_type: grant.subject_token_type.clone(),
            actor,
            requested_token_type: grant.requested_token_type.clone(),
            audiences: grant.audiences.clone(),
            resources: grant.resources.clone(),
        })
    }

    /// The fixed subject and actor tokens: secrets of the config, blanked from echoes.
    pub(crate) fn fixed_tokens(&self) -> Vec<SecretString> {
        self.sources()
            .filter_map(|(_, source)| match source {
                SubjectToken::Fixed(token) => Some(token.clone()),
                _ => None,
            })
            .collect()
    }

    /// The sources of the subject token and, if any, the actor token.
    pub(crate) fn sources(&self) -> impl Iterator<Item = (&'static str, &SubjectToken)> {
        std::iter::once(("subject", &self.subject))
            .chain(self.actor.as_ref().map(|(source, _)| ("actor", source)))
    }
}

/// A source: a fixed token that is a usable credential, a variable name that can name one, a
/// path that is not empty.
fn check_source(field: &str, source: &SubjectToken) -> Result<()> {
    match source {
        SubjectToken::Fixed(token) => check_credential(field, token),
        SubjectToken::Env(var) => {
            check_text(
                format_args!("the environment variable name of `{field}`"),
                var,
                TextRule::NoControl,
            )?;
            if var.contains('=') {
                return Err(Error::invalid_config(format!(
                    "the environment variable name of `{field}`, `{var}`, contains `=`, which no \
                     variable name can hold; give the variable's name alone"
                )));
            }
            Ok(())
        }
        SubjectToken::File(path) if path.as_os_str().is_empty() => Err(Error::invalid_config(
            format!("the file path of `{field}` is empty; give the path of the token file"),
        )),
        SubjectToken::File(_) | SubjectToken::Provider(_) => Ok(()),
    }
}

/// A resource indicator (RFC 8707 §2): an absolute URI without a fragment.
fn check_resource(resource: &str) -> Result<()> {
    check_name("resource", resource)?;
    let advice = "RFC 8707 resource indicators are absolute URIs without a fragment, such as \
                  https://api.example/orders";
    if resource.contains(char::is_whitespace) {
        return Err(Error::invalid_config(format!(
            "a `resource` contains whitespace, which a URI cannot hold; {advice}"
        )));
    }
    let url = Url::parse(resource).map_err(|e| {
        Error::invalid_config(format!(
            "a `resource` is not an absolute URI ({e}); {advice}"
        ))
    })?;
    if url.fragment().is_some() {
        return Err(Error::invalid_config(format!(
            "`resource` {} has a fragment (`#...`); remove it: {advice}",
            shown_url(resource)
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_are_absolute_uris_without_fragments() {
        for good in [
            "https://api.example/orders",
            "https://api.example",
            "urn:example:resource",
        ] {
            assert!(check_resource(good).is_ok(), "{good}");
        }
        for (bad, expected) in [
            ("https://api.example/orders#part", "has a fragment"),
            ("https://api.example/#", "has a fragment"),
            ("/orders", "not an absolute URI"),
            ("https://api.example/ x", "contains whitespace"),
            ("", "is empty"),
            ("https://api.example/\n", "line feed"),
        ] {
            let err = check_resource(bad).unwrap_err();
            assert!(err.message().contains(expected), "{bad:?}: {err}");
        }
        let err = check_resource("https://api.example/orders?key=k3y#part").unwrap_err();
        assert!(
            err.message().contains("https://api.example/orders ") && !err.message().contains("k3y"),
            "{err}"
        );
    }
}
