//! Request parameters: the three wire encodings into one map, and typed extraction from it.
//!
//! BoxBilling clients send form bodies with PHP bracket notation, JSON objects (whatever the
//! Content-Type) or query strings; all become one JSON object. Methods then declare a params
//! struct with `#[derive(Params)]`, which checks required parameters in field order with the
//! method's own texts and converts PHP-loose values ("1", 1, true) into Rust types.

use bb_ports::error::ApiError;
use rust_decimal::Decimal;
use serde_json::{Map, Value};
use std::str::FromStr;

pub use bb_domain::patch::Patch;
use bb_domain::service::OrderRef;
pub use bb_domain::settings::is_truthy;
pub use bb_macros::Params;

/// Raw parameters of a call.
pub type ParamMap = Map<String, Value>;

/// Deepest bracket nesting accepted in form keys (`a[b][c]`...).
const MAX_DEPTH: usize = 8;

/// Parses a body as BoxBilling does, with our stricter rejection of malformed input:
/// a JSON object (any Content-Type) or a form body; anything else is `Malformed request`.
pub fn parse_body(content_type: Option<&str>, body: &[u8]) -> Result<ParamMap, ApiError> {
    let text = std::str::from_utf8(body).map_err(|_| ApiError::malformed())?;
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Ok(ParamMap::new());
    }
    let mime = content_type
        .and_then(|c| c.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let looks_json = trimmed.starts_with('{') || trimmed.starts_with('[');
    if mime == "application/json" || mime.ends_with("+json") || looks_json {
        return match serde_json::from_str::<Value>(trimmed) {
            Ok(Value::Object(map)) => Ok(map),
            _ => Err(ApiError::malformed()),
        };
    }
    if mime == "multipart/form-data" {
        let boundary = content_type
            .and_then(multipart_boundary)
            .ok_or_else(ApiError::malformed)?;
        return parse_multipart(text, &boundary);
    }
    parse_form(text)
}

/// Parses `a=1&b[c][]=2` into nested JSON, as PHP fills `$_GET`/`$_POST`.
pub fn parse_form(text: &str) -> Result<ParamMap, ApiError> {
    let mut out = ParamMap::new();
    for pair in text.split('&').filter(|p| !p.is_empty()) {
        let (raw_key, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = decode_component(raw_key)?;
        let value = decode_component(raw_value)?;
        insert_bracketed(&mut out, &key, Value::String(value))?;
    }
    Ok(out)
}

fn decode_component(raw: &str) -> Result<String, ApiError> {
    let spaced = raw.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8()
        .map(|c| c.into_owned())
        .map_err(|_| ApiError::malformed())
}

/// Inserts `value` under a PHP-style key: `name`, `name[]`, `name[k]`, `name[k][]`...
pub fn insert_bracketed(out: &mut ParamMap, key: &str, value: Value) -> Result<(), ApiError> {
    let (head, mut rest) = match key.find('[') {
        Some(i) if i > 0 && key.ends_with(']') => (&key[..i], &key[i..]),
        _ => {
            out.insert(key.to_string(), value);
            return Ok(());
        }
    };
    let mut path = Vec::new();
    while let Some(stripped) = rest.strip_prefix('[') {
        let end = stripped.find(']').ok_or_else(ApiError::malformed)?;
        path.push(stripped[..end].to_string());
        rest = &stripped[end + 1..];
        if path.len() > MAX_DEPTH {
            return Err(ApiError::malformed());
        }
    }
    if !rest.is_empty() {
        // PHP keeps a malformed bracket key as a plain name.
        out.insert(key.to_string(), value);
        return Ok(());
    }
    let slot = out.entry(head.to_string()).or_insert_with(|| Value::Object(Map::new()));
    place(slot, &path, value);
    Ok(())
}

fn place(slot: &mut Value, path: &[String], value: Value) {
    let Some((first, rest)) = path.split_first() else {
        *slot = value;
        return;
    };
    if first.is_empty() {
        // `[]` appends.
        if !slot.is_array() {
            *slot = Value::Array(Vec::new());
        }
        if let Value::Array(list) = slot {
            list.push(Value::Null);
            if let Some(last) = list.last_mut() {
                place(last, rest, value);
            }
        }
        return;
    }
    if !slot.is_object() {
        *slot = Value::Object(Map::new());
    }
    if let Value::Object(map) = slot {
        let child = map.entry(first.clone()).or_insert(Value::Null);
        place(child, rest, value);
    }
}

fn multipart_boundary(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|part| {
        let (k, v) = part.trim().split_once('=')?;
        k.eq_ignore_ascii_case("boundary")
            .then(|| v.trim_matches('"').to_string())
    })
}

