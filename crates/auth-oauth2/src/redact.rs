//! Cleaning server-supplied text (error descriptions, content types, transport messages) before
//! it reaches an error or a log: control characters go, the length is cut, and every credential
//! of the request is blanked in every form it can take on the wire.
//!
//! A token request is form-encoded, and servers echo request bodies (often in
//! `error_description`), so a secret comes back raw, form-encoded (`+` or `%20` for a space,
//! `%XX` for the rest, in either hex case), percent-encoded, or inside the Basic credential
//! (base64 of `id:secret`). Rather than enumerate encodings, the text is matched three ways:
//! as it is, percent-decoded, and form-decoded (`+` as a space too); a secret found in any view
//! is blanked where it stands in the original. Values after `password=`, `client_secret=`,
//! `refresh_token=`, `assertion=`, `client_assertion=`, `access_token=`, `subject_token=` and
//! `actor_token=` (and their JSON forms) are blanked whatever their length, which covers
//! secrets too short to search for.

use std::ops::Range;

const REDACTED: &str = "[redacted]";

/// Secrets shorter than this are not searched for in free text (a one-letter password would
/// blank every occurrence of that letter); the parameter rule above still blanks them.
const MIN_SEARCHED_LEN: usize = 4;

/// Server text beyond this many bytes is dropped before cleaning: messages are cut far shorter,
/// and it bounds the work a huge echo can cause.
const MAX_SCANNED: usize = 16 * 1024;

/// Parameters whose values are credentials.
const SECRET_PARAMETERS: [&str; 8] = [
    "password",
    "client_secret",
    "refresh_token",
    "assertion",
    "client_assertion",
    "access_token",
    "subject_token",
    "actor_token",
];

/// Cuts server-supplied text to something safe to show: at most `max` characters, no control
/// characters, and none of `secrets` in any encoding.
pub(crate) fn sanitize(text: &str, secrets: &[&str], max: usize) -> String {
    let text = cut(text, MAX_SCANNED);
    let mut hidden: Vec<Range<usize>> = Vec::new();
    parameter_values(text, &mut hidden);
    let views = [
        View::raw(text),
        View::decoded(text, false),
        View::decoded(text, true),
    ];
    for secret in secrets.iter().filter(|s| s.len() >= MIN_SEARCHED_LEN) {
        for view in &views {
            view.find_all(secret.as_bytes(), &mut hidden);
        }
    }
    let mut clean = blank(text, hidden);
    clean = clean
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if clean.chars().count() > max {
        clean = clean.chars().take(max).collect::<String>() + "…";
    }
    clean
}

/// `text` cut at a character boundary at or below `max` bytes.
fn cut(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// The text as bytes, and for each byte the range of the original it came from.
struct View {
    bytes: Vec<u8>,
    origin: Vec<Range<usize>>,
}

impl View {
    fn raw(text: &str) -> Self {
        Self {
            bytes: text.as_bytes().to_vec(),
            origin: (0..text.len()).map(|i| i..i + 1).collect(),
        }
    }

    /// `%XX` decoded (either hex case); with `plus_is_space`, `+` read as a space too.
    fn decoded(text: &str, plus_is_space: bool) -> Self {
        let input = text.as_bytes();
        let mut bytes = Vec::with_capacity(input.len());
        let mut origin = Vec::with_capacity(input.len());
        let mut i = 0;
        while i < input.len() {
            let hex = |at: usize| input.get(at).and_then(|b| char::from(*b).to_digit(16));
            match (input[i], hex(i + 1), hex(i + 2)) {
                (b'%', Some(high), Some(low)) => {
                    bytes.push((high * 16 + low) as u8);
                    origin.push(i..i + 3);
                    i += 3;
                }
                (b'+', _, _) if plus_is_space => {
                    bytes.push(b' ');
                    origin.push(i..i + 1);
                    i += 1;
                }
                (b, _, _) => {
                    bytes.push(b);
                    origin.push(i..i + 1);
                    i += 1;
                }
            }
        }
        Self { bytes, origin }
    }

    /// Adds the original ranges of every occurrence of `needle` to `hidden`.
    fn find_all(&self, needle: &[u8], hidden: &mut Vec<Range<usize>>) {
        if needle.is_empty() || needle.len() > self.bytes.len() {
            return;
        }
        let mut at = 0;
        while at + needle.len() <= self.bytes.len() {
            if self.bytes[at..].starts_with(needle) {
                let start = self.origin[at].start;
                let end = self.origin[at + needle.len() - 1].end;
                hidden.push(start..end);
                at += needle.len();
            } else {
                at += 1;
            }
        }
    }
}

/// Adds the ranges of the values of credential parameters: `name=value` up to `&`, whitespace
/// or a quote, and JSON `"name":"value"`.
fn parameter_values(text: &str, hidden: &mut Vec<Range<usize>>) {
    let lower = text.to_ascii_lowercase();
    for name in SECRET_PARAMETERS {
        let mut from = 0;
        while let Some(found) = lower[from..].find(name) {
            let start = from + found;
            from = start + name.len();
            // A whole parameter name, not the tail of a longer one (`client_assertion_type`
            // ends differently; `my_password` is someone else's).
            let before = lower[..start].chars().next_back();
            if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
                continue;
            }
            let rest = &text[from..];
            let value_start = if let Some(after) = rest.strip_prefix('=') {
                from + (rest.len() - after.len())
            } else if let Some(after) = rest
                .strip_prefix("%3D")
                .or_else(|| rest.strip_prefix("%3d"))
            {
                from + (rest.len() - after.len())
            } else if let Some(after) = json_value_start(rest) {
                from + (rest.len() - after.len())
            } else {
                continue;
            };
            let value = &text[value_start..];
            let len = value
                .find(|c: char| c == '&' || c == '"' || c == '\'' || c.is_whitespace())
                .unwrap_or(value.len());
            if len > 0 {
                hidden.push(value_start..value_start + len);
            }
        }
    }
}

