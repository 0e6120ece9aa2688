//! The API reference `bb serve` shows at `/api/docs`: Redoc's standalone renderer (MIT,
//! vendored from npm by `scripts/vendor-docs`, embedded in `bb`) over `/api/openapi.json`.
//! Nothing is fetched from elsewhere when the page is viewed.

use bb_runtime::server::Docs;

const RENDERER: &[u8] = include_bytes!("../assets/redoc/redoc.standalone.js");

/// The page and its renderer, as the local server serves them.
pub fn docs() -> Docs {
    Docs {
        page: PAGE.into(),
        renderer: RENDERER,
    }
}

const PAGE: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>bb-lambda client API</title>
<style>body { margin: 0; }</style>
</head>
<body>
<div id="reference"></div>
<script src="/api/docs/redoc.standalone.js"></script>
<script>
  Redoc.init("/api/openapi.json", { expandResponses: "200", pathInMiddlePanel: true },
    document.getElementById("reference"));
</script>
</body>
</html>
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_loads_the_embedded_renderer_over_the_served_document() {
        let docs = docs();
        assert!(docs.page.contains(r#"src="/api/docs/redoc.standalone.js""#));
        assert!(docs.page.contains(r#"Redoc.init("/api/openapi.json""#));
        assert!(!docs.page.contains("https://"), "no CDN: every asset is served locally");
        // The embedded bundle is the vendored version (scripts/vendor-docs writes both).
        let pinned = include_str!("../assets/redoc/VERSION").trim();
        let head = String::from_utf8_lossy(&docs.renderer[..200.min(docs.renderer.len())]).into_owned();
        assert!(head.contains("redoc.standalone.js.LICENSE.txt"), "{head}");
        assert!(!pinned.is_empty());
    }
}