/// Text fields of a multipart/form-data body (what FormData sends); file parts are ignored.
fn parse_multipart(text: &str, boundary: &str) -> Result<ParamMap, ApiError> {
    let delimiter = format!("--{boundary}");
    let mut out = ParamMap::new();
    let mut parts = text.split(delimiter.as_str());
    parts.next(); // preamble
    for part in parts {
        if part.starts_with("--") {
            break;
        }
        let part = part.strip_prefix("\r\n").unwrap_or(part);
        let (head, body) = part.split_once("\r\n\r\n").ok_or_else(ApiError::malformed)?;
        let body = body.strip_suffix("\r\n").unwrap_or(body);
        let disposition = head
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("content-disposition:"))
            .ok_or_else(ApiError::malformed)?;
        if disposition.contains("filename=") {
            continue;
        }
        let name = disposition
            .split(';')
            .find_map(|p| p.trim().strip_prefix("name="))
            .map(|n| n.trim_matches('"').to_string())
            .ok_or_else(ApiError::malformed)?;
        insert_bracketed(&mut out, &name, Value::String(body.to_string()))?;
    }
    Ok(out)
}

/// BoxBilling's generic required check: absent, null, blank string, `false` or an empty
/// array/object fail; numeric zero passes.
pub fn is_missing(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) | Some(Value::Bool(false)) => true,
        Some(Value::String(s)) => s.trim().is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        Some(Value::Object(o)) => o.is_empty(),
        Some(Value::Number(_)) | Some(Value::Bool(true)) => false,
    }
}

/// The JSON-schema type of a parameter, for the OpenAPI document.
#[derive(Debug, Clone, PartialEq)]
pub enum ParamType {
    String,
    Integer,
    Boolean,
    Decimal,
    Object,
    Any,
    Array(Box<ParamType>),
}

impl ParamType {
    pub fn json_schema(&self) -> Value {
        match self {
            ParamType::String => serde_json::json!({"type": "string"}),
            ParamType::Integer => serde_json::json!({"type": "integer"}),
            ParamType::Boolean => serde_json::json!({"type": "boolean"}),
            ParamType::Decimal => {
                serde_json::json!({"type": "string", "format": "decimal", "pattern": "^-?[0-9]+(\\.[0-9]+)?$"})
            }
            ParamType::Object => serde_json::json!({"type": "object"}),
            ParamType::Any => serde_json::json!({}),
            ParamType::Array(inner) => {
                serde_json::json!({"type": "array", "items": inner.json_schema()})
            }
        }
    }
}

/// One declared parameter of a method.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamInfo {
    pub name: &'static str,
    pub ty: ParamType,
    pub required: bool,
    pub doc: &'static str,
    pub aliases: &'static [&'static str],
}

/// A method's typed parameters (implemented by `#[derive(Params)]`).
pub trait Params: Sized + Send + 'static {
    fn from_params(params: &ParamMap) -> Result<Self, ApiError>;
    fn describe() -> Vec<ParamInfo>;
}

/// For methods without parameters (unknown parameters are ignored, as in BoxBilling).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoParams;

impl Params for NoParams {
    fn from_params(_: &ParamMap) -> Result<Self, ApiError> {
        Ok(NoParams)
    }
    fn describe() -> Vec<ParamInfo> {
        Vec::new()
    }
}

/// Conversion of one loosely typed parameter value into a field type.
pub trait FromParam: Sized {
    fn from_param(name: &str, value: Option<&Value>) -> Result<Self, ApiError>;
    fn param_type() -> ParamType;
}

fn type_error(name: &str, what: &str) -> ApiError {
    ApiError::new(format!("Parameter {name} must be {what}"))
}

fn required_error(name: &str) -> ApiError {
    ApiError::new(format!("Parameter {name} is required"))
}

impl FromParam for String {
    fn from_param(name: &str, value: Option<&Value>) -> Result<Self, ApiError> {
        match value {
            Some(Value::String(s)) => Ok(s.clone()),
            Some(Value::Number(n)) => Ok(n.to_string()),
            Some(Value::Bool(b)) => Ok(if *b { "1".into() } else { String::new() }),
            None | Some(Value::Null) => Err(required_error(name)),
            Some(_) => Err(type_error(name, "a string")),
        }
    }
    fn param_type() -> ParamType {
        ParamType::String
    }
}

