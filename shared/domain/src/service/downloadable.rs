//! `downloadable` products: a file in the file store, offered under its display name.

use super::{ServiceInit, ServiceKind, ServiceShown, config_text, record_map};
use crate::error::{ApiError, ApiResult};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DownloadableService {
    pub id: i64,
    pub client_id: i64,
    /// The name the client's browser saves the file as.
    pub filename: String,
    /// The object in the file store (S3 key); never shown.
    pub file_key: String,
    #[serde(default)]
    pub downloads: i64,
    pub created_at: String,
    pub updated_at: String,
}

pub struct Kind;

impl super::Found<DownloadableService> {
    /// Counts one download link handed out at `now` (an atomic add: concurrent downloads
    /// each count).
    pub fn download_counted(&self, now: &str) -> crate::store::Update {
        self.update().add("downloads", 1).set("updated_at", now)
    }
}

impl ServiceKind for Kind {
    fn name(&self) -> &'static str {
        "downloadable"
    }

    fn create(&self, init: &ServiceInit) -> ApiResult<Map<String, Value>> {
        let product = &init.product.config;
        let filename = config_text(product, "filename");
        let file_key = config_text(product, "file_key");
        let (Some(filename), Some(file_key)) = (filename, file_key) else {
            return Err(ApiError::new("Downloadable product has no file"));
        };
        record_map(&DownloadableService {
            id: init.service_id,
            client_id: init.order.client_id,
            filename,
            file_key,
            downloads: 0,
            created_at: init.now.into(),
            updated_at: init.now.into(),
        })
    }

    fn view(&self, record: &Map<String, Value>) -> ApiResult<ServiceShown> {
        let d: DownloadableService = serde_json::from_value(Value::Object(record.clone()))
            .map_err(|e| ApiError::internal(format!("{} record: {e}", self.name())))?;
        Ok(ServiceShown::Downloadable(DownloadShown { filename: d.filename }))
    }
}

/// A download as `order/service` shows it (the file itself is `servicedownloadable/send_file`).
#[derive(Debug, Clone, PartialEq, Serialize, bb_macros::Answer)]
pub struct DownloadShown {
    pub filename: String,
}
