//! `bb` — see `bb help`.

use std::process::ExitCode;

/// One command: how it is called, and what it does (its `--help`).
struct Command {
    usage: &'static str,
    about: &'static str,
}

const COMMANDS: &[Command] = &[
    Command {
        usage: "bb serve [--addr 127.0.0.1:8080] [--no-demo]",
        about: "Serves every route locally (/api/..., /api/openapi.json, signed file links) on the \
embedded store, loading the demo data on first start (not with --no-demo), and sweeps unsent \
mail every minute. With BB_TABLE_NAME (and BB_MAIL, BB_FILES_BUCKET) it serves AWS's backends.",
    },
    Command {
        usage: "bb fixtures load <file.json>...",
        about: "Loads settings, e-mail templates, clients, the catalogue and service configuration \
into the store the environment names.",
    },
    Command {
        usage: "bb openapi [--out <file>]",
        about: "Writes the OpenAPI document of every route (stdout without --out).",
    },
    Command {
        usage: "bb infra template [--out <file>] [--check]",
        about: "Writes the SAM template, generated from the modules' declarations (stdout without \
--out); --check fails when the file (default infra/template.yaml) differs from it.",
    },
    Command {
        usage: "bb table create",
        about: "Creates the DynamoDB table named by BB_TABLE_NAME as the template declares it \
(emulators and tests; the stack creates it in AWS).",
    },
    Command {
        usage: "bb client status <id> <active|suspended|canceled>",
        about: "Sets a client's status; anything but active ends its sessions and stops its API key at once.",
    },
    Command {
        usage: "bb client add-funds <client id> <amount> [description]",
        about: "Adds funds to a client's balance (a balance entry, in the client's currency).",
    },
    Command {
        usage: "bb mail retry",
        about: "Sends again every unsent mail item (queued, failed or given up on) and finishes \
unfinished fan-outs, claiming each first so it can run beside the mailer. Against a live table \
without BB_MAIL=ses it hands failed mail to the mailer's next sweep instead of sending.",
    },
    Command {
        usage: "bb invoice pay <hash> [--gateway <id>] [--txn <ref>]",
        about: "Records a gateway payment: marks the invoice paid, activates or renews its orders, \
credits deposits and mails the client. Recording the same --txn again answers as the first time.",
    },
    Command {
        usage: "bb invoice cancel <hash>",
        about: "Cancels an unpaid invoice.",
    },
    Command {
        usage: "bb invoice refund <hash> [--to-balance]",
        about: "Marks a paid invoice refunded; --to-balance credits the amount to the client's account.",
    },
    Command {
        usage: "bb order <activate|suspend|unsuspend|cancel> <client id> <order id>",
        about: "Moves an order through its lifecycle, with the client's notice.",
    },
    Command {
        usage: "bb counters <verify|repair> [--client <id>]",
        about: "Recomputes the list entries and counters (totals, position counts) of one client's \
invoices, balance entries and payments, or of every client, from the records; verify prints what \
differs and fails when anything does, repair writes the differences (run it on a quiet client).",
    },
    Command {
        usage: "bb service set <client id> <order id> <name=value>...",
        about: "Records what was provisioned for an order's service (vserverid=..., oid=...); \
secret fields are sealed.",
    },
];

const ENVIRONMENT: &str = "The environment chooses the backends (see README: BB_TABLE_NAME, BB_MAIL, BB_FILES_BUCKET,
BB_DATA_DIR, BB_DATA_KEY_SECRET, BB_DATA_KEY); without it everything runs on files under .bb-data/.";

/// `bb help`: every command.
fn help() -> String {
    let mut text = String::from("bb — bb-lambda's local server and operator commands\n\nUSAGE:\n");
    for c in COMMANDS {
        text.push_str(&format!("  {}\n", c.usage));
    }
    text.push_str("\nbb <command> --help tells more about one.\n\n");
    text.push_str(ENVIRONMENT);
    text
}

/// `bb <words> --help`: the commands those words start, in full; `None` when none does.
fn help_for(words: &[&str]) -> Option<String> {
    let topic = words.join(" ");
    let found: Vec<String> = COMMANDS
        .iter()
        .filter(|c| c.usage.strip_prefix("bb ").is_some_and(|u| u.starts_with(&topic)))
        .map(|c| format!("USAGE:\n  {}\n\n{}\n", c.usage, c.about))
        .collect();
    (!found.is_empty()).then(|| format!("{}\n{ENVIRONMENT}", found.join("\n")))
}

