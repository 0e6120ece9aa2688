//! `license` products: a licence key and what the licence check has learnt about where it runs.

use super::{ServiceInit, ServiceKind, ServiceShown, config_flag, config_text, record_map};
use crate::crypto::random_alphanumeric;
use crate::error::{ApiError, ApiResult};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LicenseService {
    pub id: i64,
    pub client_id: i64,
    pub license_key: String,
    #[serde(default)]
    pub plugin: Option<String>,
    #[serde(default)]
    pub validate_ip: bool,
    #[serde(default)]
    pub validate_host: bool,
    #[serde(default)]
    pub validate_path: bool,
    #[serde(default)]
    pub validate_version: bool,
    #[serde(default)]
    pub ips: Vec<String>,
    #[serde(default)]
    pub hosts: Vec<String>,
    #[serde(default)]
    pub paths: Vec<String>,
    #[serde(default)]
    pub versions: Vec<String>,
    #[serde(default)]
    pub pinged_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

pub struct Kind;

impl ServiceKind for Kind {
    fn name(&self) -> &'static str {
        "license"
    }

    fn create(&self, init: &ServiceInit) -> ApiResult<Map<String, Value>> {
        let product = &init.product.config;
        let prefix = config_text(product, "prefix").unwrap_or_default();
        let random = random_alphanumeric(25).map_err(|e| ApiError::internal(e.to_string()))?;
        record_map(&LicenseService {
            id: init.service_id,
            client_id: init.order.client_id,
            license_key: format!("{prefix}{}", random.to_ascii_uppercase()),
            plugin: config_text(product, "plugin").or_else(|| Some("Simple".into())),
            validate_ip: config_flag(product, "validate_ip"),
            validate_host: config_flag(product, "validate_host"),
            validate_path: config_flag(product, "validate_path"),
            validate_version: config_flag(product, "validate_version"),
            ips: Vec::new(),
            hosts: Vec::new(),
            paths: Vec::new(),
            versions: Vec::new(),
            pinged_at: None,
            created_at: init.now.into(),
            updated_at: init.now.into(),
        })
    }

    fn view(&self, record: &Map<String, Value>) -> ApiResult<ServiceShown> {
        let l: LicenseService = serde_json::from_value(Value::Object(record.clone()))
            .map_err(|e| ApiError::internal(format!("{} record: {e}", self.name())))?;
        Ok(ServiceShown::License(LicenseShown {
            license_key: l.license_key,
            validate_ip: l.validate_ip,
            validate_host: l.validate_host,
            validate_path: l.validate_path,
            validate_version: l.validate_version,
            ips: l.ips,
            hosts: l.hosts,
            paths: l.paths,
            versions: l.versions,
            pinged_at: l.pinged_at,
        }))
    }
}

/// A licence as `order/service` shows it: its key, what it checks and what it has seen.
#[derive(Debug, Clone, PartialEq, Serialize, bb_macros::Answer)]
pub struct LicenseShown {
    pub license_key: String,
    pub validate_ip: bool,
    pub validate_host: bool,
    pub validate_path: bool,
    pub validate_version: bool,
    pub ips: Vec<String>,
    pub hosts: Vec<String>,
    pub paths: Vec<String>,
    pub versions: Vec<String>,
    pub pinged_at: Option<String>,
}
