//! Choosing the provider an `[auth]` table describes by its shape, as Ballerina's closed
//! `auth` records are chosen: the table must deserialize into exactly one shape's record. The
//! field lists in errors come from the records' own serde definitions.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use serde_json::{Map, Value};

use super::records::{BasicRecord, BearerRecord, JwtRecord, OAuth2Record};

/// An `[auth]` table read into the record of its shape.
pub(crate) enum AuthRecord {
    Basic(BasicRecord),
    Bearer(BearerRecord),
    Jwt(Box<JwtRecord>),
    OAuth2(Box<OAuth2Record>),
}

/// Why a table does not fit a shape.
enum Misfit {
    /// Fields the shape needs are absent.
    Missing(String),
    /// The fields fit, a value does not (a number for a string, say).
    Invalid(String),
}

struct Shape {
    name: &'static str,
    fields: fn() -> &'static [&'static str],
    required: fn() -> Vec<&'static str>,
    /// A rule serde cannot state: at least one of these fields.
    one_of: &'static [&'static str],
    parse: fn(Value) -> Result<AuthRecord, Misfit>,
}

const SHAPES: [Shape; 4] = [
    Shape {
        name: "Basic",
        fields: fields_of::<BasicRecord>,
        required: required_of::<BasicRecord>,
        one_of: &[],
        parse: |table| read(table).map(AuthRecord::Basic),
    },
    Shape {
        name: "Bearer",
        fields: fields_of::<BearerRecord>,
        required: required_of::<BearerRecord>,
        one_of: &[],
        parse: |table| read(table).map(AuthRecord::Bearer),
    },
    Shape {
        name: "self-signed JWT",
        fields: fields_of::<JwtRecord>,
        required: required_of::<JwtRecord>,
        one_of: &[],
        parse: |table| read(table).map(|record| AuthRecord::Jwt(Box::new(record))),
    },
    Shape {
        name: "OAuth2",
        fields: fields_of::<OAuth2Record>,
        required: required_of::<OAuth2Record>,
        // `token_url` (or `issuer_url`, to discover it) for most grants, `refresh_url` for the
        // refresh-token grant.
        one_of: &["token_url", "issuer_url", "refresh_url"],
        parse: |table| read(table).map(|record| AuthRecord::OAuth2(Box::new(record))),
    },
];

/// Deserializes the record of a shape the table fits (its fields are present): any error is
/// a bad value, including a field missing inside a nested table.
fn read<T: for<'de> Deserialize<'de>>(table: Value) -> Result<T, Misfit> {
    serde_json::from_value(table).map_err(|e| Misfit::Invalid(e.to_string()))
}

/// Reads an `[auth]` table into the record of the one shape it fits.
///
/// A table fits a shape when it has no field the shape does not take and every field the
/// shape needs. When exactly one shape fits, that shape's record is read (and a bad value is
/// reported as that shape's error); otherwise the error lists, per shape, what was extra or
/// missing.
pub(crate) fn select(table: Map<String, Value>) -> Result<AuthRecord, String> {
    if table.is_empty() {
        return Err("is empty; give the fields of one auth kind (see `authc example`)".to_owned());
    }
    let keys: Vec<&str> = table.keys().map(String::as_str).collect();
    let mut fitting = Vec::new();
    let mut misfits = Vec::new();
    for shape in &SHAPES {
        let fields = (shape.fields)();
        let extra: Vec<&str> = keys
            .iter()
            .copied()
            .filter(|k| !fields.contains(k))
            .collect();
        // Presence decides the fit, values do not: a field a shape needs is present when the
        // table has it under its name or its camelCase alias.
        let present: Vec<String> = keys.iter().map(|k| snake_case(k)).collect();
        let has = |field: &str| present.iter().any(|p| p == field);
        let mut missing: Vec<String> = (shape.required)()
            .into_iter()
            .filter(|r| !has(r))
            .map(|r| format!("`{r}`"))
            .collect();
        if !shape.one_of.is_empty() && !shape.one_of.iter().any(|f| has(f)) {
            missing.push(quoted(shape.one_of).replace(", ", " or "));
        }
        let known: Map<String, Value> = table
            .iter()
            .filter(|(k, _)| fields.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let outcome = if missing.is_empty() {
            (shape.parse)(Value::Object(known))
        } else {
            Err(Misfit::Missing(format!("missing {}", missing.join(", "))))
        };
        if extra.is_empty() && !matches!(outcome, Err(Misfit::Missing(_))) {
            fitting.push((shape, outcome));
            continue;
        }
        let mut why = Vec::new();
        if !extra.is_empty() {
            why.push(format!("takes no {}", quoted(&extra)));
        }
        if let Err(Misfit::Missing(missing)) = outcome {
            why.push(missing);
        }
        misfits.push(format!("{}: {}", shape.name, why.join(", ")));
    }
    match fitting.len() {
        1 => {
            let (shape, outcome) = fitting.remove(0);
            outcome.map_err(|misfit| match misfit {
                Misfit::Missing(message) | Misfit::Invalid(message) => {
                    format!("{} config: {message}", shape.name)
                }
            })
        }
        0 => {
            let unknown: Vec<&str> = keys
                .iter()
                .copied()
                .filter(|k| SHAPES.iter().all(|s| !(s.fields)().contains(k)))
                .collect();
            let what = if unknown.is_empty() {
                "fits no auth shape".to_owned()
            } else {
                format!(
                    "has the unknown field{} {}",
                    plural(&unknown),
                    quoted(&unknown)
                )
            };
            Err(format!("{what}; shapes considered: {}", misfits.join("; ")))
        }
        _ => {
            let names: Vec<&str> = fitting.iter().map(|(shape, _)| shape.name).collect();
            Err(format!(
                "is ambiguous: it fits {}; add the fields that pick one",
                names.join(" and ")
            ))
        }
    }
}

/// A field name as the records spell it: Ballerina's camelCase aliases are the snake_case
/// names with each `_x` written `X`.
fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The fields a record cannot do without, learned from serde: read the record from a table
/// of placeholder values, note the field serde says is missing, add it, and repeat.
fn required_of<T: for<'de> Deserialize<'de>>() -> Vec<&'static str> {
    let fields = fields_of::<T>();
    let mut required: Vec<&'static str> = Vec::new();
    while required.len() < fields.len() {
        let table = Placeholders(required.clone().into_iter());
        let Err(error) = T::deserialize(de::value::MapAccessDeserializer::new(table)) else {
            break;
        };
        let message = error.to_string();
        let missing = message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next());
        match missing.and_then(|name| fields.iter().find(|f| **f == name)) {
            Some(field) if !required.contains(field) => required.push(field),
            _ => break,
        }
    }
    required
}

