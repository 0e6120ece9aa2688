//! `bb serve`: every route in one process on the embedded store (or on AWS when the
//! environment names it), with demo data loaded on first start.

use crate::fixtures;
use bb_core::app::App;
use bb_core::clock::SystemClock;
use bb_core::config::Config;
use bb_core::pipeline::Api;
use bb_runtime::backends;
use bb_runtime::server::{self, Extras};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

pub struct Options {
    pub addr: SocketAddr,
    /// Load the demo fixtures when the store has none yet.
    pub demo: bool,
    /// Which backends; `Choice::from_env()` for the command.
    pub backends: backends::Choice,
}

/// A started server: where it listens and what it printed.
pub struct Started {
    pub addr: SocketAddr,
    pub banner: String,
    pub app: App,
    pub task: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// Binds, prepares data and starts serving in the background.
pub async fn start(options: Options) -> Result<Started, String> {
    let listener = TcpListener::bind(options.addr)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", options.addr))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let mut config = Config::from_env()?;
    if std::env::var_os("BB_PUBLIC_URL").is_none() {
        config.public_url = format!("http://{addr}");
    }
    if std::env::var_os("BB_COOKIE_SECURE").is_none() {
        // Plain HTTP on this machine: a Secure cookie would never come back.
        config.cookie_secure = false;
    }
    let backends = backends::build(&options.backends, &config).await?;
    let app = backends::app(&backends, config, Arc::new(SystemClock))?;
    let mut lines = vec![
        format!("bb-lambda API on http://{addr}/api/"),
        format!("  {}", backends.summary),
    ];
    if options.demo && !fixtures::any_loaded(&app).await? {
        for (name, text) in [
            ("base", fixtures::BASE),
            ("demo", fixtures::DEMO),
            ("services", fixtures::SERVICES),
        ] {
            fixtures::load(&app, &fixtures::parse(text)?, name).await?;
        }
        // The demo download's file.
        let readme = b"bb-lambda demo download: servicedownloadable/send_file works.\n".to_vec();
        app.files
            .put("demo/readme.txt", readme, "text/plain")
            .await
            .map_err(|e| e.to_string())?;
        lines.push("  demo data loaded (first start)".into());
    }
    lines.extend(demo_lines(&app, addr).await);
    lines.push(format!("  OpenAPI: http://{addr}/api/openapi.json"));
    lines.push(format!("  API reference: http://{addr}/api/docs"));
    let api = Api::new(app.clone(), crate::registry());
    let extras = Extras {
        openapi: Arc::new(bb_core::openapi::document(api.registry(), app.config.version).to_string()),
        files: backends.local_files.clone(),
        docs: Some(Arc::new(crate::docs::docs())),
    };
    let task = tokio::spawn(server::serve(api, listener, extras));
    if app.mail_dispatch.mode() == bb_core::notifier::DeliveryMode::Background {
        tokio::spawn(sweep_every(app.clone(), SWEEP_EVERY));
    }
    Ok(Started {
        addr,
        banner: lines.join("\n"),
        app,
        task,
    })
}

/// How often the local server sweeps unsent mail (the deployment's schedule does it in AWS).
const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// The sweeper locally: retries of failed mail whose time came, and anything left unsent.
async fn sweep_every(app: App, period: std::time::Duration) {
    let mut ticks = tokio::time::interval(period);
    loop {
        ticks.tick().await;
        match bb_core::notifier::sweep(&app, 500).await {
            Ok(report) if report != bb_core::notifier::SweepReport::default() => {
                tracing::info!(target: "bb::mail", ?report, "sweep");
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(target: "bb::mail", error = %e, "sweep failed; next one in a minute"),
        }
    }
}

/// The demo client's credentials and a ready `curl` line, read back from the store.
async fn demo_lines(app: &App, addr: SocketAddr) -> Vec<String> {
    let Ok(demo) = fixtures::parse(fixtures::DEMO) else {
        return Vec::new();
    };
    let Some(client) = demo.clients.first() else {
        return Vec::new();
    };
    let stored = matches!(
        app.store.get(&bb_core::keys::client_email(&client.email)).await,
        Ok(Some(_))
    );
    if !stored {
        return Vec::new();
    }
    let key = client.api_key.clone().unwrap_or_default();
    vec![
        format!(
            "  demo client: {} / password {} / API key {}",
            client.email,
            client.password.as_deref().unwrap_or("(as imported)"),
            key
        ),
        format!("  try: curl -s -u client:{key} http://{addr}/api/client/profile/get"),
    ]
}
