//! `domain` products: the registered name, its nameservers, WHOIS contact, lock and privacy
//! flags, and the registrar account that manages it.

use super::{ServiceInit, ServiceKind, ServiceShown, config_id, config_text, record_map, seal};
use crate::error::{ApiError, ApiResult};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The WHOIS contact a client may set (`servicedomain/update_contacts`); empty fields fall back
/// to the client's profile when the registrar is told.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, bb_macros::Answer)]
pub struct Contact {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub company: Option<String>,
    pub address1: Option<String>,
    pub address2: Option<String>,
    pub country: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postcode: Option<String>,
    pub phone_cc: Option<String>,
    pub phone: Option<String>,
}

/// The contact fields in BoxBilling's order (which decides which missing one is reported).
pub const CONTACT_FIELDS: [&str; 12] = [
    "first_name",
    "last_name",
    "email",
    "company",
    "address1",
    "address2",
    "country",
    "city",
    "state",
    "postcode",
    "phone_cc",
    "phone",
];

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DomainService {
    pub id: i64,
    pub client_id: i64,
    /// The registrar account; when absent, the one serving the TLD.
    #[serde(default)]
    pub registrar_id: Option<i64>,
    pub sld: String,
    /// With its leading dot (`.com`).
    pub tld: String,
    /// Registration period in years.
    pub period: i64,
    #[serde(default)]
    pub ns1: Option<String>,
    #[serde(default)]
    pub ns2: Option<String>,
    #[serde(default)]
    pub ns3: Option<String>,
    #[serde(default)]
    pub ns4: Option<String>,
    #[serde(default)]
    pub contact: Contact,
    #[serde(default)]
    pub privacy: bool,
    #[serde(default = "locked_by_default")]
    pub locked: bool,
    #[serde(default)]
    pub transfer_code_sealed: Option<String>,
    #[serde(default)]
    pub action: Option<String>,
    #[serde(default)]
    pub registered_at: Option<String>,
    #[serde(default)]
    pub expires_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

fn locked_by_default() -> bool {
    true
}

impl DomainService {
    pub fn name(&self) -> String {
        format!("{}{}", self.sld, self.tld)
    }
}

/// `.com`, `com` and ` .COM ` all mean `.com`.
pub fn normalize_tld(tld: &str) -> String {
    format!(".{}", tld.trim().trim_start_matches('.').to_ascii_lowercase())
}

pub struct Kind;

impl ServiceKind for Kind {
    fn name(&self) -> &'static str {
        "domain"
    }

    fn create(&self, init: &ServiceInit) -> ApiResult<Map<String, Value>> {
        let order = &init.order.config;
        let product = &init.product.config;
        // BoxBilling's cart keys: register_*, transfer_* (by `action`), or plain sld/tld.
        let action = config_text(order, "action").unwrap_or_else(|| "register".into());
        let pick = |name: &str| {
            config_text(order, &format!("{action}_{name}"))
                .or_else(|| config_text(order, &format!("register_{name}")))
                .or_else(|| config_text(order, name))
        };
        let (Some(sld), Some(tld)) = (pick("sld"), pick("tld")) else {
            return Err(ApiError::new("Domain name is missing in the order"));
        };
        let period = pick("years")
            .or_else(|| config_text(order, "period_years"))
            .and_then(|y| y.parse::<i64>().ok())
            .filter(|y| (1..=10).contains(y))
            .unwrap_or(1);
        let ns = |n: u8| config_text(order, &format!("ns{n}")).or_else(|| config_text(product, &format!("ns{n}")));
        let expires_at = crate::clock::parse_datetime(init.now)
            .and_then(|now| now.replace_year(now.year() + period as i32).ok())
            .map(crate::clock::format_datetime);
        record_map(&DomainService {
            id: init.service_id,
            client_id: init.order.client_id,
            registrar_id: config_id(product, "registrar_id"),
            sld: sld.to_ascii_lowercase(),
            tld: normalize_tld(&tld),
            period,
            ns1: ns(1),
            ns2: ns(2),
            ns3: ns(3),
            ns4: ns(4),
            contact: Contact::default(),
            privacy: false,
            locked: true,
            transfer_code_sealed: seal(init.sealer, &pick("code").unwrap_or_default())?,
            action: Some(action),
            registered_at: Some(init.now.into()),
            expires_at,
            created_at: init.now.into(),
            updated_at: init.now.into(),
        })
    }

    fn view(&self, record: &Map<String, Value>) -> ApiResult<ServiceShown> {
        let d: DomainService = serde_json::from_value(Value::Object(record.clone()))
            .map_err(|e| ApiError::internal(format!("{} record: {e}", self.name())))?;
        Ok(ServiceShown::Domain(DomainShown {
            domain: d.name(),
            sld: d.sld,
            tld: d.tld,
            ns1: d.ns1,
            ns2: d.ns2,
            ns3: d.ns3,
            ns4: d.ns4,
            period: d.period,
            privacy: d.privacy,
            locked: d.locked,
            registered_at: d.registered_at,
            expires_at: d.expires_at,
            contact: d.contact,
        }))
    }
}

/// A domain as `order/service` shows it (never its transfer code).
#[derive(Debug, Clone, PartialEq, Serialize, bb_macros::Answer)]
pub struct DomainShown {
    pub domain: String,
    pub sld: String,
    pub tld: String,
    pub ns1: Option<String>,
    pub ns2: Option<String>,
    pub ns3: Option<String>,
    pub ns4: Option<String>,
    /// Years.
    pub period: i64,
    pub privacy: bool,
    pub locked: bool,
    pub registered_at: Option<String>,
    pub expires_at: Option<String>,
    pub contact: Contact,
}
