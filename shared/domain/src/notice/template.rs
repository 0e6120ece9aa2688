//! E-mail templates (items `TEMPLATE` / `<code>`, defaults from the fixtures) and their
//! rendering: `{{ path.to.value }}` substituted once; values are escaped in HTML and never
//! rendered again, so user text cannot act as template code.

use crate::error::ApiResult;
use crate::keys;
use crate::store::{Query, Store, from_item, query_all};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// An e-mail template as stored.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Template {
    pub code: String,
    #[serde(default = "yes")]
    pub enabled: bool,
    pub subject: String,
    /// HTML body; the text part is derived from it.
    pub content: String,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

fn yes() -> bool {
    true
}

impl crate::store::Record for Template {
    fn key(&self) -> crate::store::Key {
        keys::template(&self.code)
    }
}

/// Every template, from the `TEMPLATE` partition.
pub async fn load_templates(store: &dyn Store) -> ApiResult<Vec<Template>> {
    let items = query_all(store, Query::partition(keys::TEMPLATES)).await?;
    Ok(items.iter().filter_map(|i| from_item::<Template>(i).ok()).collect())
}

#[derive(Clone, Copy, PartialEq)]
pub enum Escape {
    None,
    Html,
}

fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn lookup<'a>(vars: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(vars, |v, part| match v {
        Value::Object(m) => m.get(part),
        Value::Array(l) => part.parse::<usize>().ok().and_then(|i| l.get(i)),
        _ => None,
    })
}

fn display(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// One pass of `{{ path }}` substitution. Substituted text is never scanned again.
pub fn render(template: &str, vars: &Value, escape: Escape) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            return out;
        };
        let path = after[..end].trim();
        let value = lookup(vars, path).map(display).unwrap_or_default();
        out.push_str(&if escape == Escape::Html {
            escape_html(&value)
        } else {
            value
        });
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

/// A plain-text rendering of simple template HTML (the templates' own markup only).
pub fn html_to_text(html: &str) -> String {
    let with_breaks = html
        .replace("<br>", "\n")
        .replace("<br/>", "\n")
        .replace("<br />", "\n")
        .replace("</p>", "\n\n")
        .replace("</li>", "\n");
    let mut out = String::with_capacity(with_breaks.len());
    let mut in_tag = false;
    for c in with_breaks.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn substitution_is_single_pass_and_escaped() {
        let vars = json!({"c": {"first_name": "<b>{{ secret }}</b>"}, "secret": "leak", "n": 5});
        let html = render("<p>Hi {{ c.first_name }}, {{n}} {{ missing }}</p>", &vars, Escape::Html);
        assert_eq!(html, "<p>Hi &lt;b&gt;{{ secret }}&lt;/b&gt;, 5 </p>");
        let text = render("Hi {{ c.first_name }}", &vars, Escape::None);
        assert_eq!(text, "Hi <b>{{ secret }}</b>");
        assert_eq!(html_to_text("<p>Line <b>one</b></p><p>two</p>"), "Line one\n\ntwo");
        assert_eq!(render("broken {{ tail", &vars, Escape::None), "broken {{ tail");
    }
}