fn flag(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

async fn run(args: Vec<String>) -> Result<(), String> {
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    if let Some(at) = words.iter().position(|w| matches!(*w, "--help" | "-h")) {
        let topic: Vec<&str> = words[..at].iter().copied().filter(|w| !w.starts_with('-')).collect();
        return match help_for(&topic) {
            Some(text) if !topic.is_empty() => {
                println!("{text}");
                Ok(())
            }
            Some(_) => {
                println!("{}", help());
                Ok(())
            }
            None => Err(format!("unknown command: {}\n\n{}", topic.join(" "), help())),
        };
    }
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
            let (app, backends) = bb_runtime::backends::app_from_env().await?;
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
            let (app, _) = bb_runtime::backends::app_from_env().await?;
            let id = id.parse().map_err(|_| format!("{id} is not a client id"))?;
            let client = bb_cli::ops::set_client_status(&app, id, status).await?;
            println!("client #{} is now {}", client.id, client.status);
            Ok(())
        }
        ["invoice", "pay", hash, ..] => {
            let (app, _) = bb_runtime::backends::app_from_env().await?;
            let gateway = flag(&args, "--gateway")
                .map(|g| g.parse().map_err(|_| format!("--gateway {g} is not an id")))
                .transpose()?;
            let done = bb_cli::ops::pay_invoice(&app, hash, gateway, flag(&args, "--txn")).await?;
            app.mail_dispatch.flush().await;
            println!("{done}");
            Ok(())
        }
        ["invoice", action @ ("cancel" | "refund"), hash, ..] => {
            let (app, _) = bb_runtime::backends::app_from_env().await?;
            println!(
                "{}",
                bb_cli::ops::close_invoice(&app, hash, action, words.contains(&"--to-balance")).await?
            );
            Ok(())
        }
        ["order", action, client, order] => {
            let (app, _) = bb_runtime::backends::app_from_env().await?;
            let client = client.parse().map_err(|_| format!("{client} is not a client id"))?;
            let order = order.parse().map_err(|_| format!("{order} is not an order id"))?;
            let done = bb_cli::ops::order_action(&app, client, order, action).await?;
            app.mail_dispatch.flush().await;
            println!("{done}");
            Ok(())
        }
        ["client", "add-funds", client, amount, rest @ ..] => {
            let (app, _) = bb_runtime::backends::app_from_env().await?;
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
            let (app, _) = bb_runtime::backends::app_from_env().await?;
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
        ["counters", action @ ("verify" | "repair"), ..] => {
            let (app, _) = bb_runtime::backends::app_from_env().await?;
            let client = flag(&args, "--client")
                .map(|c| c.parse().map_err(|_| format!("--client {c} is not a client id")))
                .transpose()?;
            let check = bb_cli::ops::check_counters(&app, client, *action == "repair").await?;
            for finding in &check.findings {
                println!("{finding}");
            }
            match (*action, check.findings.len()) {
                (_, 0) => println!("{} clients checked: every list agrees with its records", check.clients),
                ("repair", n) => println!(
                    "{} clients checked: {n} differences, {} writes made",
                    check.clients, check.repairs
                ),
                (_, n) => {
                    return Err(format!(
                        "{} clients checked: {n} differences (bb counters repair fixes them)",
                        check.clients
                    ));
                }
            }
            Ok(())
        }
        ["mail", "retry"] => {
            let (app, _) = bb_runtime::backends::app_from_env().await?;
            match bb_cli::ops::retry_mail(&app).await? {
                bb_cli::ops::MailRetry::Sent { sent, failing, busy } => {
                    println!("{sent} sent, {failing} still failing, {busy} being sent by another sender")
                }
                bb_cli::ops::MailRetry::Requeued(n) => {
                    println!("{n} failed mail items handed to the mailer function (sent at its next sweep)")
                }
                bb_cli::ops::MailRetry::Nothing => println!("nothing to send"),
            }
            Ok(())
        }
        ["infra", "template", ..] => {
            let registry = bb_cli::registry();
            let out = flag(&args, "--out");
            if words.contains(&"--check") {
                let path = out.unwrap_or_else(|| bb_cli::infra::TEMPLATE_PATH.to_string());
                bb_cli::infra::check(&registry, &path)?;
                println!("{path} is what the module declarations generate");
                return Ok(());
            }
            let text = bb_cli::infra::render(&registry);
            match out {
                Some(path) => std::fs::write(&path, text).map_err(|e| format!("{path}: {e}")),
                None => {
                    print!("{text}");
                    Ok(())
                }
            }
        }
        [] | ["help"] => {
            println!("{}", help());
            Ok(())
        }
        ["help", topic @ ..] => match help_for(topic) {
            Some(text) => {
                println!("{text}");
                Ok(())
            }
            None => Err(format!("unknown command: {}\n\n{}", topic.join(" "), help())),
        },
        _ => Err(format!("unknown command: {}\n\n{}", args.join(" "), help())),
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
