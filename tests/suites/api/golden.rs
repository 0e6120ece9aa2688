//! Golden answers: one script of requests over every module (successes, refusals, bad input),
//! run on a fixed clock, whose answers (status, headers, body byte for byte) must equal the
//! recorded `tests/golden/client-api.json`, on both backends. A redesign that keeps the wire
//! keeps this file; a change to the wire shows here as a diff to review and re-record with
//! `BB_GOLDEN_RECORD=1 cargo test -p bb-tests --test api golden`.
//!
//! What is random by design (session and CSRF tokens, invoice hashes, cart ids, new API keys)
//! is replaced by `<random-N>`, numbered in order of first appearance, so the relations between
//! answers (the hash checkout answers is the one `invoice/get` is asked for) still count; the
//! emulator's per-test sender address and fake servers' ports are replaced likewise.

use bb_tests::*;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::PathBuf;

/// Who sends a step.
#[derive(Clone, Copy)]
enum As {
    Guest,
    Demo,
    Other,
    /// The session cookie (and CSRF token) of the last login.
    Cookie,
}

/// One request of the script; `{{name}}` in the body is a value an earlier step captured.
struct Step {
    who: As,
    path: &'static str,
    body: &'static str,
    /// Keep values of the answer (JSON pointers into it) under names.
    capture: &'static [(&'static str, &'static str)],
}

const fn step(who: As, path: &'static str, body: &'static str) -> Step {
    Step {
        who,
        path,
        body,
        capture: &[],
    }
}

const fn keep(
    who: As,
    path: &'static str,
    body: &'static str,
    capture: &'static [(&'static str, &'static str)],
) -> Step {
    Step {
        who,
        path,
        body,
        capture,
    }
}

use As::*;

