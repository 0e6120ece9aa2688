//! `/api/client/serviceyouhosting/*`: free hosting on YouHosting. The client signs up with
//! YouHosting (solving its captcha), then activates a pending order, which creates the account
//! there and activates the order here.

// Request paths return errors; they never panic on input.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use bb_core::crypto::random_alphanumeric;
use bb_core::domain::activity;
use bb_core::domain::client;
use bb_core::domain::order::{self, Order};
use bb_core::domain::service::staff::{self, ModuleAccess};
use bb_core::domain::service::youhosting::{ClientLink, YouhostingInfo, YouhostingService, client_link_key};
use bb_core::domain::service::{self, Lookup, OrderRef, config_text};
use bb_core::error::changed_meanwhile;
use bb_core::notifier::Notice;
use bb_core::prelude::*;
use bb_core::store::{from_item, to_item};
use bb_integrations::youhosting::{CLIENT_EXISTS, YouHosting, id_text};

pub fn module() -> Module {
    Module::new("serviceyouhosting")
        .summary("YouHosting accounts")
        .external_calls()
        .method(Access::Read, "info", info)
        .method(Access::Write, "captcha", captcha)
        .method(Access::Write, "activate", activate)
        .method(Access::Write, "signup", signup)
        .method(Access::Read, "cpanel_url", cpanel_url)
        .method(Access::Read, "is_yh_client", is_yh_client)
}

async fn api(ctx: &ClientCtx) -> ApiResult<YouHosting<'_>> {
    let access = staff::load::<ModuleAccess>(ctx.store(), &ctx.app.sealer, "youhosting").await?;
    YouHosting::new(access.as_ref(), ctx.app.outbound.as_ref(), &ctx.meta.ip)
}

/// The client's YouHosting client id, once signed up.
async fn yh_client_id(ctx: &ClientCtx) -> ApiResult<Option<String>> {
    let link = ctx.store().get(&client_link_key(ctx.client_id)).await?;
    Ok(link
        .map(|item| ClientLink::from_item(&item))
        .transpose()?
        .map(|l| l.yh_client_id))
}

/// The caller's YouHosting order (any status) and its record, if set up.
async fn order_of(ctx: &ClientCtx, order_id: Option<OrderRef>) -> ApiResult<(Order, Option<YouhostingService>)> {
    let id = order_id.ok_or_else(|| ApiError::new("order_id is missing"))?;
    let (order, record) = service::load_order(ctx.store(), ctx.client_id, id, Lookup::Core).await?;
    if order.service_type != "youhosting" {
        return Err(ApiError::new("Order not found"));
    }
    let record = record.map(|r| from_item(&r)).transpose()?;
    Ok((order, record))
}

fn account_id(record: &Option<YouhostingService>) -> Option<String> {
    record
        .as_ref()
        .and_then(|r| r.yh_account_id.clone())
        .filter(|a| !a.is_empty())
}

#[derive(Params)]
struct OrderParams {
    order_id: Option<OrderRef>,
}

/// Whether the client has signed up with YouHosting, and the order's account with the
/// nameservers to point a domain at.
async fn info(ctx: ClientCtx, p: OrderParams) -> ApiResult<YouhostingInfo> {
    let (_, record) = order_of(&ctx, p.order_id).await?;
    let mut answer = YouhostingInfo {
        is_youhosting_client: yh_client_id(&ctx).await?.is_some(),
        account: None,
        ns: None,
    };
    if let Some(account) = account_id(&record) {
        let yh = api(&ctx).await?;
        answer.account = Some(Relayed(yh.account(&account).await?));
        answer.ns = Some(Relayed(yh.nameservers().await?));
    }
    Ok(answer)
}

/// A captcha to solve before signing up or activating: `{id, url}`.
async fn captcha(ctx: ClientCtx, _: NoParams) -> ApiResult<Relayed> {
    api(&ctx).await?.captcha().await.map(Relayed)
}

#[derive(Params)]
struct SignupParams {
    captcha_id: Option<String>,
    captcha_solution: Option<String>,
}

fn given(v: Option<String>, missing: &'static str) -> ApiResult<String> {
    v.map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::new(missing))
}

/// Creates the client's YouHosting client (or finds it by e-mail) and remembers it.
async fn signup(ctx: ClientCtx, p: SignupParams) -> ApiResult<bool> {
    let captcha_id = given(p.captcha_id, "Captcha id is missing")?;
    let solution = given(p.captcha_solution, "captcha_solution is missing")?;
    let yh = api(&ctx).await?;
    yh.verify_captcha(&captcha_id, &solution).await?;
    let me = client::load(ctx.store(), ctx.client_id).await?;
    let password = random_alphanumeric(12).map_err(|e| ApiError::internal(e.to_string()))?;
    let first = me.first_name.clone().unwrap_or_default();
    let last = me.last_name.clone().unwrap_or_default();
    let created = yh
        .create_client(&[
            ("first_name", &first),
            ("last_name", &last),
            ("email", &me.email),
            ("password", &password),
            ("captcha_id", &captcha_id),
        ])
        .await;
    let id = match created {
        Ok(c) => c.get("id").map(id_text),
        Err(e) if e.code == CLIENT_EXISTS => yh.client_by_email(&me.email).await?,
        Err(e) => return Err(e),
    }
    .ok_or_else(|| ApiError::new("YouHosting did not return a client id"))?;
    let link = ClientLink {
        client_id: ctx.client_id,
        yh_client_id: id,
        updated_at: ctx.now_text(),
    };
    ctx.store().put(link.to_item()?, None).await?;
    Ok(true)
}

