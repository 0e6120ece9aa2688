//! `hosting` products: an account on a hosting server's control panel.

use super::staff::{self, HostingPlan, HostingServer};
use super::{ServiceInit, ServiceKind, ServiceShown, config_flag, config_id, config_text, record_map, seal};
use crate::crypto::{Sealer, random_alphanumeric};
use crate::error::{ApiError, ApiResult};
use crate::store::Store;
use bb_ports::answer::OneOf;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct HostingService {
    pub id: i64,
    pub client_id: i64,
    pub server_id: i64,
    pub hosting_plan_id: i64,
    pub sld: String,
    /// With its leading dot.
    pub tld: String,
    #[serde(default)]
    pub ip: Option<String>,
    pub username: String,
    #[serde(default)]
    pub pass_sealed: Option<String>,
    #[serde(default)]
    pub reseller: bool,
    #[serde(default)]
    pub domain_order_id: Option<i64>,
    pub created_at: String,
    pub updated_at: String,
}

impl HostingService {
    pub fn domain(&self) -> String {
        format!("{}{}", self.sld, self.tld)
    }
}

/// A panel username from the domain: lower-case letters and digits, starting with a letter,
/// at most 8 characters (what panels accept), with a random tail against collisions.
pub fn username_for(sld: &str) -> ApiResult<String> {
    let mut base: String = sld
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .skip_while(char::is_ascii_digit)
        .take(6)
        .collect();
    if base.is_empty() {
        base = "user".into();
    }
    let tail = random_alphanumeric(12).map_err(|e| ApiError::internal(e.to_string()))?;
    let digits: String = tail.chars().filter(char::is_ascii_digit).take(2).collect();
    Ok(format!("{base}{digits:0<2}"))
}

pub struct Kind;

#[async_trait::async_trait]
impl ServiceKind for Kind {
    fn name(&self) -> &'static str {
        "hosting"
    }

    fn create(&self, init: &ServiceInit) -> ApiResult<Map<String, Value>> {
        let product = &init.product.config;
        let order = &init.order.config;
        // BoxBilling's hosting order form: domain[action] with domain[<action>_sld|_tld].
        let domain = match order.get("domain") {
            Some(Value::Object(d)) => d.clone(),
            _ => order.clone(),
        };
        let action = config_text(&domain, "action").unwrap_or_else(|| "owndomain".into());
        let pick = |name: &str| {
            config_text(&domain, &format!("{action}_{name}"))
                .or_else(|| config_text(&domain, name))
                .or_else(|| config_text(order, name))
        };
        let (Some(sld), Some(tld)) = (pick("sld"), pick("tld")) else {
            return Err(ApiError::new("Domain name is missing in the order"));
        };
        let (Some(server_id), Some(hosting_plan_id)) =
            (config_id(product, "server_id"), config_id(product, "hosting_plan_id"))
        else {
            return Err(ApiError::new("Hosting product has no server or hosting plan"));
        };
        // Generated, never taken from the order form: a chosen name could be another
        // customer's panel account.
        let username = username_for(&sld)?;
        let password = random_alphanumeric(14).map_err(|e| ApiError::internal(e.to_string()))?;
        record_map(&HostingService {
            id: init.service_id,
            client_id: init.order.client_id,
            server_id,
            hosting_plan_id,
            sld: sld.to_ascii_lowercase(),
            tld: super::domain::normalize_tld(&tld),
            ip: config_text(product, "ip"),
            username,
            pass_sealed: seal(init.sealer, &password)?,
            reseller: config_flag(product, "reseller"),
            domain_order_id: None,
            created_at: init.now.into(),
            updated_at: init.now.into(),
        })
    }

    async fn show(&self, store: &dyn Store, sealer: &Sealer, record: &Map<String, Value>) -> ApiResult<ServiceShown> {
        let h: HostingService = serde_json::from_value(Value::Object(record.clone()))
            .map_err(|e| ApiError::internal(format!("hosting record: {e}")))?;
        let server = staff::load::<HostingServer>(store, sealer, &h.server_id.to_string()).await?;
        let plan = staff::load::<HostingPlan>(store, sealer, &h.hosting_plan_id.to_string()).await?;
        let server = server.map(|s| {
            let host = s.hostname.clone().or_else(|| s.ip.clone()).unwrap_or_default();
            let (cpanel_url, reseller_cpanel_url) = panel_urls(&s.manager, &host);
            ServerShown {
                name: s.name,
                hostname: s.hostname,
                ip: s.ip,
                ns1: s.ns1,
                ns2: s.ns2,
                ns3: s.ns3,
                ns4: s.ns4,
                cpanel_url,
                reseller_cpanel_url,
            }
        });
        Ok(ServiceShown::Hosting(HostingShown {
            ip: h.ip.clone(),
            domain: h.domain(),
            sld: h.sld,
            tld: h.tld,
            username: h.username,
            reseller: h.reseller,
            server,
            hosting_plan: plan,
            domain_order_id: h.domain_order_id,
        }))
    }
}

/// A hosting account as `order/service` shows it: the account, its server and its plan.
#[derive(Debug, Clone, PartialEq, Serialize, bb_macros::Answer)]
pub struct HostingShown {
    pub ip: Option<String>,
    pub sld: String,
    pub tld: String,
    pub domain: String,
    pub username: String,
    pub reseller: bool,
    pub server: Option<ServerShown>,
    pub hosting_plan: Option<HostingPlan>,
    pub domain_order_id: Option<i64>,
}

/// The account's server, with where to log in.
#[derive(Debug, Clone, PartialEq, Serialize, bb_macros::Answer)]
pub struct ServerShown {
    pub name: String,
    pub hostname: Option<String>,
    pub ip: Option<String>,
    pub ns1: Option<String>,
    pub ns2: Option<String>,
    pub ns3: Option<String>,
    pub ns4: Option<String>,
    pub cpanel_url: PanelUrl,
    pub reseller_cpanel_url: PanelUrl,
}

/// A panel's login address, or `false` where BoxBilling knows none.
pub type PanelUrl = OneOf<String, bool>;

/// Where a client logs in to the panel (and its reseller side), as BoxBilling shows them.
fn panel_urls(manager: &str, host: &str) -> (PanelUrl, PanelUrl) {
    match manager.to_ascii_lowercase().as_str() {
        "whm" => (
            OneOf::First(format!("http://{host}/cpanel")),
            OneOf::First(format!("http://{host}/whm")),
        ),
        "directadmin" => (
            OneOf::First(format!("https://{host}:2222")),
            OneOf::First(format!("https://{host}:2222")),
        ),
        "plesk" => (
            OneOf::First(format!("https://{host}:8443")),
            OneOf::First(format!("https://{host}:8443")),
        ),
        "cwp" => (OneOf::First(format!("https://{host}:2083")), OneOf::Second(false)),
        "hestia" | "vesta" => (
            OneOf::First(format!("https://{host}:8083")),
            OneOf::First(format!("https://{host}:8083")),
        ),
        "virtualmin" => (
            OneOf::First(format!("https://{host}:10000")),
            OneOf::First(format!("https://{host}:10000")),
        ),
        _ => (OneOf::Second(false), OneOf::Second(false)),
    }
}
