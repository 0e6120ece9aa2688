//! Staff-side configuration the service modules connect with: registrars and the TLDs they
//! serve, hosting servers and plans, the SolusVM master, CentovaCast servers, module API keys.
//! Items `CONFIG` / `<PREFIX>#<id>`; secret fields are sealed together in `secrets_sealed`
//! and never shown to clients.

use crate::crypto::Sealer;
use crate::error::{ApiError, ApiResult};
use crate::store::{Attr, Item, Key, Query, Store, query_all};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

const PARTITION: &str = "CONFIG";
const SEALED: &str = "secrets_sealed";

pub trait StaffRecord: Serialize + DeserializeOwned {
    const PREFIX: &'static str;
    /// Fields kept sealed.
    const SECRETS: &'static [&'static str];
    fn record_id(&self) -> String;
}

pub fn key<T: StaffRecord>(id: &str) -> Key {
    Key::new(PARTITION, format!("{}#{id}", T::PREFIX))
}

fn fault(what: &str, e: impl std::fmt::Display) -> ApiError {
    ApiError::internal(format!("staff config {what}: {e}"))
}

pub fn to_item<T: StaffRecord>(record: &T, sealer: &Sealer) -> ApiResult<Item> {
    let Value::Object(mut fields) = serde_json::to_value(record).map_err(|e| fault(T::PREFIX, e))? else {
        return Err(fault(T::PREFIX, "not an object"));
    };
    let mut secrets = Map::new();
    for name in T::SECRETS {
        if let Some(v) = fields.remove(*name) {
            secrets.insert((*name).into(), v);
        }
    }
    let key = key::<T>(&record.record_id());
    let mut item: Item = fields.iter().map(|(k, v)| (k.clone(), Attr::from_json(v))).collect();
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    let sealed = sealer
        .seal(&Value::Object(secrets).to_string())
        .map_err(|e| fault(T::PREFIX, e))?;
    item.insert(SEALED.into(), sealed.into());
    Ok(item)
}

pub fn from_item<T: StaffRecord>(item: &Item, sealer: &Sealer) -> ApiResult<T> {
    let mut fields = Map::new();
    for (k, v) in item {
        if !matches!(k.as_str(), "pk" | "sk" | SEALED) {
            fields.insert(k.clone(), v.to_json());
        }
    }
    if let Some(sealed) = item.get(SEALED).and_then(Attr::as_str) {
        let text = sealer.open(sealed).map_err(|e| fault(T::PREFIX, e))?;
        if let Ok(Value::Object(secrets)) = serde_json::from_str::<Value>(&text) {
            fields.extend(secrets);
        }
    }
    serde_json::from_value(Value::Object(fields)).map_err(|e| fault(T::PREFIX, e))
}

pub async fn load<T: StaffRecord>(store: &dyn Store, sealer: &Sealer, id: &str) -> ApiResult<Option<T>> {
    match store.get(&key::<T>(id)).await? {
        Some(item) => from_item(&item, sealer).map(Some),
        None => Ok(None),
    }
}

/// Every record of a type (one Query on the `CONFIG` partition).
pub async fn list<T: StaffRecord>(store: &dyn Store, sealer: &Sealer) -> ApiResult<Vec<T>> {
    let items = query_all(store, Query::partition(PARTITION).prefix(format!("{}#", T::PREFIX))).await?;
    items.iter().map(|i| from_item(i, sealer)).collect()
}

fn yes() -> bool {
    true
}

/// A domain registrar account (BoxBilling's `tld_registrar`): `registrar` names the adapter
/// (`Custom`, `Email`, `Resellerclub`, `Resellbiz`, `Netearthone`, `Resellerid`, `Internetbs`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Registrar {
    pub id: i64,
    pub name: String,
    pub registrar: String,
    #[serde(default)]
    pub test_mode: bool,
    /// Adapter settings (ids, keys, passwords): sealed as a whole.
    #[serde(default)]
    pub config: Map<String, Value>,
    /// Where the adapter sends requests instead of its public endpoint (tests, proxies).
    #[serde(default)]
    pub endpoint: Option<String>,
}

impl StaffRecord for Registrar {
    const PREFIX: &'static str = "REGISTRAR";
    const SECRETS: &'static [&'static str] = &["config"];
    fn record_id(&self) -> String {
        self.id.to_string()
    }
}

/// Which registrar serves a TLD (with its leading dot: `.com`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Tld {
    pub tld: String,
    pub registrar_id: i64,
}

impl StaffRecord for Tld {
    const PREFIX: &'static str = "TLD";
    const SECRETS: &'static [&'static str] = &[];
    fn record_id(&self) -> String {
        self.tld.to_ascii_lowercase()
    }
}

/// A hosting server and how to reach its control panel (`manager`: `whm`, `directadmin`,
/// `plesk`, `cwp`, `hestia`, `vesta`, `virtualmin`, `ispconfig`, `custom`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HostingServer {
    pub id: i64,
    pub name: String,
    #[serde(default)]
    pub ip: Option<String>,
    #[serde(default)]
    pub hostname: Option<String>,
    #[serde(default)]
    pub assigned_ips: Vec<String>,
    #[serde(default)]
    pub ns1: Option<String>,
    #[serde(default)]
    pub ns2: Option<String>,
    #[serde(default)]
    pub ns3: Option<String>,
    #[serde(default)]
    pub ns4: Option<String>,
    pub manager: String,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub accesshash: Option<String>,
    #[serde(default)]
    pub port: Option<String>,
    #[serde(default)]
    pub secure: bool,
    #[serde(default = "yes")]
    pub active: bool,
}

