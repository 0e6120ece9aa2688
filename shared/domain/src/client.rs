//! The client record: profile fields, status, balance and the hashes of its credentials.

use crate::error::{ApiError, ApiResult};
use crate::keys;
use crate::store::Record;
use crate::store::{Item, Key, StoreError, Update, from_item};
use bb_macros::Answer;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

named! {
    /// A client account's state: anything but `active` ends its sessions and API key.
    #[derive(Default)]
    pub enum ClientStatus {
        #[default]
        Active = "active",
        Suspended = "suspended",
        Canceled = "canceled",
    }
}

/// A live session of the client: the token hash and when it ends at the latest (epoch s).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct SessionRef {
    pub hash: String,
    pub expires: i64,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct ClientRecord {
    pub id: i64,
    pub email: String,
    pub status: ClientStatus,
    pub password_hash: String,
    pub aid: Option<String>,
    #[serde(rename = "type")]
    pub client_type: Option<String>,
    pub group_id: Option<i64>,
    pub company: Option<String>,
    pub company_vat: Option<String>,
    pub company_number: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub gender: Option<String>,
    pub birthday: Option<String>,
    pub phone_cc: Option<String>,
    pub phone: Option<String>,
    pub address_1: Option<String>,
    pub address_2: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postcode: Option<String>,
    pub country: Option<String>,
    pub currency: Option<String>,
    pub notes: Option<String>,
    pub document_type: Option<String>,
    pub document_nr: Option<String>,
    pub lang: Option<String>,
    /// `custom_1` … `custom_10`.
    #[serde(default)]
    pub custom: BTreeMap<String, String>,
    #[serde(default)]
    pub tax_exempt: bool,
    #[serde(default)]
    pub email_approved: bool,
    /// Sum of the balance entries, decimal text; absent until the first entry.
    pub balance: Option<String>,
    pub api_key_hash: Option<String>,
    /// The API key sealed with the data key, so `api_key_get` can show it again.
    pub api_key_sealed: Option<String>,
    #[serde(default)]
    pub sessions: Vec<SessionRef>,
    pub ip: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// Promo codes used (for once-per-client promos).
    #[serde(default)]
    pub promos_used: Vec<i64>,
    /// Bumped by every write; writes are conditional on the version they read.
    #[serde(default)]
    pub version: i64,
}

/// The profile fields a client may change through `profile/update`, in BoxBilling's order.
pub const EDITABLE_FIELDS: &[&str] = &[
    "first_name",
    "last_name",
    "gender",
    "birthday",
    "company",
    "company_vat",
    "company_number",
    "type",
    "address_1",
    "address_2",
    "phone_cc",
    "phone",
    "country",
    "postcode",
    "city",
    "state",
    "document_type",
    "document_nr",
    "lang",
    "notes",
];

pub const CUSTOM_FIELDS: usize = 10;

impl crate::store::Versioned for ClientRecord {
    fn version(&self) -> i64 {
        self.version
    }
    fn set_version(&mut self, version: i64) {
        self.version = version;
    }
}

impl crate::store::Record for ClientRecord {
    fn key(&self) -> Key {
        keys::client(self.id)
    }
}

impl ClientRecord {
    pub fn is_active(&self) -> bool {
        self.status == ClientStatus::Active
    }

    pub fn full_name(&self) -> String {
        let first = self.first_name.as_deref().unwrap_or("");
        let last = self.last_name.as_deref().unwrap_or("");
        format!("{first} {last}").trim().to_string()
    }

    /// BoxBilling's `[client]` shape, in its key order; `balance` only where the method adds it.
    pub fn view(&self, with_balance: bool) -> ClientView {
        let custom = |name: &str| self.custom.get(name).filter(|v| !v.is_empty()).cloned();
        ClientView {
            id: self.id,
            aid: self.aid.clone(),
            email: self.email.clone(),
            client_type: self.client_type.clone(),
            group_id: self.group_id,
            company: self.company.clone(),
            company_vat: self.company_vat.clone(),
            company_number: self.company_number.clone(),
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            gender: self.gender.clone(),
            birthday: self.birthday.clone(),
            phone_cc: self.phone_cc.clone(),
            phone: self.phone.clone(),
            address_1: self.address_1.clone(),
            address_2: self.address_2.clone(),
            city: self.city.clone(),
            state: self.state.clone(),
            postcode: self.postcode.clone(),
            country: self.country.clone(),
            currency: self.currency.clone(),
            notes: self.notes.clone(),
            created_at: self.created_at.clone(),
            document_nr: self.document_nr.clone(),
            balance: with_balance.then(|| self.balance.clone()),
            custom_1: custom("custom_1"),
            custom_2: custom("custom_2"),
            custom_3: custom("custom_3"),
            custom_4: custom("custom_4"),
            custom_5: custom("custom_5"),
            custom_6: custom("custom_6"),
            custom_7: custom("custom_7"),
            custom_8: custom("custom_8"),
            custom_9: custom("custom_9"),
            custom_10: custom("custom_10"),
        }
    }
}

