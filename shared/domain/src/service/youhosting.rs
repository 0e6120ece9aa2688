//! `youhosting` products: a free-hosting account on YouHosting, created when the client
//! activates the order (`serviceyouhosting/activate`) after solving YouHosting's captcha.

use super::{ServiceInit, ServiceKind, ServiceShown, record_map};
use crate::error::{ApiError, ApiResult};
use crate::keys;
use crate::store::{Key, Record};
use bb_macros::Answer;
use bb_ports::answer::Relayed;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct YouhostingService {
    pub id: i64,
    pub client_id: i64,
    #[serde(default)]
    pub yh_account_id: Option<String>,
    #[serde(default)]
    pub password_sealed: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// The client's YouHosting client id (`C#<id>` / `YOUHOSTING`), set by `signup`.
pub fn client_link_key(client_id: i64) -> Key {
    Key::new(keys::client_partition(client_id), "YOUHOSTING")
}

/// Which YouHosting client a client signed up as.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ClientLink {
    #[serde(skip)]
    pub client_id: i64,
    pub yh_client_id: String,
    pub updated_at: String,
}

impl Record for ClientLink {
    fn key(&self) -> Key {
        client_link_key(self.client_id)
    }
}

/// `serviceyouhosting/info`: whether the client has signed up, and the order's account with
/// the nameservers to point a domain at (both as YouHosting answers them), once it has one.
#[derive(Debug, Clone, Serialize, Answer)]
pub struct YouhostingInfo {
    pub is_youhosting_client: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<Relayed>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ns: Option<Relayed>,
}

pub struct Kind;

impl ServiceKind for Kind {
    fn name(&self) -> &'static str {
        "youhosting"
    }

    fn create(&self, init: &ServiceInit) -> ApiResult<Map<String, Value>> {
        record_map(&YouhostingService {
            id: init.service_id,
            client_id: init.order.client_id,
            created_at: init.now.into(),
            updated_at: init.now.into(),
            ..YouhostingService::default()
        })
    }

    fn view(&self, record: &Map<String, Value>) -> ApiResult<ServiceShown> {
        let y: YouhostingService = serde_json::from_value(Value::Object(record.clone()))
            .map_err(|e| ApiError::internal(format!("{} record: {e}", self.name())))?;
        Ok(ServiceShown::Youhosting(YouhostingShown {
            id: y.id,
            yh_account_id: y.yh_account_id,
        }))
    }
}

/// A YouHosting order as `order/service` shows it: its account there once activated.
#[derive(Debug, Clone, PartialEq, Serialize, Answer)]
pub struct YouhostingShown {
    pub id: i64,
    pub yh_account_id: Option<String>,
}
