//! File port conformance: stored files download through the URL the adapter signs.

use bb_core::files::FileStore;
use bb_tests::moto;
use std::sync::Arc;
use std::time::Duration;

async fn fetch(url: &str) -> (u16, Vec<u8>) {
    let resp = reqwest::get(url).await.unwrap();
    (resp.status().as_u16(), resp.bytes().await.unwrap().to_vec())
}

async fn conformance(files: Arc<dyn FileStore>) -> String {
    files
        .put(
            "products/7/manual v2.pdf".replace(' ', "-").as_str(),
            b"%PDF-demo".to_vec(),
            "application/pdf",
        )
        .await
        .unwrap();
    assert!(files.exists("products/7/manual-v2.pdf").await.unwrap());
    assert!(!files.exists("products/7/other.pdf").await.unwrap());
    for bad in ["../etc/passwd", "/abs", "a//b", "a/./b", "spaces are bad", ""] {
        assert!(files.put(bad, vec![], "text/plain").await.is_err(), "{bad}");
        assert!(
            files.download_url(bad, "x", Duration::from_secs(60)).await.is_err(),
            "{bad}"
        );
    }
    let url = files
        .download_url(
            "products/7/manual-v2.pdf",
            "Manual \"v2\".pdf",
            Duration::from_secs(300),
        )
        .await
        .unwrap();
    let (status, body) = fetch(&url).await;
    assert_eq!((status, body.as_slice()), (200, b"%PDF-demo".as_slice()));
    // A name that is not ASCII downloads as itself (RFC 8187), with an ASCII fallback.
    let lithuanian = files
        .download_url("products/7/manual-v2.pdf", "Sąskaita.pdf", Duration::from_secs(300))
        .await
        .unwrap();
    let resp = reqwest::get(&lithuanian).await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let disposition = resp.headers()["content-disposition"].to_str().unwrap().to_string();
    assert_eq!(
        disposition,
        "attachment; filename=\"S_skaita.pdf\"; filename*=UTF-8''S%C4%85skaita.pdf"
    );
    url
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn folder_files_behind_signed_local_urls() {
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let files = Arc::new(bb_local::FolderFiles::new(dir.path(), b"signing", &base).unwrap());
    let t = bb_tests::TestApp::new(bb_tests::Backend::Sqlite).await;
    let extras = bb_runtime::server::Extras {
        openapi: Arc::new("{}".into()),
        files: Some(files.clone()),
        docs: None,
    };
    let server = tokio::spawn(bb_runtime::server::serve(t.api.clone(), listener, extras));
    let url = conformance(files.clone()).await;
    // Tampering with the signature, the name or the key is refused; so is an expired link.
    assert_eq!(fetch(&url.replace("sig=", "sig=0")).await.0, 403);
    assert_eq!(fetch(&url.replace("name=", "name=x")).await.0, 403);
    assert_eq!(fetch(&url.replace("manual-v2", "manual-v3")).await.0, 403);
    let expired = files
        .download_url("products/7/manual-v2.pdf", "m.pdf", Duration::from_secs(0))
        .await
        .unwrap();
    let past = expired.replace(
        &format!("expires={}", time::OffsetDateTime::now_utc().unix_timestamp()),
        &format!("expires={}", time::OffsetDateTime::now_utc().unix_timestamp() - 5),
    );
    assert_eq!(fetch(&past).await.0, 403);
    server.abort();
}

#[tokio::test]
async fn s3_presigned_downloads_on_the_emulator() {
    let res = moto::Resources::create().await;
    let (_, _, files) = res.adapters();
    let url = conformance(files).await;
    assert!(url.contains("X-Amz-Signature="), "{url}");
    assert!(url.contains("response-content-disposition="), "{url}");
    // Without the signature the object is private.
    let unsigned = url.split('?').next().unwrap().to_string();
    assert_eq!(fetch(&unsigned).await.0, 403);
}
