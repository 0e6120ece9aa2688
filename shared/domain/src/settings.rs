//! BoxBilling's settings and module configurations, as data the rules take as an argument.

use crate::keys;
use crate::store::{Key, Record};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// How the settings are kept: one item (`keys::settings()`) whose `values` map holds them all.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StoredSettings {
    #[serde(default)]
    pub values: Map<String, Value>,
}

impl Record for StoredSettings {
    fn key(&self) -> Key {
        keys::settings()
    }
}

/// BoxBilling's settings (`company_name`, `invoice_series`, ...) and module configs
/// (`mod_client`, `mod_support`, ...), as one JSON object.
#[derive(Debug, Clone, Default)]
pub struct Settings(pub Map<String, Value>);

impl Settings {
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }

    pub fn text(&self, name: &str) -> Option<String> {
        match self.0.get(name)? {
            Value::String(s) if !s.is_empty() => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }

    /// A module's configuration (`mod_<name>`).
    pub fn module(&self, name: &str) -> ModuleConfig {
        match self.0.get(&format!("mod_{name}")) {
            Some(Value::Object(m)) => ModuleConfig(m.clone()),
            _ => ModuleConfig(Map::new()),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct ModuleConfig(pub Map<String, Value>);

impl ModuleConfig {
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }
    /// BoxBilling's "set and falsy" switch-off test (e.g. `allow_change_email`).
    pub fn is_switched_off(&self, name: &str) -> bool {
        self.0.get(name).is_some_and(|v| !is_truthy(v))
    }
    pub fn is_on(&self, name: &str) -> bool {
        self.0.get(name).is_some_and(is_truthy)
    }
}

/// PHP truthiness of a parameter value.
pub fn is_truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !(s.is_empty() || s == "0"),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}