/// A table whose fields hold [`Placeholder`]s.
struct Placeholders(std::vec::IntoIter<&'static str>);

impl<'de> de::MapAccess<'de> for Placeholders {
    type Error = de::value::Error;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        use serde::de::IntoDeserializer as _;
        self.0
            .next()
            .map(|name| seed.deserialize(name.into_deserializer()))
            .transpose()
    }

    fn next_value_seed<V: de::DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, Self::Error> {
        seed.deserialize(Placeholder)
    }
}

/// A value that reads as an empty string, an empty table or `Some` of itself: enough for the
/// types of the fields a record requires (names, secrets, tables).
struct Placeholder;

impl<'de> Deserializer<'de> for Placeholder {
    type Error = de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_str("")
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_some(self)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_map(Placeholders(Vec::new().into_iter()))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.deserialize_map(visitor)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct newtype_struct seq tuple tuple_struct enum identifier ignored_any
    }
}

fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn plural(names: &[&str]) -> &'static str {
    if names.len() == 1 { "" } else { "s" }
}

/// The field names (aliases included) a serde-derived struct accepts, read from the list
/// serde hands to `deserialize_struct`.
fn fields_of<T: for<'de> Deserialize<'de>>() -> &'static [&'static str] {
    let recorder = FieldRecorder::default();
    let _ = T::deserialize(&recorder);
    recorder.fields.get()
}

#[derive(Default)]
struct FieldRecorder {
    fields: std::cell::Cell<&'static [&'static str]>,
}

/// The recorder's only error: it stops every deserialization at once.
#[derive(Debug)]
struct Recorded;

impl fmt::Display for Recorded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("field list recorded")
    }
}

impl std::error::Error for Recorded {}

impl de::Error for Recorded {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Self
    }
}

impl<'de> Deserializer<'de> for &FieldRecorder {
    type Error = Recorded;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Recorded> {
        Err(Recorded)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Recorded> {
        self.fields.set(fields);
        Err(Recorded)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_fields_come_from_the_records() {
        assert_eq!(required_of::<BasicRecord>(), ["username", "password"]);
        assert_eq!(required_of::<BearerRecord>(), ["token"]);
        assert_eq!(required_of::<JwtRecord>(), ["signature_config"]);
        assert!(required_of::<OAuth2Record>().is_empty());
        assert_eq!(snake_case("signatureConfig"), "signature_config");
    }

    #[test]
    fn field_lists_come_from_the_records_with_their_aliases() {
        assert_eq!(fields_of::<BasicRecord>(), ["username", "password"]);
        let oauth2 = fields_of::<OAuth2Record>();
        assert!(
            oauth2.contains(&"token_url") && oauth2.contains(&"tokenUrl"),
            "{oauth2:?}"
        );
        let jwt = fields_of::<JwtRecord>();
        assert!(
            jwt.contains(&"signatureConfig") && jwt.contains(&"exp_time"),
            "{jwt:?}"
        );
    }
}