/// Trimmed and lower-cased as it is read.
impl FromParam for bb_domain::validate::GivenEmail {
    fn from_param(name: &str, value: Option<&Value>) -> Result<Self, ApiError> {
        String::from_param(name, value).map(|text| bb_domain::validate::GivenEmail::new(&text))
    }
    fn param_type() -> ParamType {
        ParamType::String
    }
}

impl FromParam for i64 {
    fn from_param(name: &str, value: Option<&Value>) -> Result<Self, ApiError> {
        let err = || type_error(name, "an integer");
        match value {
            Some(Value::Number(n)) => n
                .as_i64()
                .or_else(|| {
                    n.as_f64()
                        .filter(|f| f.fract() == 0.0 && f.abs() < 9e15)
                        .map(|f| f as i64)
                })
                .ok_or_else(err),
            Some(Value::String(s)) => s.trim().parse::<i64>().map_err(|_| err()),
            Some(Value::Bool(b)) => Ok(i64::from(*b)),
            None | Some(Value::Null) => Err(required_error(name)),
            Some(_) => Err(err()),
        }
    }
    fn param_type() -> ParamType {
        ParamType::Integer
    }
}

impl FromParam for bool {
    fn from_param(name: &str, value: Option<&Value>) -> Result<Self, ApiError> {
        match value {
            None | Some(Value::Null) => Err(required_error(name)),
            Some(v @ (Value::Array(_) | Value::Object(_))) if !is_missing(Some(v)) => {
                Err(type_error(name, "a boolean"))
            }
            Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(false),
            Some(v) => Ok(is_truthy(v)),
        }
    }
    fn param_type() -> ParamType {
        ParamType::Boolean
    }
}

impl FromParam for Decimal {
    fn from_param(name: &str, value: Option<&Value>) -> Result<Self, ApiError> {
        let err = || type_error(name, "a decimal number");
        let text = match value {
            Some(Value::Number(n)) => n.to_string(),
            Some(Value::String(s)) => s.trim().to_string(),
            None | Some(Value::Null) => return Err(required_error(name)),
            Some(_) => return Err(err()),
        };
        // Plain decimal notation only: no exponents, no thousands separators.
        let plain = text.strip_prefix('-').unwrap_or(&text).split_once('.').map_or(
            text.chars().all(|c| c.is_ascii_digit()) && !text.is_empty(),
            |(i, f)| !i.is_empty() && i.chars().all(|c| c.is_ascii_digit()) && f.chars().all(|c| c.is_ascii_digit()),
        );
        if !plain {
            return Err(err());
        }
        Decimal::from_str(&text).map_err(|_| err())
    }
    fn param_type() -> ParamType {
        ParamType::Decimal
    }
}

impl FromParam for Value {
    fn from_param(_: &str, value: Option<&Value>) -> Result<Self, ApiError> {
        Ok(value.cloned().unwrap_or(Value::Null))
    }
    fn param_type() -> ParamType {
        ParamType::Any
    }
}

impl FromParam for ParamMap {
    fn from_param(name: &str, value: Option<&Value>) -> Result<Self, ApiError> {
        match value {
            Some(Value::Object(m)) => Ok(m.clone()),
            Some(Value::Array(a)) if a.is_empty() => Ok(ParamMap::new()),
            None | Some(Value::Null) => Err(required_error(name)),
            Some(_) => Err(type_error(name, "an object")),
        }
    }
    fn param_type() -> ParamType {
        ParamType::Object
    }
}

impl<T: FromParam> FromParam for Vec<T> {
    fn from_param(name: &str, value: Option<&Value>) -> Result<Self, ApiError> {
        match value {
            Some(Value::Array(items)) => items.iter().map(|v| T::from_param(name, Some(v))).collect(),
            // PHP arrays with explicit keys (`ids[0]=1`) arrive as objects.
            Some(Value::Object(items)) => items.values().map(|v| T::from_param(name, Some(v))).collect(),
            None | Some(Value::Null) => Err(required_error(name)),
            Some(single) => Ok(vec![T::from_param(name, Some(single))?]),
        }
    }
    fn param_type() -> ParamType {
        ParamType::Array(Box::new(T::param_type()))
    }
}

impl<T: FromParam> FromParam for Option<T> {
    fn from_param(name: &str, value: Option<&Value>) -> Result<Self, ApiError> {
        match value {
            None | Some(Value::Null) => Ok(None),
            // An empty form field means "not given" for everything but text.
            Some(Value::String(s)) if s.is_empty() && T::param_type() != ParamType::String => Ok(None),
            Some(v) => T::from_param(name, Some(v)).map(Some),
        }
    }
    fn param_type() -> ParamType {
        T::param_type()
    }
}

