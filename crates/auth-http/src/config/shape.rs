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
    parse: fn(Value) -> Result<AuthRecord, Misfit>,
}

const SHAPES: [Shape; 4] = [
    Shape {
        name: "Basic",
        fields: fields_of::<BasicRecord>,
        parse: |table| read(table).map(AuthRecord::Basic),
    },
    Shape {
        name: "Bearer",
        fields: fields_of::<BearerRecord>,
        parse: |table| read(table).map(AuthRecord::Bearer),
    },
    Shape {
        name: "self-signed JWT",
        fields: fields_of::<JwtRecord>,
        parse: |table| read(table).map(|record| AuthRecord::Jwt(Box::new(record))),
    },
    Shape {
        name: "OAuth2",
        fields: fields_of::<OAuth2Record>,
        parse: |table| {
            let record: OAuth2Record = read(table)?;
            if record.token_url.is_none() && record.refresh_url.is_none() {
                return Err(Misfit::Missing(
                    "missing `token_url` (or `refresh_url` for the refresh-token grant)"
                        .to_owned(),
                ));
            }
            Ok(AuthRecord::OAuth2(Box::new(record)))
        },
    },
];

/// Deserializes a record, telling a missing field from a bad value.
fn read<T: for<'de> Deserialize<'de>>(table: Value) -> Result<T, Misfit> {
    serde_json::from_value(table).map_err(|e| {
        let message = e.to_string();
        if message.starts_with("missing field") {
            Misfit::Missing(message)
        } else {
            Misfit::Invalid(message)
        }
    })
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
        let extra: Vec<&str> = keys.iter().copied().filter(|k| !fields.contains(k)).collect();
        let known: Map<String, Value> = table
            .iter()
            .filter(|(k, _)| fields.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let outcome = (shape.parse)(Value::Object(known));
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
                format!("has the unknown field{} {}", plural(&unknown), quoted(&unknown))
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
    fn field_lists_come_from_the_records_with_their_aliases() {
        assert_eq!(fields_of::<BasicRecord>(), ["username", "password"]);
        let oauth2 = fields_of::<OAuth2Record>();
        assert!(oauth2.contains(&"token_url") && oauth2.contains(&"tokenUrl"), "{oauth2:?}");
        let jwt = fields_of::<JwtRecord>();
        assert!(jwt.contains(&"signatureConfig") && jwt.contains(&"exp_time"), "{jwt:?}");
    }
}
