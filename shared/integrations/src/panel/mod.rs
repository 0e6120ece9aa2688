//! Hosting control panels ("server managers"): the account operations a client may ask for.
//! `HostingServer::manager` picks the panel (`whm`, `directadmin`, `plesk`, `cwp`, `hestia`,
//! `vesta`, `virtualmin`, `ispconfig`, `custom`); each speaks its own protocol.

mod cwp;
mod directadmin;
mod hestia;
mod ispconfig;
mod plesk;
mod virtualmin;
mod whm;

use async_trait::async_trait;
use bb_domain::service::staff::HostingServer;
use bb_ports::error::{ApiError, ApiResult};
use bb_ports::outbound::Outbound;
use std::sync::Arc;

/// The hosting account as the panel knows it (current values).
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    pub username: String,
    pub password: String,
    pub domain: String,
    pub reseller: bool,
}

#[async_trait]
pub trait Panel: Send + Sync {
    async fn change_password(&self, account: &Account, new_password: &str) -> ApiResult<()>;
    async fn change_username(&self, account: &Account, new_username: &str) -> ApiResult<()>;
    async fn change_domain(&self, account: &Account, new_domain: &str) -> ApiResult<()>;
}

/// Where and how to reach a panel, from the server record.
#[derive(Clone)]
pub struct Connection {
    pub http: Arc<dyn Outbound>,
    pub host: String,
    pub port: Option<u16>,
    pub secure: bool,
    pub username: String,
    pub password: String,
    pub accesshash: String,
}

impl Connection {
    fn base(&self, default_secure_port: u16, default_plain_port: u16) -> String {
        let scheme = if self.secure { "https" } else { "http" };
        let port = self.port.unwrap_or(if self.secure {
            default_secure_port
        } else {
            default_plain_port
        });
        format!("{scheme}://{}:{port}", self.host)
    }
}

/// The panel of a server, or BoxBilling's configuration errors.
pub fn for_server(server: &HostingServer, http: Arc<dyn Outbound>) -> ApiResult<Box<dyn Panel>> {
    let manager = server.manager.trim().to_ascii_lowercase();
    if manager.is_empty() {
        return Err(ApiError::coded(
            654,
            "Invalid server manager. Server was not configured properly.",
        ));
    }
    let text = |v: &Option<String>| v.as_deref().map(str::trim).unwrap_or_default().to_string();
    let connection = Connection {
        http,
        host: server
            .hostname
            .as_deref()
            .or(server.ip.as_deref())
            .map(str::trim)
            .unwrap_or_default()
            .to_string(),
        port: server.port.as_deref().and_then(|p| p.trim().parse().ok()),
        secure: server.secure,
        username: text(&server.username),
        password: text(&server.password),
        accesshash: text(&server.accesshash).replace(['\r', '\n'], ""),
    };
    Ok(match manager.as_str() {
        "whm" | "cpanel" => Box::new(whm::Whm::new(connection)?),
        "directadmin" => Box::new(directadmin::DirectAdmin(connection)),
        "plesk" => Box::new(plesk::Plesk(connection)),
        "cwp" => Box::new(cwp::Cwp(connection)),
        "hestia" => Box::new(hestia::Hestia::new(connection, "Hestia CP")),
        "vesta" => Box::new(hestia::Hestia::new(connection, "Vesta CP")),
        "virtualmin" => Box::new(virtualmin::Virtualmin(connection)),
        "ispconfig" | "ispconfig3" => Box::new(ispconfig::IspConfig(connection)),
        "custom" => Box::new(Custom),
        _ => {
            return Err(ApiError::coded(
                654,
                "Invalid server manager. Server was not configured properly.",
            ));
        }
    })
}

/// The `custom` manager: nothing to tell; the change is only recorded.
struct Custom;

#[async_trait]
impl Panel for Custom {
    async fn change_password(&self, account: &Account, _: &str) -> ApiResult<()> {
        tracing::info!(target: "bb::panel", username = %account.username, "custom panel: password change recorded");
        Ok(())
    }
    async fn change_username(&self, account: &Account, new_username: &str) -> ApiResult<()> {
        tracing::info!(target: "bb::panel", username = %account.username, new_username, "custom panel: username change recorded");
        Ok(())
    }
    async fn change_domain(&self, account: &Account, new_domain: &str) -> ApiResult<()> {
        tracing::info!(target: "bb::panel", username = %account.username, new_domain, "custom panel: domain change recorded");
        Ok(())
    }
}

fn unsupported(message: &'static str) -> ApiResult<()> {
    Err(ApiError::new(message))
}
