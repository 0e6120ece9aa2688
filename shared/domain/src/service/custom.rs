//! `custom` products: a record naming the plugin that serves `servicecustom/<method>` calls.
//! The plugin's configuration (its webhook address and secret) is sealed in the record.

use super::{ServiceInit, ServiceKind, record_map, seal};
use crate::error::ApiResult;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CustomService {
    pub id: i64,
    pub client_id: i64,
    #[serde(default)]
    pub plugin: Option<String>,
    /// JSON of the plugin's configuration, sealed.
    #[serde(default)]
    pub plugin_config_sealed: Option<String>,
    #[serde(default)]
    pub config: Map<String, Value>,
    pub created_at: String,
    pub updated_at: String,
    #[serde(flatten)]
    pub fields: Map<String, Value>,
}

pub struct Kind;

impl ServiceKind for Kind {
    fn name(&self) -> &'static str {
        "custom"
    }

    fn create(&self, init: &ServiceInit) -> ApiResult<Map<String, Value>> {
        let product = &init.product.config;
        let order = &init.order.config;
        let plugin_config = match product.get("plugin_config") {
            Some(Value::Object(m)) => Value::Object(m.clone()).to_string(),
            Some(Value::String(s)) => s.clone(),
            _ => String::new(),
        };
        let mut fields = Map::new();
        for n in 1..=10 {
            let name = format!("f{n}");
            fields.insert(name.clone(), order.get(&name).cloned().unwrap_or(Value::Null));
        }
        record_map(&CustomService {
            id: init.service_id,
            client_id: init.order.client_id,
            plugin: super::config_text(product, "plugin"),
            plugin_config_sealed: seal(init.sealer, &plugin_config)?,
            config: order.clone(),
            created_at: init.now.into(),
            updated_at: init.now.into(),
            fields,
        })
    }
}
