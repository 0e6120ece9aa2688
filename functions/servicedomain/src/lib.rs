//! `/api/client/servicedomain/*`: a registered domain's nameservers, WHOIS contact, privacy,
//! lock and transfer code. The registrar is told first; the record changes only after it
//! agreed, in one transaction with the log line (and the Email registrar's request mail).

// Request paths return errors; they never panic on input.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use bb_core::domain::activity;
use bb_core::domain::client::ClientRecord;
use bb_core::domain::service::domain::{CONTACT_FIELDS, Contact, DomainService};
use bb_core::domain::service::staff::{self, Registrar as RegistrarAccount, Tld};
use bb_core::domain::service::{self, Found, Lookup, OrderRef};
use bb_core::error::changed_meanwhile;
use bb_core::keys;
use bb_core::prelude::*;
use bb_core::store::Ids;
use bb_integrations::registrar::{self, Domain, Operation, Outcome};

pub fn module() -> Module {
    Module::new("servicedomain")
        .summary("nameservers, contacts, lock, privacy, transfer code at the registrar")
        .external_calls()
        .method(Access::Write, "update_nameservers", update_nameservers)
        .method(Access::Write, "update_contacts", update_contacts)
        .method(Access::Write, "enable_privacy_protection", enable_privacy_protection)
        .method(Access::Write, "disable_privacy_protection", disable_privacy_protection)
        .method(Access::Read, "get_transfer_code", get_transfer_code)
        .method(Access::Write, "lock", lock)
        .method(Access::Write, "unlock", unlock)
}

async fn find(ctx: &ClientCtx, order_id: Option<OrderRef>) -> ApiResult<Found<DomainService>> {
    service::find(ctx.store(), ctx.client_id, order_id, "domain", Lookup::Core).await
}

/// The registrar account managing the domain (the record's, else the one serving its TLD) and
/// the client's profile, read together.
async fn account_and_profile(ctx: &ClientCtx, d: &DomainService) -> ApiResult<(RegistrarAccount, ClientRecord)> {
    let sealer = &ctx.app.sealer;
    let profile_key = keys::client(ctx.client_id);
    let tld_key = staff::key::<Tld>(&d.tld.to_ascii_lowercase());
    let first = match d.registrar_id {
        Some(id) => staff::key::<RegistrarAccount>(&id.to_string()),
        None => tld_key.clone(),
    };
    let items = ctx.store().get_many(&[profile_key.clone(), first.clone()]).await?;
    let find = |key: &Key| items.get(key);
    let profile =
        ClientRecord::from_item(find(&profile_key).ok_or_else(|| ApiError::internal("caller has no profile"))?)?;
    let account = match (d.registrar_id, find(&first)) {
        (Some(_), Some(item)) => Some(staff::from_item::<RegistrarAccount>(item, sealer)?),
        (Some(_), None) => None,
        (None, tld) => {
            let tld: Tld = match tld {
                Some(item) => staff::from_item(item, sealer)?,
                None => return Err(ApiError::new(format!("Domain registrar for {} was not found", d.tld))),
            };
            staff::load::<RegistrarAccount>(ctx.store(), sealer, &tld.registrar_id.to_string()).await?
        }
    };
    let account = account.ok_or_else(|| ApiError::new("Domain registrar was not found"))?;
    Ok((account, profile))
}

/// The domain as the registrar is told about it; empty contact fields come from the profile.
fn registrar_view(ctx: &ClientCtx, d: &DomainService, profile: &ClientRecord) -> ApiResult<Domain> {
    let c = &d.contact;
    let pick = |own: &Option<String>, fallback: &Option<String>| {
        own.clone()
            .filter(|v| !v.is_empty())
            .or_else(|| fallback.clone())
            .unwrap_or_default()
    };
    Ok(Domain {
        sld: d.sld.clone(),
        tld: d.tld.clone(),
        ns: [d.ns1.clone(), d.ns2.clone(), d.ns3.clone(), d.ns4.clone()],
        contact: registrar::Contact {
            first_name: pick(&c.first_name, &profile.first_name),
            last_name: pick(&c.last_name, &profile.last_name),
            email: pick(&c.email, &Some(profile.email.clone())),
            company: pick(&c.company, &profile.company),
            address1: pick(&c.address1, &profile.address_1),
            address2: pick(&c.address2, &profile.address_2),
            city: pick(&c.city, &profile.city),
            state: pick(&c.state, &profile.state),
            postcode: pick(&c.postcode, &profile.postcode),
            country: pick(&c.country, &profile.country),
            phone_cc: pick(&c.phone_cc, &profile.phone_cc),
            phone: pick(&c.phone, &profile.phone),
        },
        period: d.period,
        locked: d.locked,
        privacy: d.privacy,
        transfer_code: service::open(&ctx.app.sealer, d.transfer_code_sealed.as_deref())?,
        registered_at: d.registered_at.clone(),
        expires_at: d.expires_at.clone(),
    })
}

