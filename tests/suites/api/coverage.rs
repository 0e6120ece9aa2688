//! Route coverage against the reference method list, and the OpenAPI document.

use serde_json::Value;
use std::collections::BTreeSet;

fn reference() -> BTreeSet<String> {
    let text = include_str!("../../../spec/methods.json");
    let spec: Value = serde_json::from_str(text).unwrap();
    spec["methods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["path"].as_str().unwrap().to_string())
        .collect()
}

fn pending() -> BTreeSet<String> {
    include_str!("../../pending-methods.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect()
}

fn routed() -> BTreeSet<String> {
    bb_cli::registry()
        .routes()
        .into_iter()
        .map(|(role, module, def)| format!("{}/{}/{}", role.as_str(), module, def.name))
        .collect()
}

#[test]
fn every_reference_method_is_routed_or_marked_pending() {
    let (reference, pending, routed) = (reference(), pending(), routed());
    assert_eq!(reference.len(), 83);
    let missing: Vec<_> = reference
        .iter()
        .filter(|m| !routed.contains(*m) && !pending.contains(*m))
        .collect();
    assert!(missing.is_empty(), "neither routed nor marked pending: {missing:?}");
    let stale: Vec<_> = pending.iter().filter(|m| routed.contains(*m)).collect();
    assert!(
        stale.is_empty(),
        "routed now, remove from tests/pending-methods.txt: {stale:?}"
    );
    let unknown: Vec<_> = pending.iter().filter(|m| !reference.contains(*m)).collect();
    assert!(unknown.is_empty(), "not reference methods: {unknown:?}");
}

#[test]
fn openapi_document_is_valid_and_complete() {
    let doc = bb_core::openapi::document(&bb_cli::registry(), "test");
    let paths = doc["paths"].as_object().unwrap();
    for route in routed() {
        let path = format!("/api/{route}");
        // servicecustom answers any method name: one templated path, and `__call` is not one.
        let templated = path.rsplit_once('/').map(|(module, _)| format!("{module}/{{method}}"));
        let op = &paths
            .get(&path)
            .or_else(|| templated.as_ref().and_then(|t| paths.get(t)))
            .unwrap_or_else(|| panic!("{path} missing"))["post"];
        assert!(op["operationId"].is_string());
    }
    assert_eq!(paths.len(), routed().len());
    assert!(!paths.contains_key("/api/client/servicecustom/__call"));
    let any = &paths["/api/client/servicecustom/{method}"]["post"];
    assert_eq!(any["parameters"][0]["in"], "path");
    // Required parameters and their types come from the method's params struct.
    let change =
        &paths["/api/client/profile/change_password"]["post"]["requestBody"]["content"]["application/json"]["schema"];
    assert_eq!(change["required"], serde_json::json!(["password", "password_confirm"]));
    assert_eq!(change["properties"]["current_password"]["type"], "string");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("openapi.json");
    std::fs::write(&file, doc.to_string()).unwrap();
    let python = concat!(env!("CARGO_MANIFEST_DIR"), "/../.venv/bin/python");
    let python = if std::path::Path::new(python).exists() {
        python
    } else {
        "python3"
    };
    let out = std::process::Command::new(python)
        .args(["-c", "import sys; from openapi_spec_validator import validate; from openapi_spec_validator.readers import read_from_filename; validate(read_from_filename(sys.argv[1])[0]); print('valid')"])
        .arg(&file)
        .output()
        .expect("python with openapi-spec-validator (scripts/setup installs it)");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The SAM template is what `bb infra template` generates from the module declarations, so
/// every served module has its function, routes and policies there and nothing is left over;
/// the `cargo lambda watch` router serves the same routes.
#[test]
fn deployment_routes_match_the_registry() {
    let template = include_str!("../../../infra/template.yaml");
    let cargo = include_str!("../../../Cargo.toml");
    let registry = bb_cli::registry();
    let generated = bb_cli::infra::render(&registry);
    if let Some((line, want, got)) = bb_cli::infra::first_difference(&generated, template) {
        panic!(
            "infra/template.yaml is not what the module declarations generate, first at line {line}:\n  \
             generated: {want}\n  in file:   {got}\n\
             run `cargo run -p bb-cli -- infra template --out infra/template.yaml`"
        );
    }
    assert_eq!(generated, template, "line endings or the final newline");

    let mut expected = BTreeSet::new();
    for (role, module, _) in registry.routes() {
        expected.insert(format!("/api/{}/{}/{{method}}", role.as_str(), module));
    }
    let paths: BTreeSet<String> = template
        .lines()
        .filter_map(|l| l.trim().strip_prefix("Path: "))
        .map(|p| serde_json::from_str::<String>(p).unwrap_or_else(|_| p.to_string()))
        .collect();
    let declared: BTreeSet<String> = paths.iter().filter(|p| p.starts_with("/api/")).cloned().collect();
    assert_eq!(declared, expected, "template routes");
    // Everything else reaches the fallback function, which answers 701/715/879 as BoxBilling.
    assert!(paths.contains("$default"), "no catch-all route");
    let watched: BTreeSet<String> = cargo
        .lines()
        .filter_map(|l| {
            l.strip_prefix('"')
                .and_then(|l| l.split_once('"'))
                .map(|(p, _)| p.to_string())
        })
        .filter(|p| p.starts_with("/api/"))
        .collect();
    assert_eq!(watched, declared, "cargo lambda watch routes");
}

// Every e-mail the code sends has its template in the base fixtures (a missing one would send
// nothing, with only a warning in the log).
#[test]
fn every_template_code_sent_has_a_base_template() {
    use bb_core::notifier::TemplateCode;
    let base: Value = serde_json::from_str(bb_cli::fixtures::BASE).unwrap();
    let have: BTreeSet<&str> = base["templates"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["code"].as_str())
        .collect();
    let mut sent = TemplateCode::FIXED.to_vec();
    sent.extend(
        bb_core::domain::service::kinds()
            .iter()
            .map(|kind| TemplateCode::ServiceActivated(kind.name().into())),
    );
    for code in sent {
        assert!(
            have.contains(code.code().as_ref()),
            "{code} has no template in fixtures/base.json"
        );
    }
}

// Records say where their attributes are (`Record`, `Versioned`, the domain's updates): no
// module crate or operator command writes or conditions on an attribute by its name.
#[test]
fn no_module_or_command_names_a_stored_attribute() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    let mut dirs = vec![root.join("functions"), root.join("cli/src")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    assert!(files.len() > 20, "found only {} sources", files.len());
    let by_name = [
        ".set(\"",
        ".add(\"",
        ".set_if_absent(\"",
        "Cond::eq(\"",
        "Cond::Eq(\"",
        "Cond::Ne(\"",
        "Cond::Le(\"",
        "Cond::Lt(\"",
        "Cond::Ge(\"",
        "Cond::Gt(\"",
        "Cond::NotExists(\"",
        "\"pk\".into()",
        "\"sk\".into()",
    ];
    let mut found = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            if by_name.iter().any(|p| code.contains(p)) {
                found.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(found.is_empty(), "attributes named by hand:\n{}", found.join("\n"));
}