impl StaffRecord for HostingServer {
    const PREFIX: &'static str = "HOSTSERVER";
    const SECRETS: &'static [&'static str] = &["password", "accesshash"];
    fn record_id(&self) -> String {
        self.id.to_string()
    }
}

/// A hosting plan (package limits). Shown to clients by `servicehosting/hp_get_pairs`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, bb_macros::Answer)]
#[serde(deny_unknown_fields)]
pub struct HostingPlan {
    pub id: i64,
    pub name: String,
    #[serde(default)]
    pub quota: Option<String>,
    #[serde(default)]
    pub bandwidth: Option<String>,
    #[serde(default)]
    pub max_ftp: Option<String>,
    #[serde(default)]
    pub max_sql: Option<String>,
    #[serde(default)]
    pub max_pop: Option<String>,
    #[serde(default)]
    pub max_sub: Option<String>,
    #[serde(default)]
    pub max_park: Option<String>,
    #[serde(default)]
    pub max_addon: Option<String>,
    #[serde(default)]
    pub config: Map<String, Value>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
}

impl StaffRecord for HostingPlan {
    const PREFIX: &'static str = "HOSTPLAN";
    const SECRETS: &'static [&'static str] = &[];
    fn record_id(&self) -> String {
        self.id.to_string()
    }
}

/// The SolusVM master of a cluster (BoxBilling uses cluster 1).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SolusvmMaster {
    #[serde(default = "first_cluster")]
    pub cluster_id: i64,
    /// The API ID.
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub key: String,
    #[serde(default)]
    pub ipaddress: String,
    #[serde(default)]
    pub secure: bool,
    #[serde(default)]
    pub port: Option<String>,
    #[serde(default)]
    pub usertype: Option<String>,
}

fn first_cluster() -> i64 {
    1
}

impl StaffRecord for SolusvmMaster {
    const PREFIX: &'static str = "SOLUSVM";
    const SECRETS: &'static [&'static str] = &["key"];
    fn record_id(&self) -> String {
        self.cluster_id.to_string()
    }
}

/// A CentovaCast server: its control panel URL and admin password.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CentovaServer {
    pub id: i64,
    pub url: String,
    #[serde(default)]
    pub hostname: Option<String>,
    #[serde(default)]
    pub ip: Option<String>,
    #[serde(default)]
    pub secret: String,
}

impl StaffRecord for CentovaServer {
    const PREFIX: &'static str = "CENTOVA";
    const SECRETS: &'static [&'static str] = &["secret"];
    fn record_id(&self) -> String {
        self.id.to_string()
    }
}

/// API access of a module that speaks to one remote service (`youhosting`,
/// `boxbillinglicense`): its key, and where the API is when not at its default address.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ModuleAccess {
    pub module: String,
    #[serde(default)]
    pub api_key: String,
    #[serde(default)]
    pub api_url: Option<String>,
    /// The partner API's role (`client` by default).
    #[serde(default)]
    pub api_role: Option<String>,
}

impl StaffRecord for ModuleAccess {
    const PREFIX: &'static str = "MODULE";
    const SECRETS: &'static [&'static str] = &["api_key"];
    fn record_id(&self) -> String {
        self.module.clone()
    }
}

/// The `services` section of a fixtures file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffFixtures {
    #[serde(default)]
    pub registrars: Vec<Registrar>,
    #[serde(default)]
    pub tlds: Vec<Tld>,
    #[serde(default)]
    pub hosting_servers: Vec<HostingServer>,
    #[serde(default)]
    pub hosting_plans: Vec<HostingPlan>,
    #[serde(default)]
    pub solusvm: Vec<SolusvmMaster>,
    #[serde(default)]
    pub centovacast_servers: Vec<CentovaServer>,
    #[serde(default)]
    pub modules: Vec<ModuleAccess>,
}

impl StaffFixtures {
    pub fn items(&self, sealer: &Sealer) -> ApiResult<Vec<Item>> {
        fn all<T: StaffRecord>(records: &[T], sealer: &Sealer, out: &mut Vec<Item>) -> ApiResult<()> {
            for r in records {
                out.push(to_item(r, sealer)?);
            }
            Ok(())
        }
        let mut items = Vec::new();
        all(&self.registrars, sealer, &mut items)?;
        all(&self.tlds, sealer, &mut items)?;
        all(&self.hosting_servers, sealer, &mut items)?;
        all(&self.hosting_plans, sealer, &mut items)?;
        all(&self.solusvm, sealer, &mut items)?;
        all(&self.centovacast_servers, sealer, &mut items)?;
        all(&self.modules, sealer, &mut items)?;
        Ok(items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_sealed_and_come_back() {
        let sealer = Sealer::new(&[3; 32]).unwrap();
        let server = HostingServer {
            id: 4,
            name: "WHM".into(),
            ip: Some("10.0.0.1".into()),
            hostname: Some("whm.example.com".into()),
            assigned_ips: vec![],
            ns1: None,
            ns2: None,
            ns3: None,
            ns4: None,
            manager: "whm".into(),
            username: Some("root".into()),
            password: None,
            accesshash: Some("HASH-SECRET".into()),
            port: None,
            secure: true,
            active: true,
        };
        let item = to_item(&server, &sealer).unwrap();
        assert_eq!(Key::of(&item), Some(Key::new("CONFIG", "HOSTSERVER#4")));
        assert!(!item.contains_key("accesshash"));
        assert!(!format!("{item:?}").contains("HASH-SECRET"));
        assert_eq!(from_item::<HostingServer>(&item, &sealer).unwrap(), server);
    }
}
