//! What a method answers, typed: each answer type knows the JSON Schema of its `result`, so the
//! OpenAPI document says what every operation returns, and the API suites check every answer
//! they see against it.

use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{Value, json};

/// A method's answer and the schema of its JSON form.
pub trait Answer: Serialize {
    fn schema() -> Value;
}

impl Answer for bool {
    fn schema() -> Value {
        json!({"type": "boolean"})
    }
}

impl Answer for i64 {
    fn schema() -> Value {
        json!({"type": "integer"})
    }
}

impl Answer for u64 {
    fn schema() -> Value {
        json!({"type": "integer", "minimum": 0})
    }
}

/// A key BoxBilling always answers as null.
impl Answer for () {
    fn schema() -> Value {
        json!({"type": "null"})
    }
}

/// Free-form settings a record carries (an order's `config`, `meta`).
impl Answer for serde_json::Map<String, Value> {
    fn schema() -> Value {
        json!({"type": "object"})
    }
}

impl Answer for String {
    fn schema() -> Value {
        json!({"type": "string"})
    }
}

impl Answer for &'static str {
    fn schema() -> Value {
        json!({"type": "string"})
    }
}

/// Money answers as BoxBilling's decimal text (`"10.00"`).
impl Answer for Decimal {
    fn schema() -> Value {
        json!({"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?$"})
    }
}

/// Null or the value; `anyOf`, since the value's own schema may admit null too.
impl<T: Answer> Answer for Option<T> {
    fn schema() -> Value {
        json!({"anyOf": [{"type": "null"}, T::schema()]})
    }
}

impl<T: Answer> Answer for Vec<T> {
    fn schema() -> Value {
        json!({"type": "array", "items": T::schema()})
    }
}

/// A map by name (a product's prices by period).
impl<T: Answer> Answer for std::collections::BTreeMap<String, T> {
    fn schema() -> Value {
        json!({"type": "object", "additionalProperties": T::schema()})
    }
}

/// An answer whose shape is not declared yet: any JSON.
impl Answer for Value {
    fn schema() -> Value {
        json!({})
    }
}

/// One of two shapes, as BoxBilling answers some methods (a transfer code or `true`, a panel's
/// record or the message of a softened failure).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum OneOf<A, B> {
    First(A),
    Second(B),
}

impl<A: Answer, B: Answer> Answer for OneOf<A, B> {
    fn schema() -> Value {
        json!({"anyOf": [A::schema(), B::schema()]})
    }
}

/// An external system's own answer, passed on as it came (a plugin's result, a panel's
/// account data): any JSON, and the schema says so rather than nothing.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Relayed(pub Value);

impl Answer for Relayed {
    fn schema() -> Value {
        json!({
            "description": "The external system's own answer, passed on unchanged.",
            "anyOf": [
                {"type": "object"}, {"type": "array", "items": {}}, {"type": "string"},
                {"type": "number"}, {"type": "boolean"}, {"type": "null"}
            ]
        })
    }
}

/// A map in the order given, which BoxBilling's `json_encode` prints as `[]` when it is empty
/// (the `get_pairs` answers, an order's `meta`).
#[derive(Debug, Clone, PartialEq)]
pub struct PhpMap<V>(pub Vec<(String, V)>);

impl<V: Serialize> Serialize for PhpMap<V> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        if self.0.is_empty() {
            return serializer.collect_seq(std::iter::empty::<V>());
        }
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl<V: Answer> Answer for PhpMap<V> {
    fn schema() -> Value {
        // `items` too, though the array is always empty: generators refuse an array without it.
        json!({"type": ["object", "array"], "additionalProperties": V::schema(), "maxItems": 0, "items": {}})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_php_map_is_an_empty_array() {
        let empty: PhpMap<String> = PhpMap(Vec::new());
        assert_eq!(serde_json::to_string(&empty).unwrap(), "[]");
        let pairs = PhpMap(vec![
            ("2".to_string(), "b".to_string()),
            ("1".to_string(), "a".to_string()),
        ]);
        assert_eq!(serde_json::to_string(&pairs).unwrap(), r#"{"2":"b","1":"a"}"#);
    }

    #[test]
    fn composite_schemas_nest_their_parts() {
        assert_eq!(
            <Vec<Option<i64>>>::schema(),
            json!({"type": "array", "items": {"anyOf": [{"type": "null"}, {"type": "integer"}]}})
        );
        assert_eq!(<Value>::schema(), json!({}));
    }
}
