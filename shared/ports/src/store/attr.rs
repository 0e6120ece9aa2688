//! Attribute values and the bridge between serde records and store items.

use super::StoreError;
use serde::{Serialize, de::DeserializeOwned};
use serde_json::{Map, Number, Value};
use std::collections::BTreeMap;

/// An item: attribute name → value.
pub type Item = BTreeMap<String, Attr>;

/// A DynamoDB attribute value (the subset this project uses). Numbers keep their decimal text.
#[derive(Clone, Debug, PartialEq)]
pub enum Attr {
    S(String),
    N(String),
    Bool(bool),
    Null,
    L(Vec<Attr>),
    M(BTreeMap<String, Attr>),
}

impl Attr {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Attr::S(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Attr::N(n) => n.parse().ok(),
            _ => None,
        }
    }
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Attr::Bool(b) => Some(*b),
            _ => None,
        }
    }
    pub fn as_list(&self) -> Option<&[Attr]> {
        match self {
            Attr::L(l) => Some(l),
            _ => None,
        }
    }

    /// The tagged JSON form used to persist items outside DynamoDB (`{"S": "x"}` etc.).
    pub fn to_tagged(&self) -> Value {
        let (tag, inner) = match self {
            Attr::S(s) => ("S", Value::String(s.clone())),
            Attr::N(n) => ("N", Value::String(n.clone())),
            Attr::Bool(b) => ("BOOL", Value::Bool(*b)),
            Attr::Null => ("NULL", Value::Bool(true)),
            Attr::L(l) => ("L", Value::Array(l.iter().map(Attr::to_tagged).collect())),
            Attr::M(m) => (
                "M",
                Value::Object(m.iter().map(|(k, v)| (k.clone(), v.to_tagged())).collect()),
            ),
        };
        let mut map = Map::new();
        map.insert(tag.into(), inner);
        Value::Object(map)
    }

    pub fn from_tagged(value: &Value) -> Result<Attr, StoreError> {
        let bad = || StoreError::Invalid(format!("not a tagged attribute: {value}"));
        let (tag, inner) = value.as_object().and_then(|m| m.iter().next()).ok_or_else(bad)?;
        Ok(match (tag.as_str(), inner) {
            ("S", Value::String(s)) => Attr::S(s.clone()),
            ("N", Value::String(n)) => Attr::N(n.clone()),
            ("BOOL", Value::Bool(b)) => Attr::Bool(*b),
            ("NULL", _) => Attr::Null,
            ("L", Value::Array(l)) => Attr::L(l.iter().map(Attr::from_tagged).collect::<Result<_, _>>()?),
            ("M", Value::Object(m)) => Attr::M(
                m.iter()
                    .map(|(k, v)| Ok((k.clone(), Attr::from_tagged(v)?)))
                    .collect::<Result<_, StoreError>>()?,
            ),
            _ => return Err(bad()),
        })
    }

    /// JSON → attribute: numbers become N (their exact text), everything else maps directly.
    pub fn from_json(value: &Value) -> Attr {
        match value {
            Value::Null => Attr::Null,
            Value::Bool(b) => Attr::Bool(*b),
            Value::Number(n) => Attr::N(n.to_string()),
            Value::String(s) => Attr::S(s.clone()),
            Value::Array(l) => Attr::L(l.iter().map(Attr::from_json).collect()),
            Value::Object(m) => Attr::M(m.iter().map(|(k, v)| (k.clone(), Attr::from_json(v))).collect()),
        }
    }

    /// Attribute → JSON. N holds integers in this project (money is kept as decimal text in S),
    /// so a number that is not an integer is handed over as its text rather than as a float.
    pub fn to_json(&self) -> Value {
        match self {
            Attr::S(s) => Value::String(s.clone()),
            Attr::N(n) => {
                if let Ok(i) = n.parse::<i64>() {
                    Value::Number(i.into())
                } else if let Ok(u) = n.parse::<u64>() {
                    Value::Number(Number::from(u))
                } else {
                    Value::String(n.clone())
                }
            }
            Attr::Bool(b) => Value::Bool(*b),
            Attr::Null => Value::Null,
            Attr::L(l) => Value::Array(l.iter().map(Attr::to_json).collect()),
            Attr::M(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect()),
        }
    }
}

/// Attributes read straight from their tagged JSON form (`{"S": "..."}`, as the embedded store
/// keeps items), without a `serde_json::Value` between: decoding stored items is most of a
/// list read's time.
pub struct Tagged(pub Attr);

