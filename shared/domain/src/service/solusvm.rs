//! `solusvm` products: a virtual server on the cluster's SolusVM master. Staff record the
//! server's id (`vserverid`) when they provision it; until then the order is not activated.

use super::staff::{self, SolusvmMaster};
use super::{ServiceInit, ServiceKind, ServiceShown, config_text, open, record_map, seal};
use crate::crypto::{Sealer, random_alphanumeric};
use crate::error::{ApiError, ApiResult};
use crate::store::Store;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct SolusvmService {
    pub id: i64,
    pub client_id: i64,
    #[serde(default = "first_cluster")]
    pub cluster_id: i64,
    #[serde(default)]
    pub vserverid: Option<String>,
    #[serde(default)]
    pub virtid: Option<String>,
    #[serde(default)]
    pub nodeid: Option<String>,
    #[serde(default)]
    pub hostname: Option<String>,
    #[serde(default)]
    pub rootpassword_sealed: Option<String>,
    #[serde(default)]
    pub plan: Option<String>,
    #[serde(default)]
    pub template: Option<String>,
    #[serde(default)]
    pub mainipaddress: Option<String>,
    #[serde(default)]
    pub consoleuser: Option<String>,
    #[serde(default)]
    pub consolepassword_sealed: Option<String>,
    #[serde(default)]
    pub custommemory: Option<String>,
    #[serde(default)]
    pub customdiskspace: Option<String>,
    #[serde(default)]
    pub custombandwidth: Option<String>,
    #[serde(default)]
    pub customcpu: Option<String>,
    /// SolusVM client-area login; the client's e-mail when not set.
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password_sealed: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

fn first_cluster() -> i64 {
    1
}

pub struct Kind;

#[async_trait::async_trait]
impl ServiceKind for Kind {
    fn name(&self) -> &'static str {
        "solusvm"
    }

    fn create(&self, init: &ServiceInit) -> ApiResult<Map<String, Value>> {
        let product = &init.product.config;
        let order = &init.order.config;
        let pick = |name: &str| config_text(order, name).or_else(|| config_text(product, name));
        let client_password = random_alphanumeric(8).map_err(|e| ApiError::internal(e.to_string()))?;
        record_map(&SolusvmService {
            id: init.service_id,
            client_id: init.order.client_id,
            cluster_id: 1,
            hostname: pick("hostname"),
            plan: pick("plan"),
            template: pick("template"),
            custommemory: pick("custommemory"),
            customdiskspace: pick("customdiskspace"),
            custombandwidth: pick("custombandwidth"),
            customcpu: pick("customcpu"),
            password_sealed: seal(init.sealer, &client_password)?,
            created_at: init.now.into(),
            updated_at: init.now.into(),
            ..SolusvmService::default()
        })
    }

    async fn show(&self, store: &dyn Store, sealer: &Sealer, record: &Map<String, Value>) -> ApiResult<ServiceShown> {
        let s: SolusvmService = serde_json::from_value(Value::Object(record.clone()))
            .map_err(|e| ApiError::internal(format!("solusvm record: {e}")))?;
        let master = staff::load::<SolusvmMaster>(store, sealer, &s.cluster_id.to_string()).await?;
        let username = match &s.username {
            Some(u) => Some(u.clone()),
            None => crate::client::load(store, s.client_id).await.ok().map(|c| c.email),
        };
        Ok(ServiceShown::Solusvm(SolusvmShown {
            id: s.id,
            vserverid: s.vserverid,
            virtid: s.virtid,
            hostname: s.hostname,
            plan: s.plan,
            template: s.template,
            mainipaddress: s.mainipaddress,
            rootpassword: open(sealer, s.rootpassword_sealed.as_deref())?,
            consoleuser: s.consoleuser,
            consolepassword: open(sealer, s.consolepassword_sealed.as_deref())?,
            custommemory: s.custommemory,
            customdiskspace: s.customdiskspace,
            custombandwidth: s.custombandwidth,
            customcpu: s.customcpu,
            master_url: master.as_ref().map(master_url),
            username,
            password: open(sealer, s.password_sealed.as_deref())?,
        }))
    }
}

/// A VPS as `order/service` shows it, with the client-area login BoxBilling shows.
#[derive(Debug, Clone, PartialEq, Serialize, bb_macros::Answer)]
pub struct SolusvmShown {
    pub id: i64,
    pub vserverid: Option<String>,
    pub virtid: Option<String>,
    pub hostname: Option<String>,
    pub plan: Option<String>,
    pub template: Option<String>,
    pub mainipaddress: Option<String>,
    pub rootpassword: String,
    pub consoleuser: Option<String>,
    pub consolepassword: String,
    pub custommemory: Option<String>,
    pub customdiskspace: Option<String>,
    pub custombandwidth: Option<String>,
    pub customcpu: Option<String>,
    pub master_url: Option<String>,
    pub username: Option<String>,
    pub password: String,
}

/// `https://<ip>:<port or 5656>` when secure, else `http://<ip>:<port or 5353>`.
pub fn master_url(master: &SolusvmMaster) -> String {
    let (scheme, default_port) = if master.secure {
        ("https", "5656")
    } else {
        ("http", "5353")
    };
    let port = master
        .port
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .unwrap_or(default_port);
    format!("{scheme}://{}:{port}", master.ipaddress)
}
