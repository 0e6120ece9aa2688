//! The OpenAPI 3.1 document, generated from the method tables and their parameter types.

use crate::module::{Access, Registry};
use crate::params::ParamInfo;
use crate::route::Role;
use serde_json::{Map, Value, json};

fn params_schema(params: &[ParamInfo]) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for p in params {
        let mut schema = p.ty.json_schema();
        if let Value::Object(m) = &mut schema {
            let mut description = p.doc.to_string();
            if !p.aliases.is_empty() {
                let names: Vec<String> = p.aliases.iter().map(|a| format!("`{a}`")).collect();
                description.push_str(&format!(" Also accepted as {}.", names.join(", ")));
            }
            if !description.trim().is_empty() {
                m.insert("description".into(), description.trim().into());
            }
        }
        if p.required {
            required.push(Value::String(p.name.to_string()));
        }
        properties.insert(p.name.to_string(), schema);
    }
    let mut schema = json!({"type": "object", "properties": properties});
    if !required.is_empty() {
        schema["required"] = Value::Array(required);
    }
    schema
}

fn query_parameters(params: &[ParamInfo]) -> Vec<Value> {
    params
        .iter()
        .map(|p| {
            let mut param = json!({
                "name": p.name,
                "in": "query",
                "required": p.required,
                "schema": p.ty.json_schema(),
            });
            if !p.doc.is_empty() {
                param["description"] = p.doc.into();
            }
            if matches!(p.ty, crate::params::ParamType::Object) {
                param["style"] = "deepObject".into();
                param["explode"] = true.into();
            }
            param
        })
        .collect()
}

/// The envelope of one method's answers: its `result` (null on error) and the error.
pub fn answer_schema(result: Value) -> Value {
    json!({
        "type": "object",
        "required": ["result", "error"],
        "properties": {
            "result": {"anyOf": [{"type": "null"}, result]},
            "error": {"anyOf": [{"type": "null"}, {"$ref": "#/components/schemas/Error"}]},
        },
    })
}

/// The whole document for the methods a registry serves.
pub fn document(registry: &Registry, version: &str) -> Value {
    let mut paths = Map::new();
    for (role, module, def) in registry.routes() {
        // A dispatcher answers every method name, so it is one templated path; its own
        // registered name (BoxBilling's `__call`) is not callable.
        let method = if def.dispatcher { "{method}" } else { def.name };
        let path = format!("/api/{}/{}/{}", role.as_str(), module, method);
        let params = (def.params)();
        let operation_id = if def.dispatcher {
            format!("{}_{}_any_method", role.as_str(), module)
        } else {
            format!("{}_{}_{}", role.as_str(), module, def.name)
        };
        let envelope = json!({"$ref": "#/components/schemas/Envelope"});
        let answer = answer_schema((def.result)());
        let mut responses = json!({
            "200": {"description": "Success (`error` null) or a business error (`result` null, `error.code` such as 9999).", "content": {"application/json": {"schema": answer}}},
            "400": {"description": "Malformed request body.", "content": {"application/json": {"schema": envelope}}},
            "413": {"description": "Body over 256 KiB.", "content": {"application/json": {"schema": envelope}}},
            "429": {"description": "Rate limited; see `Retry-After`.", "content": {"application/json": {"schema": envelope}}},
            "500": {"description": "A fault of ours (code 9998).", "content": {"application/json": {"schema": envelope}}},
        });
        // Guest methods need no credential: an empty list, which generators read as "none".
        let mut security = json!([]);
        if role == Role::Client {
            responses["401"] = json!({"description": "Authentication failed (codes 201-206).", "content": {"application/json": {"schema": envelope}}});
            security = json!([{"apiKey": []}, {"session": []}]);
            if def.access.changes_state() {
                responses["403"] = json!({"description": "Cookie session without its CSRF token.", "content": {"application/json": {"schema": envelope}}});
            }
        }
        let tags = json!([module]);
        let mut header_params = Vec::new();
        if def.dispatcher {
            header_params.push(json!({"name": "method", "in": "path", "required": true, "description": format!("Any method the module forwards (lower-cased on arrival); `{}` itself is not one.", def.name), "schema": {"type": "string"}}));
        }
        if role == Role::Client && def.access != Access::Read {
            header_params.push(json!({"name": "X-CSRF-Token", "in": "header", "required": false, "description": "The session's CSRF token (cookie sessions only).", "schema": {"type": "string"}}));
        }
        let body_schema = params_schema(&params);
        let mut get_params = query_parameters(&params);
        get_params.extend(header_params.iter().cloned());
        paths.insert(
            path,
            json!({
                "post": {
                    "operationId": operation_id,
                    "tags": tags,
                    "parameters": header_params,
                    "requestBody": {"required": false, "content": {
                        "application/json": {"schema": body_schema},
                        "application/x-www-form-urlencoded": {"schema": body_schema},
                        "multipart/form-data": {"schema": body_schema},
                    }},
                    "responses": responses,
                    "security": security,
                },
                "get": {
                    "operationId": format!("{operation_id}_get"),
                    "tags": tags,
                    "parameters": get_params,
                    "responses": responses,
                    "security": security,
                },
            }),
        );
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "bb-lambda client API",
            "version": version,
            "description": "BoxBilling's client API (`/api/client/<module>/<method>`) and the guest methods it depends on. Every answer is `{\"result\": ..., \"error\": null}` or `{\"result\": null, \"error\": {\"message\", \"code\"}}`. Parameters may be sent as a JSON object, a form body (PHP bracket notation) or, for GET, the query string.",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "apiKey": {"type": "http", "scheme": "basic", "description": "Username `client`, password the client's API key."},
                "session": {"type": "apiKey", "in": "cookie", "name": crate::auth::SESSION_COOKIE, "description": "Set by `guest/client/login`; state-changing calls also need the CSRF token."},
            },
            "schemas": {
                "Envelope": {
                    "type": "object",
                    "required": ["result", "error"],
                    "properties": {
                        "result": {"description": "The method's answer, null on error."},
                        "error": {"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/Error"}]},
                    },
                },
                "Error": {
                    "type": "object",
                    "required": ["message", "code"],
                    "properties": {"message": {"type": "string"}, "code": {"type": "integer"}},
                },
            },
        },
    })
}