/// An order id as BoxBilling reads it (see [`OrderRef`]).
impl FromParam for OrderRef {
    fn from_param(name: &str, value: Option<&Value>) -> Result<Self, ApiError> {
        match value {
            None | Some(Value::Null) => Err(ApiError::new(format!("Parameter {name} is required"))),
            Some(v) => Ok(OrderRef(i64::from_param(name, Some(v)).ok())),
        }
    }
    fn param_type() -> ParamType {
        ParamType::Integer
    }
}

impl<T: FromParam> FromParam for Patch<T> {
    fn from_param(name: &str, value: Option<&Value>) -> Result<Self, ApiError> {
        match value {
            None => Ok(Patch::Keep),
            Some(Value::Null) => Ok(Patch::Clear),
            Some(Value::String(s)) if s.is_empty() => Ok(Patch::Clear),
            Some(v) => T::from_param(name, Some(v)).map(Patch::Set),
        }
    }
    fn param_type() -> ParamType {
        T::param_type()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn php_brackets_nest_and_append() {
        let p = parse_form("a=1&addons[5][selected]=1&ids[]=3&ids[]=4&meta[k]=v%20w&x+y=z+z").unwrap();
        assert_eq!(
            Value::Object(p),
            json!({"a":"1","addons":{"5":{"selected":"1"}},"ids":["3","4"],"meta":{"k":"v w"},"x y":"z z"})
        );
    }

    #[test]
    fn json_bodies_win_whatever_the_content_type() {
        let p = parse_body(
            Some("application/x-www-form-urlencoded"),
            br#"{"per_page":"1","page":2}"#,
        )
        .unwrap();
        assert_eq!(Value::Object(p), json!({"per_page":"1","page":2}));
        assert!(parse_body(Some("application/json"), b"[1,2]").is_err());
        assert!(parse_body(Some("application/json"), b"{bad").is_err());
        assert!(parse_body(Some("application/json"), b"42").is_err());
        assert!(parse_body(None, &[0xff, 0xfe]).is_err());
        assert!(parse_body(Some("application/json"), b"  ").unwrap().is_empty());
    }

    #[test]
    fn multipart_text_fields() {
        let body = "--XX\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\na@b.cd\r\n--XX\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x\"\r\n\r\nbin\r\n--XX--\r\n";
        let p = parse_body(Some("multipart/form-data; boundary=XX"), body.as_bytes()).unwrap();
        assert_eq!(Value::Object(p), json!({"email":"a@b.cd"}));
    }

    #[test]
    fn required_check_is_boxbillings() {
        assert!(is_missing(None));
        assert!(is_missing(Some(&json!("  "))));
        assert!(is_missing(Some(&json!(false))));
        assert!(is_missing(Some(&json!([]))));
        assert!(!is_missing(Some(&json!(0))));
        assert!(!is_missing(Some(&json!("0"))));
    }

    #[test]
    fn loose_values_convert() {
        assert_eq!(i64::from_param("id", Some(&json!("12"))).unwrap(), 12);
        assert_eq!(i64::from_param("id", Some(&json!(12))).unwrap(), 12);
        assert!(i64::from_param("id", Some(&json!("12abc"))).is_err());
        assert!(bool::from_param("f", Some(&json!("0"))).map(|b| !b).unwrap());
        assert!(bool::from_param("f", Some(&json!("yes"))).unwrap());
        assert_eq!(
            Decimal::from_param("amount", Some(&json!("10.50"))).unwrap(),
            Decimal::new(1050, 2)
        );
        assert!(Decimal::from_param("amount", Some(&json!("1e3"))).is_err());
        assert!(Decimal::from_param("amount", Some(&json!("abc"))).is_err());
        assert_eq!(Option::<i64>::from_param("id", Some(&json!(""))).unwrap(), None);
        assert_eq!(Patch::<String>::from_param("c", None).unwrap(), Patch::Keep);
        assert_eq!(
            Patch::<String>::from_param("c", Some(&json!(""))).unwrap(),
            Patch::Clear
        );
    }
}

/// A parameter clients may send that has no effect (documented, never used).
#[derive(Debug, Clone, Copy, Default)]
pub struct Ignored;

impl FromParam for Ignored {
    fn from_param(_: &str, _: Option<&Value>) -> Result<Self, ApiError> {
        Ok(Ignored)
    }
    fn param_type() -> ParamType {
        ParamType::Any
    }
}
