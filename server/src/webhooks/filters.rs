//! OpenWA's webhook content filters: `{conditions: [{field, operator, value, caseSensitive?}]}`,
//! all of which must match (AND). Fields belong to an event family (`message` for `message.*`);
//! a condition on a field the fired event's family does not have is skipped.

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

/// Most conditions per webhook.
pub const MAX_CONDITIONS: usize = 20;
/// Most values per condition.
pub const MAX_VALUES: usize = 100;
/// Longest text value.
pub const MAX_TEXT: usize = 1000;

/// A webhook's filters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Filters {
    /// The conditions (AND).
    pub conditions: Vec<Condition>,
}

/// One condition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Condition {
    /// The field (`sender`, `recipient`, `body`, `type`, `isGroup`, `fromMe`, `hasMedia`,
    /// `mentions`).
    pub field: String,
    /// `is`, `isNot`, `contains` or `equals`, as the field allows.
    pub operator: String,
    /// A string, a list of strings or a boolean, as the field needs.
    pub value: Json,
    /// For text fields.
    #[serde(default)]
    pub case_sensitive: bool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Id,
    IdArray,
    Text,
    Enum,
    Boolean,
}

/// The message family's fields: name, kind, and the key of the webhook data they read.
const MESSAGE_FIELDS: &[(&str, Kind, &str)] = &[
    ("sender", Kind::Id, "from"),
    ("recipient", Kind::Id, "to"),
    ("body", Kind::Text, "body"),
    ("type", Kind::Enum, "type"),
    ("isGroup", Kind::Boolean, "chatId"),
    ("fromMe", Kind::Boolean, "fromMe"),
    ("hasMedia", Kind::Boolean, "hasMedia"),
    ("mentions", Kind::IdArray, "mentionedIds"),
];

fn field(name: &str) -> Option<(Kind, &'static str)> {
    MESSAGE_FIELDS
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, kind, key)| (*kind, *key))
}

fn operators(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Id | Kind::IdArray | Kind::Enum => &["is", "isNot"],
        Kind::Text => &["contains", "equals"],
        Kind::Boolean => &["is"],
    }
}

/// Checks filters as given; answers what is wrong.
pub fn validate(filters: &Filters) -> Result<(), String> {
    if filters.conditions.len() > MAX_CONDITIONS {
        return Err(format!("at most {MAX_CONDITIONS} filter conditions"));
    }
    for c in &filters.conditions {
        let Some((kind, _)) = field(&c.field) else {
            let known: Vec<_> = MESSAGE_FIELDS.iter().map(|f| f.0).collect();
            return Err(format!(
                "unknown filter field {:?}; known: {}",
                c.field,
                known.join(", ")
            ));
        };
        if !operators(kind).contains(&c.operator.as_str()) {
            return Err(format!(
                "field {:?} takes the operators {}",
                c.field,
                operators(kind).join(", ")
            ));
        }
        let ok = match (&c.value, kind) {
            (Json::Bool(_), Kind::Boolean) => true,
            (Json::String(s), Kind::Id | Kind::IdArray | Kind::Text | Kind::Enum) => {
                s.len() <= MAX_TEXT
            }
            (Json::Array(values), Kind::Id | Kind::IdArray | Kind::Enum) => {
                values.len() <= MAX_VALUES
                    && values
                        .iter()
                        .all(|v| v.as_str().is_some_and(|s| s.len() <= MAX_TEXT))
            }
            _ => false,
        };
        if !ok {
            return Err(format!(
                "filter value of {:?} has the wrong type or is too long",
                c.field
            ));
        }
    }
    Ok(())
}

/// The user part of an id, so `1555@c.us`, `1555@s.whatsapp.net` and `1555` compare equal.
fn id_key(id: &str) -> String {
    let (user, server) = id.split_once('@').unwrap_or((id, "c.us"));
    let server = if server == "s.whatsapp.net" {
        "c.us"
    } else {
        server
    };
    let user = user
        .split([':', '.'])
        .next()
        .unwrap_or(user)
        .trim_start_matches('+');
    format!("{user}@{server}")
}