/// Asks the registrar for `operation` on the domain as `changed`; then stores what changed
/// with the log line (when any) and the registrar's mail, all or nothing. Returns the
/// registrar's answer.
async fn carry_out(
    ctx: &ClientCtx,
    found: &Found<DomainService>,
    changed: &DomainService,
    operation: Operation,
    log: Option<String>,
) -> ApiResult<Outcome> {
    let (account, profile) = account_and_profile(ctx, &found.service).await?;
    let adapter = registrar::for_account(&account, ctx.app.outbound.clone())?;
    let domain = registrar_view(ctx, changed, &profile)?;
    let reply = adapter.perform(operation, &domain).await?;
    let mut ops = Vec::new();
    if let Some(update) = found.changes(changed, &ctx.now_text())? {
        ops.push(TxOp::Update(update));
    }
    if let Some(line) = log {
        ops.push(activity::log(&ctx.origin(), ctx.client_id, line));
    }
    let notices: Vec<_> = reply.notice.into_iter().collect();
    let mut ids = if notices.is_empty() {
        Ids::default()
    } else {
        ctx.ids(&[(IdKind::Email, notices.len())]).await?
    };
    let commit = Commit::new(&ctx.app, ops, &notices, &mut ids).await?;
    if !commit.is_empty() {
        commit.run(&ctx.app).await.map_err(changed_meanwhile("domain"))?;
    }
    Ok(reply.value)
}

#[derive(Params)]
struct NameserverParams {
    order_id: Option<OrderRef>,
    ns1: Option<String>,
    ns2: Option<String>,
    ns3: Option<String>,
    ns4: Option<String>,
}

async fn update_nameservers(ctx: ClientCtx, p: NameserverParams) -> ApiResult<bool> {
    let found = find(&ctx, p.order_id).await?;
    let ns1 = p.ns1.ok_or_else(|| ApiError::new("Nameserver 1 is required"))?;
    let ns2 = p.ns2.ok_or_else(|| ApiError::new("Nameserver 2 is required"))?;
    let mut changed = found.service.clone();
    changed.ns1 = Some(ns1.trim().to_string());
    changed.ns2 = Some(ns2.trim().to_string());
    changed.ns3 = p.ns3.map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
    changed.ns4 = p.ns4.map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
    let log = format!("Updated domain #{} nameservers", found.service.id);
    carry_out(&ctx, &found, &changed, Operation::Nameservers, Some(log)).await?;
    Ok(true)
}

#[derive(Params)]
struct ContactParams {
    order_id: Option<OrderRef>,
    /// `first_name, last_name, email, company, address1, address2, country, city, state,
    /// postcode, phone_cc, phone`, all required.
    contact: Option<Value>,
}

async fn update_contacts(ctx: ClientCtx, p: ContactParams) -> ApiResult<bool> {
    let found = find(&ctx, p.order_id).await?;
    let missing = |name: &str| ApiError::new(format!("Required field {name} is missing"));
    let given = match p.contact {
        Some(Value::Object(m)) if !m.is_empty() => m,
        _ => return Err(missing("contact")),
    };
    let mut contact = serde_json::Map::new();
    for name in CONTACT_FIELDS {
        let text = match given.get(name) {
            Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
            Some(Value::Number(n)) => n.to_string(),
            _ => return Err(missing(name)),
        };
        contact.insert(name.into(), Value::String(text));
    }
    let contact: Contact =
        serde_json::from_value(Value::Object(contact.clone())).map_err(|e| ApiError::internal(e.to_string()))?;
    let mut changed = found.service.clone();
    changed.contact = contact;
    let log = format!("Updated domain #{} WHOIS details", found.service.id);
    carry_out(&ctx, &found, &changed, Operation::Contact, Some(log)).await?;
    Ok(true)
}

#[derive(Params)]
struct OrderParams {
    order_id: Option<OrderRef>,
}

/// A flag change (privacy or lock) told to the registrar, then stored.
async fn flag(ctx: ClientCtx, p: OrderParams, operation: Operation, log: fn(i64) -> String) -> ApiResult<bool> {
    let found = find(&ctx, p.order_id).await?;
    let mut changed = found.service.clone();
    match operation {
        Operation::PrivacyOn | Operation::PrivacyOff => changed.privacy = operation == Operation::PrivacyOn,
        _ => changed.locked = operation == Operation::Lock,
    }
    let line = log(found.service.id);
    carry_out(&ctx, &found, &changed, operation, Some(line)).await?;
    Ok(true)
}

async fn enable_privacy_protection(ctx: ClientCtx, p: OrderParams) -> ApiResult<bool> {
    flag(ctx, p, Operation::PrivacyOn, |id| {
        format!("Enabled privacy protection of #{id} domain")
    })
    .await
}

async fn disable_privacy_protection(ctx: ClientCtx, p: OrderParams) -> ApiResult<bool> {
    flag(ctx, p, Operation::PrivacyOff, |id| {
        format!("Disabled privacy protection of #{id} domain")
    })
    .await
}

async fn lock(ctx: ClientCtx, p: OrderParams) -> ApiResult<bool> {
    flag(ctx, p, Operation::Lock, |id| format!("Locking domain #{id}")).await
}

async fn unlock(ctx: ClientCtx, p: OrderParams) -> ApiResult<bool> {
    flag(ctx, p, Operation::Unlock, |id| format!("Unlocking domain #{id}")).await
}

/// The registrar's transfer (EPP) code; `true` from registrars that hand it over by hand.
async fn get_transfer_code(ctx: ClientCtx, p: OrderParams) -> ApiResult<Outcome> {
    let found = find(&ctx, p.order_id).await?;
    let current = found.service.clone();
    carry_out(&ctx, &found, &current, Operation::TransferCode, None).await
}