impl<'de> serde::Deserialize<'de> for Tagged {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::{Error, IgnoredAny, MapAccess, Visitor};
        struct TagVisitor;
        impl<'de> Visitor<'de> for TagVisitor {
            type Value = Tagged;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a tagged attribute")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Tagged, A::Error> {
                let tag: String = map
                    .next_key()?
                    .ok_or_else(|| A::Error::custom("an attribute without its tag"))?;
                let attr = match tag.as_str() {
                    "S" => Attr::S(map.next_value()?),
                    "N" => Attr::N(map.next_value()?),
                    "BOOL" => Attr::Bool(map.next_value()?),
                    "NULL" => {
                        map.next_value::<IgnoredAny>()?;
                        Attr::Null
                    }
                    "L" => Attr::L(map.next_value::<Vec<Tagged>>()?.into_iter().map(|t| t.0).collect()),
                    "M" => Attr::M(map.next_value::<TaggedItem>()?.0),
                    other => return Err(A::Error::custom(format!("not a tagged attribute: {other}"))),
                };
                if map.next_key::<IgnoredAny>()?.is_some() {
                    return Err(A::Error::custom("an attribute with two tags"));
                }
                Ok(Tagged(attr))
            }
        }
        deserializer.deserialize_map(TagVisitor)
    }
}

/// An item (or a map attribute) read from tagged JSON, see [`Tagged`].
pub struct TaggedItem(pub Item);

impl<'de> serde::Deserialize<'de> for TaggedItem {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let attrs = BTreeMap::<String, Tagged>::deserialize(deserializer)?;
        Ok(TaggedItem(attrs.into_iter().map(|(k, v)| (k, v.0)).collect()))
    }
}

impl From<&str> for Attr {
    fn from(s: &str) -> Self {
        Attr::S(s.to_string())
    }
}
impl From<String> for Attr {
    fn from(s: String) -> Self {
        Attr::S(s)
    }
}
impl From<&String> for Attr {
    fn from(s: &String) -> Self {
        Attr::S(s.clone())
    }
}
impl From<i64> for Attr {
    fn from(n: i64) -> Self {
        Attr::N(n.to_string())
    }
}
impl From<bool> for Attr {
    fn from(b: bool) -> Self {
        Attr::Bool(b)
    }
}
impl<T: Into<Attr>> From<Option<T>> for Attr {
    fn from(v: Option<T>) -> Self {
        v.map_or(Attr::Null, Into::into)
    }
}

/// Serialises a record into an item (its fields become attributes). Null fields are dropped:
/// DynamoDB items do not need them, and absent reads back as `None`.
pub fn to_item<T: Serialize>(record: &T) -> Result<Item, StoreError> {
    match serde_json::to_value(record) {
        Ok(Value::Object(map)) => Ok(map
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| (k.clone(), Attr::from_json(v)))
            .collect()),
        Ok(other) => Err(StoreError::Invalid(format!("record is not an object: {other}"))),
        Err(e) => Err(StoreError::Invalid(format!("record does not serialise: {e}"))),
    }
}

/// Reads a record back from an item; unknown attributes (keys, counters) are ignored.
pub fn from_item<T: DeserializeOwned>(item: &Item) -> Result<T, StoreError> {
    let map: Map<String, Value> = item.iter().map(|(k, v)| (k.clone(), v.to_json())).collect();
    serde_json::from_value(Value::Object(map))
        .map_err(|e| StoreError::Unavailable(format!("stored item does not match its record type: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tagged_json_reads_back_as_the_item_it_was_written_from() {
        let item: Item = BTreeMap::from([
            ("s".to_string(), Attr::S("text \"quoted\"".into())),
            ("n".to_string(), Attr::N("-42".into())),
            ("b".to_string(), Attr::Bool(true)),
            ("z".to_string(), Attr::Null),
            (
                "l".to_string(),
                Attr::L(vec![
                    Attr::N("1".into()),
                    Attr::M(BTreeMap::from([("k".into(), Attr::S("v".into()))])),
                ]),
            ),
        ]);
        let text = Value::Object(item.iter().map(|(k, v)| (k.clone(), v.to_tagged())).collect()).to_string();
        let read: TaggedItem = serde_json::from_str(&text).unwrap();
        assert_eq!(read.0, item);
        assert!(
            serde_json::from_str::<TaggedItem>(r#"{"a": {"X": 1}}"#).is_err(),
            "unknown tag"
        );
        assert!(
            serde_json::from_str::<TaggedItem>(r#"{"a": {"S": "x", "N": "1"}}"#).is_err(),
            "two tags"
        );
        assert!(serde_json::from_str::<TaggedItem>(r#"{"a": {}}"#).is_err(), "no tag");
    }
}
