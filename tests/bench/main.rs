//! `bb-bench`: the measurements reported in closing notes (never asserted in tests).
//!
//!   bb-bench cold-start <function binary> <runs> [env K=V ...]
//!       starts the binary as Lambda would, against the Runtime API stand-in, and reports the
//!       time to its first poll (init) and to its first answer, median and spread over <runs>.
//!   bb-bench load <url> <concurrency> <seconds> <basic user:password>
//!       closed-loop POSTs; reports requests/s and latency percentiles.
//!   bb-bench password-hash <runs>
//!       Argon2id hash and verify as sign-up and login run them, on one core, and what that
//!       makes a login on Lambda at each memory size (CPU share = memory / 1,769 MB).

mod lists;

use std::time::{Duration, Instant};

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn summary(label: &str, mut values: Vec<f64>) {
    values.sort_by(f64::total_cmp);
    println!(
        "{label}: median {:.2} ms, p10 {:.2} ms, p90 {:.2} ms, min {:.2} ms, max {:.2} ms (n={})",
        percentile(&values, 0.5),
        percentile(&values, 0.1),
        percentile(&values, 0.9),
        values.first().copied().unwrap_or(0.0),
        values.last().copied().unwrap_or(0.0),
        values.len()
    );
}

async fn cold_start(binary: &str, runs: usize, env: &[(String, String)]) {
    let mut init = Vec::new();
    let mut first = Vec::new();
    for _ in 0..runs {
        let api = bb_tests::runtime_api::RuntimeApi::start().await;
        let mut cmd = tokio::process::Command::new(binary);
        cmd.env("AWS_LAMBDA_RUNTIME_API", api.addr.to_string())
            .env("AWS_LAMBDA_FUNCTION_NAME", "bench")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("RUST_LOG", "warn")
            .kill_on_drop(true);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let started = Instant::now();
        let mut child = cmd.spawn().expect("spawn function");
        let polled = api.wait_for_first_poll().await;
        init.push(polled.duration_since(started).as_secs_f64() * 1000.0);
        let event = bb_tests::events::apigw_v2(
            "POST",
            "/api/client/profile/get",
            serde_json::json!({"authorization": "Basic Y2xpZW50OkRlbW9LZXkwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAx"}),
            serde_json::json!([]),
            "",
        );
        let asked = Instant::now();
        let out = api.invoke(&event).await;
        first.push(asked.elapsed().as_secs_f64() * 1000.0);
        assert!(out["statusCode"].is_number(), "unexpected answer {out}");
        let _ = child.kill().await;
    }
    summary("init (spawn → first poll)", init);
    summary("first invocation", first);
}

async fn load(url: &str, concurrency: usize, seconds: u64, basic: &str) {
    let (user, password) = basic.split_once(':').unwrap_or((basic, ""));
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (client, url, user, password) =
                (client.clone(), url.to_string(), user.to_string(), password.to_string());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut errors = 0usize;
                let mut refused = 0usize;
                while Instant::now() < deadline {
                    let t = Instant::now();
                    let resp = client
                        .post(&url)
                        .basic_auth(&user, Some(&password))
                        .body("{}")
                        .send()
                        .await;
                    // Any answer counts (the floor is a routing error); only transport failures
                    // are errors.
                    match resp {
                        Ok(r) => {
                            refused += usize::from(!r.status().is_success());
                            let _ = r.bytes().await;
                            latencies.push(t.elapsed().as_secs_f64() * 1000.0);
                        }
                        Err(_) => errors += 1,
                    }
                }
                (latencies, errors, refused)
            })
        })
        .collect();
    let mut all = Vec::new();
    let (mut errors, mut refused) = (0, 0);
    for w in workers {
        let (l, e, r) = w.await.expect("worker");
        all.extend(l);
        errors += e;
        refused += r;
    }
    println!(
        "{} requests in {seconds} s at concurrency {concurrency}: {:.0} requests/s, {errors} errors, {refused} non-2xx answers",
        all.len(),
        all.len() as f64 / seconds as f64
    );
    summary("latency", all);
}

/// Argon2id on one core, and the login time it implies per Lambda memory size.
fn password_hash(runs: usize) {
    let mut hash = Vec::with_capacity(runs);
    let mut verify = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        let stored = bb_core::crypto::hash_password("Bench12345!").expect("hash");
        hash.push(started.elapsed().as_secs_f64() * 1000.0);
        let started = Instant::now();
        assert!(bb_core::crypto::verify_password("Bench12345!", &stored));
        verify.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    summary("hash (sign-up, password change)", hash);
    verify.sort_by(f64::total_cmp);
    let one_core = percentile(&verify, 0.5);
    summary("verify (login)", verify);
    println!("login's Argon2id on Lambda (one vCPU at 1,769 MB; less memory, a proportional share):");
    for mb in [128.0, 256.0, 512.0, 1024.0, 1769.0] {
        let ms = one_core * (1769.0_f64 / mb).max(1.0);
        // The cost of the hash in GB-seconds is the same at every size up to one vCPU.
        println!("  {mb:>5} MB: {ms:>7.1} ms, {:.5} GB-s", ms / 1000.0 * mb / 1024.0);
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("cold-start") if args.len() >= 3 => {
            let env: Vec<(String, String)> = args[3..]
                .iter()
                .filter_map(|kv| kv.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())))
                .collect();
            cold_start(&args[1], args[2].parse().expect("runs"), &env).await;
        }
        Some("load") if args.len() == 5 => {
            load(
                &args[1],
                args[2].parse().expect("concurrency"),
                args[3].parse().expect("seconds"),
                &args[4],
            )
            .await;
        }
        Some("password-hash") if args.len() == 2 => password_hash(args[1].parse().expect("runs")),
        Some("seed-lists") if args.len() == 3 => {
            lists::seed(args[1].parse().expect("client id"), args[2].parse().expect("records")).await;
        }
        Some("list-costs") if args.len() >= 2 => {
            let clients: Vec<i64> = args[1..].iter().map(|a| a.parse().expect("client id")).collect();
            lists::list_costs(&clients).await;
        }
        Some("lists") if args.len() >= 4 => {
            lists::time_lists(&args[1], &args[3..], args[2].parse().expect("runs")).await;
        }
        _ => eprintln!(
            "usage: bb-bench cold-start <binary> <runs> [K=V...] | load <url> <concurrency> <seconds> <user:password> | password-hash <runs> | seed-lists <client id> <records> | list-costs <client id>... | lists <base url> <runs> <api key>..."
        ),
    }
}
