//! Every answer a test sees is checked against its operation's schema in the OpenAPI document,
//! so the document can only say what the API really answers. A small JSON Schema checker: the
//! keywords the document uses (type, properties, required, additionalProperties, items, anyOf,
//! oneOf, const, enum, minimum, maxItems, $ref to components).

use serde_json::Value;
use std::sync::OnceLock;

fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| bb_core::openapi::document(&bb_cli::registry(), "test"))
}

/// Where `answer` breaks the schema of `path`'s 200 answer (none for paths the document does
/// not describe, such as unknown methods, whose error answers are checked by the suites).
pub fn violations(path: &str, answer: &Value) -> Vec<String> {
    let doc = document();
    // A module that answers any method name is one templated path (`…/servicecustom/{method}`).
    let templated = path.rsplit_once('/').map(|(module, _)| format!("{module}/{{method}}"));
    let Some(schema) = doc["paths"]
        .get(path)
        .or_else(|| templated.and_then(|t| doc["paths"].get(t)))
        .map(|p| &p["post"]["responses"]["200"]["content"]["application/json"]["schema"])
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    check(doc, schema, answer, "", &mut out);
    out
}

fn type_matches(name: &str, value: &Value) -> bool {
    match name {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "string" => value.is_string(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        _ => false,
    }
}

fn check(doc: &Value, schema: &Value, value: &Value, at: &str, out: &mut Vec<String>) {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let target = reference
            .strip_prefix('#')
            .and_then(|pointer| doc.pointer(pointer))
            .unwrap_or(&Value::Null);
        return check(doc, target, value, at, out);
    }
    for (keyword, need) in [("anyOf", 1..usize::MAX), ("oneOf", 1..2)] {
        if let Some(options) = schema.get(keyword).and_then(Value::as_array) {
            let mut reasons = Vec::new();
            let passing = options
                .iter()
                .filter(|option| {
                    let mut inner = Vec::new();
                    check(doc, option, value, at, &mut inner);
                    let ok = inner.is_empty();
                    reasons.extend(inner);
                    ok
                })
                .count();
            if !need.contains(&passing) {
                out.push(format!(
                    "{at}: {passing} of the {keyword} options match ({})",
                    reasons.join("; ")
                ));
            }
        }
    }
    match schema.get("type") {
        Some(Value::String(name)) if !type_matches(name, value) => {
            out.push(format!("{at}: {value} is not {name}"));
            return;
        }
        Some(Value::Array(names)) if !names.iter().filter_map(Value::as_str).any(|n| type_matches(n, value)) => {
            out.push(format!("{at}: {value} is none of {names:?}"));
            return;
        }
        _ => {}
    }
    if let Some(expected) = schema.get("const")
        && expected != value
    {
        out.push(format!("{at}: {value} is not {expected}"));
    }
    if let Some(names) = schema.get("enum").and_then(Value::as_array)
        && !names.contains(value)
    {
        out.push(format!("{at}: {value} is none of {names:?}"));
    }
    if let (Some(most), Value::Array(items)) = (schema.get("maxItems").and_then(Value::as_u64), value)
        && items.len() as u64 > most
    {
        out.push(format!("{at}: {} items, more than {most}", items.len()));
    }
    if let (Some(minimum), Some(n)) = (schema.get("minimum").and_then(Value::as_f64), value.as_f64())
        && n < minimum
    {
        out.push(format!("{at}: {n} is below {minimum}"));
    }
    if let Value::Object(fields) = value {
        let properties = schema.get("properties").and_then(Value::as_object);
        for name in schema.get("required").and_then(Value::as_array).into_iter().flatten() {
            if let Some(name) = name.as_str().filter(|n| !fields.contains_key(*n)) {
                out.push(format!("{at}: `{name}` is missing"));
            }
        }
        for (name, field) in fields {
            match properties.and_then(|p| p.get(name)) {
                Some(inner) => check(doc, inner, field, &format!("{at}.{name}"), out),
                None => match schema.get("additionalProperties") {
                    Some(Value::Bool(false)) => out.push(format!("{at}: `{name}` is not in the schema")),
                    Some(rest @ Value::Object(_)) => check(doc, rest, field, &format!("{at}.{name}"), out),
                    _ => {}
                },
            }
        }
    }
    if let (Value::Array(items), Some(item_schema)) = (value, schema.get("items")) {
        for (i, item) in items.iter().enumerate() {
            check(doc, item_schema, item, &format!("{at}[{i}]"), out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_checker_finds_what_breaks_a_schema() {
        let doc = json!({});
        let schema = json!({"type": "object", "required": ["a"], "additionalProperties": false,
            "properties": {"a": {"type": "integer", "minimum": 1}, "b": {"anyOf": [{"type": "null"}, {"type": "array", "items": {"type": "string"}}]}}});
        let mut out = Vec::new();
        check(&doc, &schema, &json!({"a": 1, "b": ["x"]}), "", &mut out);
        assert!(out.is_empty(), "{out:?}");
        for bad in [
            json!({"b": null}),
            json!({"a": 0}),
            json!({"a": 1, "c": 1}),
            json!({"a": 1, "b": [1]}),
            json!([]),
        ] {
            let mut out = Vec::new();
            check(&doc, &schema, &bad, "", &mut out);
            assert!(!out.is_empty(), "{bad} passed");
        }
    }

    #[test]
    fn the_checker_holds_values_to_constants_names_maps_and_empty_arrays() {
        let doc = json!({});
        let schema = json!({"anyOf": [
            {"const": true},
            {"enum": ["active", "pending_setup"]},
            {"type": ["object", "array"], "additionalProperties": {"type": "string"}, "maxItems": 0}
        ]});
        for good in [json!(true), json!("active"), json!({"1": "a"}), json!([])] {
            let mut out = Vec::new();
            check(&doc, &schema, &good, "", &mut out);
            assert!(out.is_empty(), "{good}: {out:?}");
        }
        for bad in [json!(false), json!("paid"), json!({"1": 2}), json!(["a"])] {
            let mut out = Vec::new();
            check(&doc, &schema, &bad, "", &mut out);
            assert!(!out.is_empty(), "{bad} passed");
        }
    }
}