/// The script: a client's day across every module, then refusals and bad input.
const SCRIPT: &[Step] = &[
    // Guests: the catalogue and the front door.
    step(Guest, "/api/guest/system/version", "{}"),
    step(Guest, "/api/guest/currency/get_pairs", "{}"),
    step(Guest, "/api/guest/product/get_list", "{}"),
    step(Guest, "/api/guest/product/get", r#"{"id": 1}"#),
    step(Guest, "/api/guest/product/get", r#"{"id": 999}"#),
    step(Guest, "/api/guest/invoice/gateways", "{}"),
    step(
        Guest,
        "/api/guest/client/login",
        r#"{"email": "demo@example.com", "password": "wrong"}"#,
    ),
    step(Guest, "/api/guest/client/login", r#"{"email": "demo@example.com"}"#),
    step(
        Guest,
        "/api/guest/client/login",
        r#"{"email": "demo@example.com", "password": "Demo12345"}"#,
    ),
    step(Cookie, "/api/client/profile/get", "{}"),
    step(
        Guest,
        "/api/guest/client/create",
        r#"{"email": "new@example.com", "first_name": "New", "password": "Newcomer123", "password_confirm": "Newcomer123"}"#,
    ),
    step(
        Guest,
        "/api/guest/client/create",
        r#"{"email": "DEMO@example.com", "first_name": "Again", "password": "Newcomer123", "password_confirm": "Newcomer123"}"#,
    ),
    // The cart and checkout: a free trial (active at once), then a paid order.
    step(Demo, "/api/guest/cart/get_currency", "{}"),
    step(Demo, "/api/guest/cart/set_currency", r#"{"currency": "XXX"}"#),
    step(Demo, "/api/guest/cart/add_item", r#"{"id": 5}"#),
    keep(Demo, "/api/client/cart/checkout", "{}", &[("free", "/result/order_id")]),
    step(Demo, "/api/guest/cart/add_item", r#"{"id": 1, "period": "1M"}"#),
    step(Demo, "/api/guest/cart/add_item", r#"{"id": 999}"#),
    step(Demo, "/api/guest/cart/apply_promo", r#"{"promocode": "NOSUCHCODE"}"#),
    step(Demo, "/api/guest/cart/get", "{}"),
    keep(
        Demo,
        "/api/client/cart/checkout",
        "{}",
        &[("invoice", "/result/invoice_hash"), ("order", "/result/order_id")],
    ),
    step(Demo, "/api/client/cart/checkout", "{}"),
    // Invoices and balance.
    step(Demo, "/api/client/order/get_list", "{}"),
    step(Demo, "/api/client/invoice/get_list", "{}"),
    step(Demo, "/api/client/invoice/get", r#"{"hash": "{{invoice}}"}"#),
    step(Demo, "/api/client/invoice/get", r#"{"hash": "doesnotexist"}"#),
    step(
        Demo,
        "/api/client/invoice/update",
        r#"{"hash": "{{invoice}}", "gateway_id": 1}"#,
    ),
    step(
        Demo,
        "/api/client/invoice/renewal_invoice",
        r#"{"order_id": {{order}}}"#,
    ),
    keep(
        Demo,
        "/api/client/invoice/funds_invoice",
        r#"{"amount": 20}"#,
        &[("funds", "/result")],
    ),
    step(Demo, "/api/client/invoice/funds_invoice", r#"{"amount": "2.555"}"#),
    step(Demo, "/api/client/invoice/delete", r#"{"hash": "{{funds}}"}"#),
    step(Demo, "/api/client/invoice/transaction_get_list", "{}"),
    step(Demo, "/api/client/client/balance_get_list", "{}"),
    // Orders.
    step(Demo, "/api/client/order/get_list", r#"{"expiring": 1}"#),
    step(Demo, "/api/client/order/get", r#"{"id": {{order}}}"#),
    step(Demo, "/api/client/order/addons", r#"{"id": {{order}}}"#),
    step(Demo, "/api/client/order/service", r#"{"id": {{order}}}"#),
    step(Demo, "/api/client/order/upgradables", r#"{"id": {{order}}}"#),
    step(Other, "/api/client/order/get", r#"{"id": {{order}}}"#),
    step(Other, "/api/client/invoice/get", r#"{"hash": "{{invoice}}"}"#),
    // Service methods on an order not yet active, on an active order of another kind, on
    // another client's order, and without their parameters.
    step(
        Demo,
        "/api/client/servicedomain/update_nameservers",
        r#"{"order_id": {{order}}, "ns1": "ns1.example.com", "ns2": "ns2.example.com"}"#,
    ),
    step(
        Demo,
        "/api/client/servicedomain/get_transfer_code",
        r#"{"order_id": {{free}}}"#,
    ),
    step(Demo, "/api/client/servicedomain/lock", "{}"),
    step(Other, "/api/client/servicedomain/unlock", r#"{"order_id": {{order}}}"#),
    step(
        Demo,
        "/api/client/servicehosting/change_password",
        r#"{"order_id": {{order}}, "password": "Secret123", "password_confirm": "Secret123"}"#,
    ),
    step(Demo, "/api/client/servicehosting/hp_get_pairs", "{}"),
    step(Demo, "/api/client/servicesolusvm/reboot", r#"{"order_id": {{order}}}"#),
    step(
        Demo,
        "/api/client/servicesolusvm/set_hostname",
        r#"{"order_id": {{free}}}"#,
    ),
    step(
        Demo,
        "/api/client/servicecentovacast/start",
        r#"{"order_id": {{free}}}"#,
    ),
    step(Demo, "/api/client/servicecentovacast/control_panel_url", "{}"),
    step(Demo, "/api/client/servicelicense/reset", r#"{"order_id": {{free}}}"#),
    step(
        Demo,
        "/api/client/serviceboxbillinglicense/reset",
        r#"{"order_id": {{order}}}"#,
    ),
    step(
        Demo,
        "/api/client/servicedownloadable/send_file",
        r#"{"order_id": {{free}}}"#,
    ),
    step(Demo, "/api/client/serviceyouhosting/info", r#"{"order_id": {{free}}}"#),
    step(Demo, "/api/client/servicecustom/greet", r#"{"order_id": {{free}}}"#),
    step(Demo, "/api/client/servicecustom/__call", r#"{"order_id": {{order}}}"#),
    // Support.
    step(Demo, "/api/client/support/helpdesk_get_pairs", "{}"),
    keep(
        Demo,
        "/api/client/support/ticket_create",
        r#"{"support_helpdesk_id": 1, "subject": "Help", "content": "It <b>broke</b> ✓"}"#,
        &[("ticket", "/result")],
    ),
    step(
        Demo,
        "/api/client/support/ticket_create",
        r#"{"support_helpdesk_id": 1, "subject": "Help"}"#,
    ),
    step(
        Demo,
        "/api/client/support/ticket_reply",
        r#"{"id": {{ticket}}, "content": "More detail"}"#,
    ),
    step(Demo, "/api/client/support/ticket_get_list", "{}"),
    step(Demo, "/api/client/support/ticket_get", r#"{"id": {{ticket}}}"#),
    step(Other, "/api/client/support/ticket_get", r#"{"id": {{ticket}}}"#),
    step(Demo, "/api/client/support/ticket_close", r#"{"id": {{ticket}}}"#),
    step(Demo, "/api/client/support/ticket_get", r#"{"id": {{ticket}}}"#),
    // The e-mail log (the mail of everything above, delivered).
    keep(
        Demo,
        "/api/client/email/get_list",
        "{}",
        &[("email", "/result/list/0/id")],
    ),
    step(Demo, "/api/client/email/get", r#"{"id": {{email}}}"#),
    step(Demo, "/api/client/email/resend", r#"{"id": {{email}}}"#),
    step(Demo, "/api/client/email/delete", r#"{"id": {{email}}}"#),
    step(Demo, "/api/client/email/get", r#"{"id": {{email}}}"#),
    step(Demo, "/api/client/email/get_list", r#"{"search": "ticket"}"#),
    // The forum.
    step(Demo, "/api/client/forum/get_list", "{}"),
    step(Demo, "/api/client/forum/get_categories", "{}"),
    step(Demo, "/api/client/forum/get", r#"{"id": 1}"#),
    step(Demo, "/api/client/forum/get", r#"{"id": 99}"#),
    keep(
        Demo,
        "/api/client/forum/start_topic",
        r#"{"forum_id": 1, "topic": "Hello there", "message": "First <i>post</i>"}"#,
        &[("topic", "/result")],
    ),
    step(
        Demo,
        "/api/client/forum/start_topic",
        r#"{"forum_id": 1, "topic": "Hello there"}"#,
    ),
    step(Other, "/api/client/forum/subscribe", r#"{"id": {{topic}}}"#),
    step(Other, "/api/client/forum/is_subscribed", r#"{"id": {{topic}}}"#),
    step(
        Demo,
        "/api/client/forum/post_message",
        r#"{"forum_topic_id": {{topic}}, "message": "A reply"}"#,
    ),
    step(Demo, "/api/client/forum/get_topic_list", r#"{"forum_id": 1}"#),
    step(Demo, "/api/client/forum/get_topic", r#"{"id": {{topic}}}"#),
    step(Demo, "/api/client/forum/get_topic", r#"{"slug": "hello-there"}"#),
    step(
        Demo,
        "/api/client/forum/get_topic_message_list",
        r#"{"forum_topic_id": {{topic}}}"#,
    ),
    step(Other, "/api/client/forum/unsubscribe", r#"{"id": {{topic}}}"#),
    step(Demo, "/api/client/forum/favorite_add", r#"{"id": {{topic}}}"#),
    step(Demo, "/api/client/forum/is_favorite", r#"{"id": {{topic}}}"#),
    step(Demo, "/api/client/forum/favorites", "{}"),
    step(Demo, "/api/client/forum/favorite_remove", r#"{"id": {{topic}}}"#),
    step(Demo, "/api/client/forum/profile", "{}"),
    step(Other, "/api/client/email/get_list", "{}"),
    // The profile.
    step(Demo, "/api/client/example/get_info", r#"{"say": "hi"}"#),
    step(
        Demo,
        "/api/client/profile/update",
        r#"{"city": "Shelbyville", "phone": ""}"#,
    ),
    step(Demo, "/api/client/profile/update", r#"{"email": "not an address"}"#),
    step(Demo, "/api/client/profile/get", "{}"),
    step(Other, "/api/client/profile/api_key_get", "{}"),
    step(
        Other,
        "/api/client/profile/change_password",
        r#"{"password": "short", "password_confirm": "short", "current_password": "Other12345"}"#,
    ),
    step(
        Other,
        "/api/client/profile/change_password",
        r#"{"password": "Another123", "password_confirm": "Another123", "current_password": "Other12345"}"#,
    ),
    step(Cookie, "/api/client/profile/logout", "{}"),
    step(Cookie, "/api/client/profile/get", "{}"),
    // Staff records the payment (`bb invoice pay`); the order is active, with its service.
    step(Guest, STAFF_PAYS, "{{invoice}}"),
    step(Demo, "/api/client/order/get", r#"{"id": {{order}}}"#),
    step(Demo, "/api/client/order/service", r#"{"id": {{order}}}"#),
    step(Demo, "/api/client/invoice/get", r#"{"hash": "{{invoice}}"}"#),
    step(
        Demo,
        "/api/client/invoice/renewal_invoice",
        r#"{"order_id": {{order}}}"#,
    ),
    step(Demo, "/api/client/invoice/get_list", r#"{"status": "unpaid"}"#),
    step(Demo, "/api/client/client/balance_get_list", "{}"),
    // Routing, authentication and bad input.
    step(Guest, "/api/client/profile/get", "{}"),
    step(Demo, "/api/client/nomodule/get", "{}"),
    step(Demo, "/api/client/profile/nomethod", "{}"),
    step(Demo, "/api/admin/profile/get", "{}"),
    step(Demo, "/api/client/invoice/get", "{not json"),
    step(Demo, "/api/client/order/get", r#"{"id": "seven"}"#),
    step(Other, "/api/client/profile/api_key_reset", "{}"),
    step(Other, "/api/client/profile/get", "{}"),
];

/// A step that is not a request: staff pays the invoice whose hash is the body.
const STAFF_PAYS: &str = "bb invoice pay";

fn golden_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("golden/client-api.json")
}

/// Replaces what is random by design with stable names, in order of first appearance.
#[derive(Default)]
struct Normalizer {
    seen: HashMap<String, String>,
    replacements: Vec<(String, String)>,
}

impl Normalizer {
    fn fixed(&mut self, from: &str, to: &str) {
        self.replacements.push((from.to_string(), to.to_string()));
    }

    fn text(&mut self, text: &str) -> String {
        let mut text = text.to_string();
        for (from, to) in &self.replacements {
            text = text.replace(from.as_str(), to);
        }
        let text = ports(&text);
        let mut out = String::with_capacity(text.len());
        let mut run = String::new();
        for c in text.chars().chain(std::iter::once('\u{0}')) {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                run.push(c);
                continue;
            }
            if random_looking(&run) {
                let next = self.seen.len() + 1;
                let name = self
                    .seen
                    .entry(run.clone())
                    .or_insert_with(|| format!("<random-{next}>"));
                out.push_str(name);
            } else {
                out.push_str(&run);
            }
            run.clear();
            if c != '\u{0}' {
                out.push(c);
            }
        }
        out
    }
}

/// Tokens, hashes and keys: 16 or more word characters with both letters and digits.
fn random_looking(run: &str) -> bool {
    run.len() >= 16 && run.bytes().any(|b| b.is_ascii_digit()) && run.bytes().any(|b| b.is_ascii_alphabetic())
}

/// `127.0.0.1:<port>` of a fake server, whatever port it got.
fn ports(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("127.0.0.1:") {
        let (head, tail) = rest.split_at(at + "127.0.0.1:".len());
        out.push_str(head);
        let digits = tail.bytes().take_while(u8::is_ascii_digit).count();
        out.push_str(if digits > 0 { "<port>" } else { "" });
        rest = &tail[digits..];
    }
    out.push_str(rest);
    out
}

fn substitute(body: &str, vars: &HashMap<&str, String>) -> String {
    let mut body = body.to_string();
    for (name, value) in vars {
        body = body.replace(&format!("{{{{{name}}}}}"), value);
    }
    body
}

fn as_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// What one call of the script cost in the store.
struct Cost {
    path: &'static str,
    ok: bool,
    calls: u32,
    capacity: bb_core::store::metrics::Capacity,
}

/// The store calls and capacity units of each method the script calls (its first successful
/// call), with the store's price per million calls at on-demand rates, as a Markdown table.
fn cost_table(costs: &[Cost]) -> String {
    // On-demand, us-east-1: $0.125 per million read request units, $0.625 per million write.
    const READ: f64 = 0.125;
    const WRITE: f64 = 0.625;
    let mut seen = std::collections::BTreeMap::new();
    for cost in costs.iter().filter(|c| c.ok) {
        seen.entry(cost.path).or_insert(cost);
    }
    let mut out =
        String::from("| method | store calls | RCU | WCU | store $ per million calls |\n|---|---|---|---|---|\n");
    for (path, cost) in seen {
        let (read, write) = (cost.capacity.read_units(), cost.capacity.write_units);
        out += &format!(
            "| {} | {} | {read} | {write} | {:.3} |\n",
            path.trim_start_matches("/api/"),
            cost.calls,
            read * READ + f64::from(write) * WRITE
        );
    }
    out
}

async fn run_script(t: &TestApp) -> (Vec<Value>, Vec<Cost>) {
    let mut costs = Vec::new();
    let mut normalizer = Normalizer::default();
    if let Some(aws) = &t.aws {
        normalizer.fixed(&aws.sender, "billing@example.com");
    }
    let mut vars: HashMap<&str, String> = HashMap::new();
    let mut session = Session::default();
    let mut answers = Vec::new();
    for (n, step) in SCRIPT.iter().enumerate() {
        let body = substitute(step.body, &vars);
        if step.path == STAFF_PAYS {
            let paid = bb_cli::ops::pay_invoice(&t.app, &body, None, None).await;
            t.app.mail_dispatch.flush().await;
            answers.push(json!({"call": STAFF_PAYS, "outcome": normalizer.text(&format!("{paid:?}"))}));
            continue;
        }
        let req = Req::post(step.path).raw("application/json", body.as_bytes());
        let req = match step.who {
            Guest => req,
            Demo => req.key(DEMO_KEY),
            Other => req.key(OTHER_KEY),
            Cookie => session.send_with_csrf(req),
        };
        let resp = t.call(req).await;
        costs.push(Cost {
            path: step.path,
            ok: resp.status == 200 && resp.json["error"].is_null(),
            calls: resp.store_calls,
            capacity: resp.capacity,
        });
        t.app.mail_dispatch.flush().await;
        session.absorb(&resp);
        for (name, pointer) in step.capture {
            let value = resp
                .json
                .pointer(pointer)
                .unwrap_or_else(|| panic!("step {n} {}: nothing at {pointer} in {}", step.path, resp.body));
            vars.insert(name, as_text(value));
        }
        let headers: Vec<Value> = resp
            .headers
            .iter()
            .map(|(name, value)| json!([name, normalizer.text(value)]))
            .collect();
        answers.push(json!({
            "call": format!("{} {}", step.path, normalizer.text(&body)),
            "status": resp.status,
            "headers": headers,
            "body": normalizer.text(&resp.body),
        }));
    }
    (answers, costs)
}

fn start() -> time::OffsetDateTime {
    time::macros::datetime!(2026-12-02 10:00:00 UTC)
}

each_backend!(answers_match_the_recording, |backend| async move {
    let t = TestApp::build_at(backend, start(), |_| {}, |store| store).await;
    let (answers, costs) = run_script(&t).await;
    // `scripts/bench costs`: the script's calls priced (the same on both backends: the units
    // come from item sizes).
    if let Some(out) = std::env::var_os("BB_COST_TABLE")
        && backend == Backend::Sqlite
    {
        std::fs::write(out, cost_table(&costs)).expect("write the cost table");
    }
    let path = golden_path();
    if std::env::var_os("BB_GOLDEN_RECORD").is_some() && backend == Backend::Sqlite {
        let text = serde_json::to_string_pretty(&answers).expect("json") + "\n";
        std::fs::create_dir_all(path.parent().expect("folder")).expect("golden folder");
        std::fs::write(&path, text).expect("write golden answers");
        return;
    }
    let recorded = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; record it with BB_GOLDEN_RECORD=1 cargo test -p bb-tests --test api golden",
            path.display()
        )
    });
    let recorded: Vec<Value> = serde_json::from_str(&recorded).expect("golden answers parse");
    assert_eq!(
        recorded.len(),
        answers.len(),
        "the script and the recording differ in length"
    );
    let mut differ = Vec::new();
    for (want, got) in recorded.iter().zip(&answers) {
        if want != got {
            differ.push(format!(
                "{}\n  recorded: {} {} {}\n  now:      {} {} {}",
                got["call"], want["status"], want["headers"], want["body"], got["status"], got["headers"], got["body"]
            ));
        }
    }
    assert!(
        differ.is_empty(),
        "{} of {} answers differ from {}:\n{}",
        differ.len(),
        answers.len(),
        path.display(),
        differ.join("\n")
    );
});