/// After `name` in `"name": "value"`: the text after the opening quote of the value.
fn json_value_start(rest: &str) -> Option<&str> {
    let rest = rest.strip_prefix('"')?.trim_start();
    let rest = rest.strip_prefix(':')?.trim_start();
    rest.strip_prefix('"')
}

/// `text` with every range in `hidden` (merged where they overlap) replaced by `[redacted]`.
fn blank(text: &str, mut hidden: Vec<Range<usize>>) -> String {
    if hidden.is_empty() {
        return text.to_owned();
    }
    hidden.sort_by_key(|r| r.start);
    let mut out = String::with_capacity(text.len());
    let mut kept_until = 0;
    let mut current: Option<Range<usize>> = None;
    for range in hidden {
        match &mut current {
            Some(open) if range.start <= open.end => open.end = open.end.max(range.end),
            _ => {
                if let Some(done) = current.take() {
                    push_blanked(text, &mut out, &mut kept_until, done);
                }
                current = Some(range);
            }
        }
    }
    if let Some(done) = current {
        push_blanked(text, &mut out, &mut kept_until, done);
    }
    out.push_str(text.get(kept_until..).unwrap_or_default());
    out
}

fn push_blanked(text: &str, out: &mut String, kept_until: &mut usize, range: Range<usize>) {
    // Ranges come from byte offsets; widen them to character boundaries so no partial
    // character (and no part of a secret) survives.
    let mut start = range.start.max(*kept_until);
    while start > *kept_until && !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = range.end.min(text.len());
    while end < text.len() && !text.is_char_boundary(end) {
        end += 1;
    }
    out.push_str(text.get(*kept_until..start).unwrap_or_default());
    out.push_str(REDACTED);
    *kept_until = end.max(start);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(text: &str) -> String {
        form_urlencoded::byte_serialize(text.as_bytes()).collect()
    }

    #[test]
    fn blanks_controls_and_cuts_length() {
        assert_eq!(
            sanitize("bad secret s3cr3t-value\r\nX: y", &["s3cr3t-value"], 100),
            "bad secret [redacted]  X: y"
        );
        assert_eq!(sanitize("abcdef", &[], 3), "abc…");
    }

    #[test]
    fn every_wire_form_of_a_secret_is_blanked() {
        let secrets = ["pa ss&w0rd+1%", "cl!ent secret@:ü", "ab"];
        let password = secrets[0];
        let client_secret = secrets[1];
        let echoes = [
            password.to_owned(),
            form(password),
            form(password).replace('+', "%20"),
            form(password).to_lowercase(),
            form(client_secret),
            form(client_secret).replace('+', "%20"),
            // Percent-encoding of every byte, as some encoders do.
            client_secret.bytes().map(|b| format!("%{b:02X}")).collect(),
        ];
        for echo in echoes {
            let text = format!("the server says: {echo} is not accepted");
            let clean = sanitize(&text, &secrets, 300);
            assert!(clean.contains("[redacted]"), "{echo}: {clean}");
            assert!(!clean.contains(&echo), "{echo}: {clean}");
            assert!(!clean.contains("w0rd") && !clean.contains("ent"), "{clean}");
        }
    }

    #[test]
    fn values_of_credential_parameters_are_blanked_whatever_their_length() {
        let body = "grant_type=password&username=al&password=ab&client_secret=x&refresh_token=r";
        let clean = sanitize(body, &["ab", "x", "r"], 300);
        assert_eq!(
            clean,
            "grant_type=password&username=al&password=[redacted]&client_secret=[redacted]&refresh_token=[redacted]"
        );
        let json = r#"{"password": "p", "client_assertion":"eyJ.x.y"}"#;
        let clean = sanitize(json, &[], 300);
        assert_eq!(
            clean,
            r#"{"password": "[redacted]", "client_assertion":"[redacted]"}"#
        );
        let body = "subject_token=s&subject_token_type=urn%3Ajwt&actor_token=a";
        assert_eq!(
            sanitize(body, &[], 300),
            "subject_token=[redacted]&subject_token_type=urn%3Ajwt&actor_token=[redacted]"
        );
        // The type parameter is not a credential, and other names merely containing one stay.
        let text = "client_assertion_type=urn%3Ajwt&my_password=shown";
        assert_eq!(sanitize(text, &[], 300), text);
    }

    #[test]
    fn the_basic_credential_is_blanked_as_base64_and_as_id_colon_secret() {
        let base64 = "aWQ6c2VjcmV0";
        let text = format!("Authorization: Basic {base64} / id:secret refused");
        let clean = sanitize(&text, &[base64, "id:secret"], 300);
        assert_eq!(
            clean,
            "Authorization: Basic [redacted] / [redacted] refused"
        );
    }

    #[test]
    fn huge_and_odd_input_is_bounded_and_never_panics() {
        let huge = "ü".repeat(100_000);
        assert_eq!(sanitize(&huge, &["üüüü"], 10), "[redacted]");
        assert_eq!(sanitize(&huge, &[], 3), "üüü…");
        assert_eq!(sanitize("%", &["abcd"], 10), "%");
        assert_eq!(sanitize("%zz+%4", &["abcd"], 10), "%zz+%4");
        assert_eq!(sanitize("password=", &[], 10), "password=");
    }
}
