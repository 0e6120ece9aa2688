//! Lambda function behind the HTTP API's `$default` route. API Gateway would answer paths that
//! match no module with its own 404; this function serves no module, so the pipeline answers
//! them as BoxBilling does: 879 for a malformed path, 701 for an unknown role, 715 for an
//! unknown module (after authentication on client routes).

fn main() -> std::process::ExitCode {
    bb_runtime::lambda::main_with(bb_core::module::Registry::default)
}
