//! `centovacast` products: a streaming account on a CentovaCast server.

use super::{ServiceInit, ServiceKind, ServiceShown, config_id, open, record_map, seal};
use crate::crypto::{Sealer, random_alphanumeric};
use crate::error::{ApiError, ApiResult};
use crate::store::Store;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CentovaService {
    pub id: i64,
    pub client_id: i64,
    pub server_id: i64,
    pub username: String,
    #[serde(default)]
    pub pass_sealed: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

pub struct Kind;

#[async_trait::async_trait]
impl ServiceKind for Kind {
    fn name(&self) -> &'static str {
        "centovacast"
    }

    fn create(&self, init: &ServiceInit) -> ApiResult<Map<String, Value>> {
        let product = &init.product.config;
        let server_id =
            config_id(product, "server_id").ok_or_else(|| ApiError::new("Centova Cast product has no server"))?;
        // Generated, never taken from the order form (it could name another account).
        let username = format!(
            "radio{}",
            random_alphanumeric(8)
                .map_err(|e| ApiError::internal(e.to_string()))?
                .to_ascii_lowercase()
        );
        let password = random_alphanumeric(12).map_err(|e| ApiError::internal(e.to_string()))?;
        record_map(&CentovaService {
            id: init.service_id,
            client_id: init.order.client_id,
            server_id,
            username,
            pass_sealed: seal(init.sealer, &password)?,
            created_at: init.now.into(),
            updated_at: init.now.into(),
        })
    }

    async fn show(&self, _store: &dyn Store, sealer: &Sealer, record: &Map<String, Value>) -> ApiResult<ServiceShown> {
        let c: CentovaService = serde_json::from_value(Value::Object(record.clone()))
            .map_err(|e| ApiError::internal(format!("centovacast record: {e}")))?;
        Ok(ServiceShown::Centovacast(CentovaShown {
            id: c.id,
            client_id: c.client_id,
            server_id: c.server_id,
            username: c.username,
            pass: open(sealer, c.pass_sealed.as_deref())?,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }))
    }
}

/// A stream as `order/service` shows it, with its panel login.
#[derive(Debug, Clone, PartialEq, Serialize, bb_macros::Answer)]
pub struct CentovaShown {
    pub id: i64,
    pub client_id: i64,
    pub server_id: i64,
    pub username: String,
    pub pass: String,
    pub created_at: String,
    pub updated_at: String,
}
