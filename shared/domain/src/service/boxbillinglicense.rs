//! `boxbillinglicense` products: a licence ordered from the BoxBilling partner API; `oid` is the
//! partner's order id, recorded by staff.

use super::{ServiceInit, ServiceKind, record_map};
use crate::error::ApiResult;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PartnerLicenseService {
    pub id: i64,
    pub client_id: i64,
    #[serde(default)]
    pub oid: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

pub struct Kind;

impl ServiceKind for Kind {
    fn name(&self) -> &'static str {
        "boxbillinglicense"
    }

    fn create(&self, init: &ServiceInit) -> ApiResult<Map<String, Value>> {
        record_map(&PartnerLicenseService {
            id: init.service_id,
            client_id: init.order.client_id,
            oid: None,
            created_at: init.now.into(),
            updated_at: init.now.into(),
        })
    }

    fn view(&self, record: &Map<String, Value>) -> Value {
        json!({ "id": record.get("id"), "oid": record.get("oid") })
    }
}
