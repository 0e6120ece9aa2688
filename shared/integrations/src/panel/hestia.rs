//! Hestia CP and Vesta CP: `POST /api/` commands with `returncode=yes` (answer `0` = done).
//! A password travels through a temporary file, as their API requires.

use super::{Account, Connection, Panel};
use crate::exchange;
use async_trait::async_trait;
use bb_ports::crypto::random_alphanumeric;
use bb_ports::error::{ApiError, ApiResult};
use bb_ports::outbound::OutboundRequest;

pub struct Hestia {
    connection: Connection,
    label: &'static str,
}

impl Hestia {
    pub fn new(connection: Connection, label: &'static str) -> Hestia {
        Hestia { connection, label }
    }

    async fn command(&self, cmd: &str, args: &[&str]) -> ApiResult<()> {
        let c = &self.connection;
        let names = ["arg1", "arg2", "arg3"];
        let mut fields: Vec<(&str, &str)> = vec![("returncode", "yes"), ("cmd", cmd)];
        if c.accesshash.is_empty() {
            fields.push(("user", &c.username));
            fields.push(("password", &c.password));
        } else {
            fields.push(("hash", &c.accesshash));
        }
        fields.extend(names.iter().copied().zip(args.iter().copied()));
        let request = OutboundRequest::post(format!("{}/api/", c.base(8083, 8083))).form(fields);
        let response = exchange(c.http.as_ref(), "control panel", request).await?;
        match response.text().trim() {
            "0" => Ok(()),
            code => Err(ApiError::new(format!(
                "Server Manager {} Error: command {cmd} returned {code}",
                self.label
            ))),
        }
    }

    fn not_supported(&self) -> ApiResult<()> {
        Err(ApiError::new(format!(
            "Server Manager {} Error: Not Supported",
            self.label
        )))
    }
}

#[async_trait]
impl Panel for Hestia {
    async fn change_password(&self, account: &Account, new_password: &str) -> ApiResult<()> {
        let file = format!(
            "bb{}",
            random_alphanumeric(12).map_err(|e| ApiError::internal(e.to_string()))?
        );
        self.command("v-make-tmp-file", &[new_password, &file]).await?;
        self.command("v-change-user-password", &[&account.username, &format!("/tmp/{file}")])
            .await
    }

    async fn change_username(&self, _: &Account, _: &str) -> ApiResult<()> {
        self.not_supported()
    }

    async fn change_domain(&self, _: &Account, _: &str) -> ApiResult<()> {
        self.not_supported()
    }
}
