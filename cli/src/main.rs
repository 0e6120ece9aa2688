//! `bb` — see `bb help`.

use std::process::ExitCode;

const HELP: &str = "bb — bb-lambda's local server and operator commands

USAGE:
  bb serve [--addr 127.0.0.1:8080] [--no-demo]   serve every route locally
  bb fixtures load <file.json>...                load settings, templates, clients, catalogue
  bb openapi [--out <file>]                      write the OpenAPI document
  bb table create                                create the DynamoDB table (BB_TABLE_NAME)
  bb client status <id> <active|suspended|canceled>
  bb mail retry                                  send queued and failed mail again
  bb invoice pay <hash> [--gateway <id>] [--txn <ref>]   record a payment: activates/renews orders, credits deposits
  bb invoice cancel <hash>                       cancel an unpaid invoice
  bb invoice refund <hash> [--to-balance]        mark a paid invoice refunded (optionally to the account)
  bb order <activate|suspend|unsuspend|cancel> <client id> <order id>
  bb client add-funds <client id> <amount> [description]
  bb service set <client id> <order id> <name=value>...   record what was provisioned (vserverid=..., oid=...)

The environment chooses the backends (see README: BB_TABLE_NAME, BB_MAIL, BB_FILES_BUCKET,
BB_DATA_DIR, BB_DATA_KEY); without it everything runs on files under .bb-data/.";

fn flag(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

async fn run(args: Vec<String>) -> Result<(), String> {
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    match words.as_slice() {
        ["serve", ..] => {
            bb_runtime::logging::init();
            let addr = flag(&args, "--addr").unwrap_or_else(|| "127.0.0.1:8080".into());
            let started = bb_cli::serve::start(bb_cli::serve::Options {
                addr: addr.parse().map_err(|_| format!("--addr {addr} is not host:port"))?,
                demo: !words.contains(&"--no-demo"),
                backends: bb_runtime::backends::Choice::from_env(),
            })
            .await?;
            println!("{}", started.banner);
            tokio::select! {
                served = started.task => served.map_err(|e| e.to_string())?.map_err(|e| e.to_string()),
                _ = tokio::signal::ctrl_c() => Ok(()),
            }
        }
        ["fixtures", "load", files @ ..] if !files.is_empty() => {
            let (app, backends) = bb_runtime::backends::app_from_env(bb_cli::registry()).await?;
            println!("{}", backends.summary);
            for file in files {
                let text = std::fs::read_to_string(file).map_err(|e| format!("{file}: {e}"))?;
                let name = std::path::Path::new(file)
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .unwrap_or("fixtures");
                let report = bb_cli::fixtures::load(&app, &bb_cli::fixtures::parse(&text)?, name).await?;
                println!("{file}: {report:?}");
            }
            Ok(())
        }
        ["openapi", ..] => {
            let doc = bb_core::openapi::document(&bb_cli::registry(), env!("CARGO_PKG_VERSION"));
            let text = serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?;
            match flag(&args, "--out") {
                Some(path) => std::fs::write(&path, text + "\n").map_err(|e| format!("{path}: {e}")),
                None => {
                    println!("{text}");
                    Ok(())
                }
            }
        }
        ["table", "create"] => {
            let table = std::env::var("BB_TABLE_NAME").map_err(|_| "set BB_TABLE_NAME".to_string())?;
            let sdk = bb_aws::sdk_config().await;
            bb_aws::create_table(&bb_aws::DynamoClient::new(&sdk), &table)
                .await
                .map_err(|e| e.to_string())?;
            println!("table {table} ready");
            Ok(())
        }
        ["client", "status", id, status] => {
            let (app, _) = bb_runtime::backends::app_from_env(bb_cli::registry()).await?;
            let id = id.parse().map_err(|_| format!("{id} is not a client id"))?;
            let client = bb_cli::ops::set_client_status(&app, id, status).await?;
            println!("client #{} is now {}", client.id, client.status);
            Ok(())
        }
        ["invoice", "pay", hash, ..] => {
            let (app, _) = bb_runtime::backends::app_from_env(bb_cli::registry()).await?;
            let gateway = flag(&args, "--gateway")
                .map(|g| g.parse().map_err(|_| format!("--gateway {g} is not an id")))
                .transpose()?;
            let done = bb_cli::ops::pay_invoice(&app, hash, gateway, flag(&args, "--txn")).await?;
            app.mail_dispatch.flush().await;
            println!("{done}");
            Ok(())
        }
        ["invoice", action @ ("cancel" | "refund"), hash, ..] => {
            let (app, _) = bb_runtime::backends::app_from_env(bb_cli::registry()).await?;
            println!(
                "{}",
                bb_cli::ops::close_invoice(&app, hash, action, words.contains(&"--to-balance")).await?
            );
            Ok(())
        }
        ["order", action, client, order] => {
            let (app, _) = bb_runtime::backends::app_from_env(bb_cli::registry()).await?;
            let client = client.parse().map_err(|_| format!("{client} is not a client id"))?;
            let order = order.parse().map_err(|_| format!("{order} is not an order id"))?;
            let done = bb_cli::ops::order_action(&app, client, order, action).await?;
            app.mail_dispatch.flush().await;
            println!("{done}");
            Ok(())
        }
        ["client", "add-funds", client, amount, rest @ ..] => {
            let (app, _) = bb_runtime::backends::app_from_env(bb_cli::registry()).await?;
            let client = client.parse().map_err(|_| format!("{client} is not a client id"))?;
            let description = if rest.is_empty() {
                "Funds added by staff".to_string()
            } else {
                rest.join(" ")
            };
            println!("{}", bb_cli::ops::add_funds(&app, client, amount, &description).await?);
            Ok(())
        }
        ["service", "set", client, order, pairs @ ..] if !pairs.is_empty() => {
            let (app, _) = bb_runtime::backends::app_from_env(bb_cli::registry()).await?;
            let client = client.parse().map_err(|_| format!("{client} is not a client id"))?;
            let order = order.parse().map_err(|_| format!("{order} is not an order id"))?;
            let fields = pairs
                .iter()
                .map(|p| {
                    p.split_once('=')
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .ok_or_else(|| format!("{p} is not name=value"))
                })
                .collect::<Result<Vec<_>, _>>()?;
            println!(
                "{}",
                bb_cli::ops::set_service_fields(&app, client, order, &fields).await?
            );
            Ok(())
        }
        ["mail", "retry"] => {
            let (app, _) = bb_runtime::backends::app_from_env(bb_cli::registry()).await?;
            let (sent, failing) = bb_cli::ops::retry_mail(&app).await?;
            println!("{sent} sent, {failing} still failing");
            Ok(())
        }
        [] | ["help" | "--help" | "-h"] => {
            println!("{HELP}");
            Ok(())
        }
        _ => Err(format!("unknown command: {}\n\n{HELP}", args.join(" "))),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bb: {e}");
            ExitCode::FAILURE
        }
    }
}
