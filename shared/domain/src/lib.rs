//! bb-domain: every record and rule of bb-lambda (clients, the catalogue, carts, orders,
//! invoices, services, the activity log, notices, keys, settings), written over the ports
//! alone. Nothing here knows a request, an HTTP API, Lambda or AWS: time, settings and ids
//! are arguments, so each rule is tested with plain data.

// Rules return errors; they never panic on input.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

// The ports, named inside this crate as `crate::store`, `crate::error`, ...
use bb_ports::{clock, crypto, error, store};

/// An enum of BoxBilling's names for a state or a kind: stored, shown and parsed by those
/// names, so no caller compares a string literal.
macro_rules! named {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// The value BoxBilling names `text`, if any.
            pub fn parse(text: &str) -> Option<$name> {
                match text {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl ::bb_ports::answer::Answer for $name {
            fn schema() -> serde_json::Value {
                serde_json::json!({"type": "string", "enum": [$($text),+]})
            }
        }

        impl From<$name> for crate::store::Attr {
            fn from(value: $name) -> crate::store::Attr {
                crate::store::Attr::S(value.as_str().into())
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub mod activation;
pub mod activity;
pub mod bounded;
pub mod cart;
pub mod catalog;
pub mod client;
pub mod forum;
pub mod invoice;
pub mod keys;
pub mod money;
pub mod notice;
pub mod order;
pub mod patch;
pub mod period;
pub mod service;
pub mod settings;
pub mod support;
pub mod validate;