fn strings(value: &Json) -> Vec<&str> {
    match value {
        Json::String(s) => vec![s.as_str()],
        Json::Array(values) => values.iter().filter_map(Json::as_str).collect(),
        _ => vec![],
    }
}

/// Whether webhook event `event` with `data` passes the filters.
pub fn matches(filters: &Filters, event: &str, data: &Json) -> bool {
    let family = event.split('.').next().unwrap_or(event);
    filters.conditions.iter().all(|c| {
        let Some((kind, key)) = field(&c.field) else {
            return true;
        };
        if family != "message" {
            return true;
        }
        let got = &data[key];
        match kind {
            Kind::Id => {
                let got = got.as_str().map(id_key);
                let hit = strings(&c.value)
                    .iter()
                    .any(|v| got.as_deref() == Some(id_key(v).as_str()));
                hit == (c.operator == "is")
            }
            Kind::IdArray => {
                let got: Vec<String> = strings(got).iter().map(|s| id_key(s)).collect();
                let hit = strings(&c.value).iter().any(|v| got.contains(&id_key(v)));
                hit == (c.operator == "is")
            }
            Kind::Enum => {
                let got = got.as_str().unwrap_or("");
                let hit = strings(&c.value).contains(&got);
                hit == (c.operator == "is")
            }
            Kind::Text => {
                let (got, want) = (got.as_str().unwrap_or(""), c.value.as_str().unwrap_or(""));
                let (got, want) = if c.case_sensitive {
                    (got.to_owned(), want.to_owned())
                } else {
                    (got.to_lowercase(), want.to_lowercase())
                };
                if c.operator == "contains" {
                    got.contains(&want)
                } else {
                    got == want
                }
            }
            Kind::Boolean => {
                let actual = if c.field == "isGroup" {
                    got.as_str().is_some_and(|chat| chat.ends_with("@g.us"))
                } else {
                    got.as_bool().unwrap_or(false)
                };
                c.value.as_bool() == Some(actual)
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn filters(value: Json) -> Filters {
        let filters: Filters = serde_json::from_value(value).unwrap();
        validate(&filters).unwrap();
        filters
    }

    #[test]
    fn conditions_and_together() {
        let data = json!({ "from": "1555@c.us", "chatId": "1555@c.us", "body": "URGENT: call",
                           "type": "text", "fromMe": false, "hasMedia": false });
        let urgent = filters(json!({ "conditions": [
            { "field": "body", "operator": "contains", "value": "urgent" },
            { "field": "sender", "operator": "is", "value": ["1555@s.whatsapp.net", "1666"] },
            { "field": "fromMe", "operator": "is", "value": false },
            { "field": "isGroup", "operator": "is", "value": false },
            { "field": "type", "operator": "isNot", "value": "image" },
        ]}));
        assert!(matches(&urgent, "message.received", &data));
        let case = filters(json!({ "conditions": [
            { "field": "body", "operator": "contains", "value": "urgent", "caseSensitive": true },
        ]}));
        assert!(!matches(&case, "message.received", &data));
        // Message fields do not apply to session events.
        assert!(matches(&case, "session.status", &json!({})));
        let other = filters(json!({ "conditions": [
            { "field": "sender", "operator": "isNot", "value": "1555" },
        ]}));
        assert!(!matches(&other, "message.received", &data));
    }

    #[test]
    fn bad_filters_are_refused() {
        for bad in [
            json!({ "conditions": [{ "field": "nope", "operator": "is", "value": "x" }] }),
            json!({ "conditions": [{ "field": "body", "operator": "is", "value": "x" }] }),
            json!({ "conditions": [{ "field": "fromMe", "operator": "is", "value": "yes" }] }),
        ] {
            let filters: Filters = serde_json::from_value(bad).unwrap();
            assert!(validate(&filters).is_err());
        }
    }
}