#[derive(Params)]
struct ActivateParams {
    captcha_id: Option<String>,
    order_id: Option<OrderRef>,
    captcha_solution: Option<String>,
}

/// Creates the order's account on YouHosting and activates the order. A refused creation
/// leaves the order `failed_setup` (it can be activated again).
async fn activate(ctx: ClientCtx, p: ActivateParams) -> ApiResult<bool> {
    let captcha_id = given(p.captcha_id, "Captcha id is missing")?;
    let order_id = p.order_id.ok_or_else(|| ApiError::new("order_id is missing"))?;
    let solution = given(p.captcha_solution, "captcha_solution is missing")?;
    let yh = api(&ctx).await?;
    yh.verify_captcha(&captcha_id, &solution).await?;
    let (mut order, _) = order_of(&ctx, Some(order_id)).await?;
    if order.status != order::OrderStatus::PendingSetup && order.status != order::OrderStatus::FailedSetup {
        return Err(ApiError::new("Only pending setup or failed orders can be activated"));
    }
    let yh_client = yh_client_id(&ctx)
        .await?
        .ok_or_else(|| ApiError::new("Client must confirm his account before activating order"))?;
    let catalog = ctx.app.catalog().await?;
    let product = catalog.product(order.product_id);
    let plan = product
        .and_then(|p| config_text(&p.config, "plan_id"))
        .unwrap_or_default();
    let kind = config_text(&order.config, "domain_type").unwrap_or_else(|| "domain".into());
    let domain = if kind == "subdomain" {
        config_text(&order.config, "master_domain")
    } else {
        config_text(&order.config, "domain")
    }
    .unwrap_or_default();
    let subdomain = config_text(&order.config, "subdomain").unwrap_or_default();
    let password = random_alphanumeric(12).map_err(|e| ApiError::internal(e.to_string()))?;
    let version = order.version;
    let created = yh
        .create_account(&[
            ("client_id", &yh_client),
            ("captcha_id", &captcha_id),
            ("plan_id", &plan),
            ("type", &kind),
            ("domain", &domain),
            ("subdomain", &subdomain),
            ("password", &password),
        ])
        .await;
    let account = match created {
        Ok(a) => a,
        Err(e) => {
            if order.status != order::OrderStatus::FailedSetup {
                order.status = order::OrderStatus::FailedSetup;
                order.record(order::OrderStatus::FailedSetup, &e.message, &ctx.now_text());
                order.version = version + 1;
                let put = order.put_when(Cond::version(version))?;
                ctx.store()
                    .transact(vec![put])
                    .await
                    .map_err(changed_meanwhile("order"))?;
            }
            return Err(e);
        }
    };
    let account_id = account
        .get("id")
        .map(id_text)
        .ok_or_else(|| ApiError::new("YouHosting did not return an account id"))?;
    let mut ids = ctx.ids(&[(IdKind::Service, 1), (IdKind::Email, 1)]).await?;
    let service_id = ids.next(IdKind::Service)?;
    let activation =
        bb_core::domain::activation::activate(&mut order, product, service_id, ctx.now(), &ctx.app.sealer)?;
    let svc_key = service::service_key(order.client_id, order.id);
    let sealed = service::seal(&ctx.app.sealer, &password)?;
    // The service record activation writes, with what YouHosting created.
    let mut ops = Vec::new();
    for op in activation.ops {
        ops.push(match op {
            TxOp::Put { mut item, cond } if Key::of(&item).as_ref() == Some(&svc_key) => {
                let mut record: YouhostingService = from_item(&item)?;
                record.yh_account_id = Some(account_id.clone());
                record.password_sealed = sealed.clone();
                item.extend(to_item(&record)?);
                TxOp::Put { item, cond }
            }
            other => other,
        });
    }
    order.version = version + 1;
    ops.push(order.put_when(Cond::version(version))?);
    ops.push(activity::log(
        &ctx.origin(),
        ctx.client_id,
        format!("Activated YouHosting order #{}", order.id),
    ));
    let me = client::load(ctx.store(), ctx.client_id).await?;
    let notice = Notice::to_client(
        activation.notice_template.clone(),
        me.id,
        &me.email,
        &me.full_name(),
        json!({"c": me.view(false), "order": order.view(&Value::Null)}),
    );
    let commit = Commit::new(&ctx.app, ops, &[notice], &mut ids).await?;
    commit.run(&ctx.app).await.map_err(changed_meanwhile("order"))?;
    Ok(true)
}

/// A login link to the order's YouHosting control panel.
async fn cpanel_url(ctx: ClientCtx, p: OrderParams) -> ApiResult<Relayed> {
    let (_, record) = order_of(&ctx, p.order_id).await?;
    let account = account_id(&record).ok_or_else(|| ApiError::new("Order is not activated"))?;
    api(&ctx).await?.login_url(&account).await.map(Relayed)
}

async fn is_yh_client(ctx: ClientCtx, _: NoParams) -> ApiResult<bool> {
    Ok(yh_client_id(&ctx).await?.is_some())
}
