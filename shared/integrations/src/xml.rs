//! The little XML the protocols need: reading tag soup into a flat map (SolusVM), reading a
//! document into nested JSON (CentovaCast, Plesk), and escaping values for packets.

use quick_xml::Reader;
use quick_xml::events::Event;
use serde_json::{Map, Value};

/// Escapes text for an element's content.
pub fn escape(text: &str) -> String {
    quick_xml::escape::escape(text).into_owned()
}

/// An element as JSON: text-only elements become trimmed strings, empty ones null, repeated
/// children lists, attributes go under `@attributes`.
#[derive(Debug, Clone, PartialEq)]
pub struct Element {
    pub name: String,
    pub attributes: Map<String, Value>,
    pub children: Vec<Element>,
    pub text: String,
}

impl Element {
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name.eq_ignore_ascii_case(name))
    }

    /// The first descendant named `name`, depth first.
    pub fn find(&self, name: &str) -> Option<&Element> {
        for c in &self.children {
            if c.name.eq_ignore_ascii_case(name) {
                return Some(c);
            }
            if let Some(found) = c.find(name) {
                return Some(found);
            }
        }
        None
    }

    pub fn text_of(&self, name: &str) -> Option<String> {
        self.find(name).map(|e| e.text.trim().to_string())
    }

    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes.get(name).and_then(Value::as_str)
    }

    pub fn to_json(&self) -> Value {
        if self.children.is_empty() && self.attributes.is_empty() {
            let text = self.text.trim();
            return if text.is_empty() {
                Value::Null
            } else {
                Value::String(text.to_string())
            };
        }
        let mut map = Map::new();
        if !self.attributes.is_empty() {
            map.insert("@attributes".into(), Value::Object(self.attributes.clone()));
        }
        for c in &self.children {
            let value = c.to_json();
            match map.get_mut(&c.name) {
                Some(Value::Array(list)) if self.children.iter().filter(|x| x.name == c.name).count() > 1 => {
                    list.push(value)
                }
                Some(existing) => {
                    let first = existing.take();
                    *existing = Value::Array(vec![first, value]);
                }
                None => {
                    map.insert(c.name.clone(), value);
                }
            }
        }
        Value::Object(map)
    }
}

/// Parses a document into its root element; `None` when it is not well-formed XML.
pub fn parse(text: &str) -> Option<Element> {
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<Element> = Vec::new();
    let mut root = None;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => stack.push(element(&e)?),
            Ok(Event::Empty(e)) => {
                let el = element(&e)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Ok(Event::End(_)) => {
                let el = stack.pop()?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Ok(Event::Text(t)) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.decode().ok()?);
                }
            }
            Ok(Event::GeneralRef(r)) => {
                if let Some(top) = stack.last_mut() {
                    let name = r.decode().ok()?;
                    let reference = format!("&{name};");
                    let resolved = quick_xml::escape::unescape(&reference).ok()?;
                    top.text.push_str(&resolved);
                }
            }
            Ok(Event::CData(c)) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&String::from_utf8_lossy(&c));
                }
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(_) => return None,
        }
    }
    if !stack.is_empty() {
        return None;
    }
    root
}

fn element(start: &quick_xml::events::BytesStart) -> Option<Element> {
    let name = String::from_utf8_lossy(start.name().as_ref()).into_owned();
    let mut attributes = Map::new();
    for a in start.attributes() {
        let a = a.ok()?;
        let key = String::from_utf8_lossy(a.key.as_ref()).into_owned();
        let value = a.unescape_value().ok()?.into_owned();
        attributes.insert(key, Value::String(value));
    }
    Some(Element {
        name,
        attributes,
        children: Vec::new(),
        text: String::new(),
    })
}

/// Every `<tag>text</tag>` with non-empty text, in order (SolusVM's replies have no root).
pub fn tag_soup(text: &str) -> Map<String, Value> {
    let mut out = Map::new();
    let mut rest = text;
    while let Some(open) = rest.find('<') {
        rest = &rest[open + 1..];
        let Some(close) = rest.find('>') else { break };
        let tag = &rest[..close];
        rest = &rest[close + 1..];
        if tag.is_empty() || tag.starts_with(['/', '?', '!']) || tag.contains([' ', '/']) {
            continue;
        }
        let end = format!("</{tag}>");
        let lower = rest.to_ascii_lowercase();
        let Some(at) = lower.find(&end.to_ascii_lowercase()) else {
            continue;
        };
        let value = &rest[..at];
        if value.contains('<') {
            continue;
        }
        let value = quick_xml::escape::unescape(value.trim())
            .map(|v| v.into_owned())
            .unwrap_or_else(|_| value.trim().to_string());
        if !value.is_empty() {
            out.insert(tag.to_string(), Value::String(value));
        }
        rest = &rest[at + end.len()..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tag_soup_keeps_non_empty_tags() {
        let map = tag_soup("<status>success</status><statusmsg>online</statusmsg><hdd>1,2,3,4</hdd><empty></empty>");
        assert_eq!(
            Value::Object(map),
            json!({"status": "success", "statusmsg": "online", "hdd": "1,2,3,4"})
        );
        assert!(tag_soup("").is_empty());
        let map = tag_soup("<statusmsg>A &amp; B</statusmsg>");
        assert_eq!(map["statusmsg"], "A & B");
    }

    #[test]
    fn documents_become_nested_json() {
        let doc = parse(
            r#"<?xml version="1.0"?><centovacast version="3"><response type="success"><message>OK</message>
            <data><songs><row><title>A &amp; B</title><time>1</time></row><row><title>C</title><time>2</time></row></songs>
            <empty/></data></response></centovacast>"#,
        )
        .unwrap();
        assert_eq!(doc.name, "centovacast");
        let response = doc.child("response").unwrap();
        assert_eq!(response.attribute("type"), Some("success"));
        let data = response.child("data").unwrap().to_json();
        assert_eq!(
            data,
            json!({"songs": {"row": [{"title": "A & B", "time": "1"}, {"title": "C", "time": "2"}]}, "empty": null})
        );
        assert!(parse("<a><b></a>").is_none());
        assert_eq!(escape("<x&y>"), "&lt;x&amp;y&gt;");
    }
}
