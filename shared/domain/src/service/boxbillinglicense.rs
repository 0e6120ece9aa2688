//! `boxbillinglicense` products: a licence ordered from the BoxBilling partner API; `oid` is the
//! partner's order id, recorded by staff.

use super::{ServiceInit, ServiceKind, ServiceShown, record_map};
use crate::error::{ApiError, ApiResult};
use bb_macros::Answer;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

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

    fn view(&self, record: &Map<String, Value>) -> ApiResult<ServiceShown> {
        let l: PartnerLicenseService = serde_json::from_value(Value::Object(record.clone()))
            .map_err(|e| ApiError::internal(format!("{} record: {e}", self.name())))?;
        Ok(ServiceShown::PartnerLicense(PartnerLicenseShown {
            id: l.id,
            oid: l.oid,
        }))
    }
}

/// A partner licence order as `order/service` shows it: the partner's order id once set.
#[derive(Debug, Clone, PartialEq, Serialize, Answer)]
pub struct PartnerLicenseShown {
    pub id: i64,
    pub oid: Option<String>,
}