/// `[client]`, as BoxBilling answers it. `balance` is there only where the method adds it, and
/// a custom field only when it holds something.
#[derive(Debug, Clone, Serialize, Answer)]
pub struct ClientView {
    pub id: i64,
    pub aid: Option<String>,
    pub email: String,
    #[serde(rename = "type")]
    pub client_type: Option<String>,
    pub group_id: Option<i64>,
    pub company: Option<String>,
    pub company_vat: Option<String>,
    pub company_number: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub gender: Option<String>,
    pub birthday: Option<String>,
    pub phone_cc: Option<String>,
    pub phone: Option<String>,
    pub address_1: Option<String>,
    pub address_2: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postcode: Option<String>,
    pub country: Option<String>,
    pub currency: Option<String>,
    pub notes: Option<String>,
    pub created_at: String,
    pub document_nr: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub balance: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_1: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_2: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_3: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_4: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_5: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_6: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_7: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_8: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_9: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_10: Option<String>,
}

/// Loads the caller's record. A credential whose client is gone authenticates nobody.
pub async fn load(store: &dyn crate::store::Store, id: i64) -> ApiResult<ClientRecord> {
    let item = store.get(&keys::client(id)).await?.ok_or_else(|| ApiError::auth(201))?;
    Ok(ClientRecord::from_item(&item)?)
}

/// The write of a client from `before` (as it was read) to `after`: the fields that changed,
/// `updated_at` and the next version, refused if the client changed since it was read
/// (optimistic locking).
pub fn update(before: &ClientRecord, after: &ClientRecord, now: &str) -> Result<Update, StoreError> {
    let mut after = after.clone();
    after.updated_at = now.to_string();
    crate::store::Versioned::update_from(&after, before)
}

/// Claims `email` for the client (refused when another client holds it).
pub fn email_claim(email: &str, client_id: i64) -> crate::store::TxOp {
    crate::store::TxOp::Put {
        item: email_item(email, client_id),
        cond: Some(crate::store::Cond::absent()),
    }
}

/// Gives up the client's claim on `email` (only if it is still the client's).
pub fn email_release(email: &str, client_id: i64) -> crate::store::TxOp {
    crate::store::TxOp::Delete {
        key: keys::client_email(email),
        cond: Some(crate::store::Cond::eq("client_id", client_id)),
    }
}

/// The unique e-mail guard of a client (`EMAIL#<lower-cased e-mail>` → client id).
fn email_item(email: &str, client_id: i64) -> Item {
    let key = keys::client_email(email);
    let mut item = Item::new();
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    item.insert("client_id".into(), client_id.into());
    item
}

/// Collections whose answers embed the owner's `[client]`. Each starts with a header item
/// (sk = the prefix itself) holding that view, so one Query returns the view and the records;
/// the headers are rewritten whenever the view changes.
pub const VIEW_HEADERS: [&str; 4] = ["BAL#", "INV#", "ORD#", "TKT#"];

/// Writes of the header items for the client's current view (other header attributes, such as
/// the support module's `last_ticket_at`, are kept).
pub fn header_ops(c: &ClientRecord) -> Result<Vec<crate::store::TxOp>, StoreError> {
    let view = crate::store::Attr::from_json(&serde_json::json!(c.view(false)));
    Ok(VIEW_HEADERS
        .iter()
        .map(|prefix| {
            crate::store::TxOp::Update(
                Update::new(Key::new(keys::client_partition(c.id), *prefix))
                    .set("kind", "header")
                    .set("client", view.clone()),
            )
        })
        .collect())
}

/// The `[client]` view held by a collection's header item, if `items` contains it.
pub fn view_from_header(items: &[Item]) -> Option<serde_json::Value> {
    items
        .iter()
        .find(|i| i.get("kind").and_then(crate::store::Attr::as_str) == Some("header"))
        .and_then(|i| i.get("client"))
        .map(crate::store::Attr::to_json)
}

