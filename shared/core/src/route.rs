//! Routing of `/api/<role>/<class>/<method>` with BoxBilling's errors.

use bb_ports::error::ApiError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Guest,
    Client,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Guest => "guest",
            Role::Client => "client",
        }
    }
}

/// A routed call: module and method are lower-cased, as BoxBilling matches them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub role: Role,
    pub module: String,
    pub method: String,
}

impl Route {
    pub fn label(&self) -> String {
        format!("{}/{}/{}", self.role.as_str(), self.module, self.method)
    }
}

fn is_segment(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Parses a request path. 879 for anything but exactly three segments after `/api/`, 701 for a
/// role other than `guest`/`client` (the admin API is not served), 714 for an empty module.
pub fn parse(path: &str) -> Result<Route, ApiError> {
    let call = path.strip_prefix("/api/").unwrap_or(path.trim_start_matches('/'));
    let segments: Vec<&str> = call.split('/').collect();
    let [role, class, method] = segments.as_slice() else {
        return Err(ApiError::coded(879, format!("Unknown API call {call}")));
    };
    if !path.starts_with("/api/") || !segments.iter().all(|s| is_segment(s)) {
        return Err(ApiError::coded(879, format!("Unknown API call {call}")));
    }
    let role = match *role {
        "guest" => Role::Guest,
        "client" => Role::Client,
        _ => return Err(ApiError::coded(701, "Unknow API call")),
    };
    // BoxBilling joins class and method with `_` and splits at the first `_`.
    let dispatch = format!("{class}_{method}").to_ascii_lowercase();
    let (module, method) = dispatch.split_once('_').unwrap_or((&dispatch, ""));
    if module.is_empty() || module == "0" {
        return Err(ApiError::coded(714, "Invalid module name"));
    }
    Ok(Route {
        role,
        module: module.to_string(),
        method: method.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_and_errors() {
        let r = parse("/api/client/support/ticket_get_list").unwrap();
        assert_eq!(
            (r.role, r.module.as_str(), r.method.as_str()),
            (Role::Client, "support", "ticket_get_list")
        );
        let r = parse("/api/client/Profile/GET").unwrap();
        assert_eq!((r.module.as_str(), r.method.as_str()), ("profile", "get"));
        let e = parse("/api/client/profile").unwrap_err();
        assert_eq!((e.code, e.message.as_ref()), (879, "Unknown API call client/profile"));
        assert_eq!(
            parse("/api/client/invoice/get/x").unwrap_err().message,
            "Unknown API call client/invoice/get/x"
        );
        assert_eq!(parse("/api/").unwrap_err().message, "Unknown API call ");
        assert_eq!(parse("/api/client/profile/").unwrap_err().code, 879);
        assert_eq!(parse("/api/superuser/profile/get").unwrap_err().code, 701);
        assert_eq!(parse("/api/admin/profile/get").unwrap_err().code, 701);
        assert_eq!(parse("/api/Client/profile/get").unwrap_err().code, 701);
        assert_eq!(parse("/api/system/system/version").unwrap_err().code, 701);
        assert_eq!(parse("/api/client/../admin").unwrap_err().code, 879);
        assert_eq!(parse("/api/client/0/get").unwrap_err().code, 714);
        // A class with an underscore splits as BoxBilling does.
        let r = parse("/api/client/service_custom/x").unwrap();
        assert_eq!((r.module.as_str(), r.method.as_str()), ("service", "custom_x"));
    }
}