/// The owner's `[client]` kept on a collection's header item (null without one).
fn header_view(header: Option<&Item>) -> serde_json::Value {
    header
        .and_then(|i| i.get("client"))
        .map(crate::store::Attr::to_json)
        .unwrap_or(serde_json::Value::Null)
}

/// Items of a collection query that are records (not the header, nor a list's entries and
/// counts).
pub fn records(items: &[Item]) -> impl Iterator<Item = &Item> {
    use crate::store::listing::{COUNT_KIND, ENTRY_KIND};
    items.iter().filter(|i| {
        !matches!(
            i.get("kind").and_then(crate::store::Attr::as_str),
            Some("header" | ENTRY_KIND | COUNT_KIND)
        )
    })
}

/// One page of a list of the owner's family (`listing`) and the owner's `[client]` from the
/// family's header: page 1 of the whole family is one Query holding both; any other page reads
/// the header alongside.
pub async fn list_page_with_view(
    store: &dyn crate::store::Store,
    listing: &crate::store::listing::Listing,
    offset: u64,
    limit: usize,
) -> ApiResult<(crate::store::listing::ListPage, serde_json::Value)> {
    use crate::store::listing::read_page;
    if offset == 0 && listing.name.is_empty() {
        let page = read_page(store, listing, offset, limit, true).await?;
        let view = header_view(page.header.as_ref());
        return Ok((page, view));
    }
    let header = Key::new(listing.pk.clone(), listing.family);
    let (page, header) = tokio::try_join!(read_page(store, listing, offset, limit, false), store.get(&header))?;
    Ok((page, header_view(header.as_ref())))
}

/// Every entry of `listing` and the owner's `[client]` (filters a list cannot serve).
pub async fn list_all_with_view(
    store: &dyn crate::store::Store,
    listing: &crate::store::listing::Listing,
) -> ApiResult<(Vec<Item>, serde_json::Value)> {
    let header = Key::new(listing.pk.clone(), listing.family);
    let (entries, header) = tokio::try_join!(crate::store::listing::read_all(store, listing), store.get(&header))?;
    let view = header_view(header.as_ref());
    Ok((entries, view))
}

/// The records of one of the owner's collections (`INV#`, `ORD#`, ...) and the owner's
/// `[client]` from its header, in one Query.
pub async fn collection<T: serde::de::DeserializeOwned>(
    store: &dyn crate::store::Store,
    client_id: i64,
    prefix: &str,
) -> ApiResult<(Vec<T>, serde_json::Value)> {
    let query = crate::store::Query::partition(keys::client_partition(client_id)).prefix(prefix);
    let items = crate::store::query_all(store, query).await?;
    let view = view_from_header(&items).unwrap_or(serde_json::Value::Null);
    let list = records(&items).map(from_item).collect::<Result<Vec<T>, _>>()?;
    Ok((list, view))
}

/// The records of a listed family (its lists skipped) and the owner's `[client]`: a Query of
/// the records and the header read beside it (filters a list cannot serve).
pub async fn family_with_view<T: serde::de::DeserializeOwned>(
    store: &dyn crate::store::Store,
    client_id: i64,
    family: &str,
) -> ApiResult<(Vec<T>, serde_json::Value)> {
    let pk = keys::client_partition(client_id);
    let query = crate::store::Query::partition(pk.clone()).sk(crate::store::listing::Listing::records_of(family));
    let header = Key::new(pk, family);
    let (items, header) = tokio::try_join!(crate::store::query_all(store, query), store.get(&header))?;
    let view = header_view(header.as_ref());
    let list = records(&items).map(from_item).collect::<Result<Vec<T>, _>>()?;
    Ok((list, view))
}

/// One record of the owner's collection `prefix` and the owner's `[client]`, in one read.
pub async fn one_with_view<T: serde::de::DeserializeOwned>(
    store: &dyn crate::store::Store,
    client_id: i64,
    key: &Key,
    prefix: &str,
) -> ApiResult<(Option<T>, serde_json::Value)> {
    let header = Key::new(keys::client_partition(client_id), prefix);
    let items = store.get_many(&[key.clone(), header.clone()]).await?;
    let view = header_view(items.get(&header));
    let record = items.get(key).map(from_item).transpose()?;
    Ok((record, view))
}
