//! Lambda function for the invoice module.

fn main() -> std::process::ExitCode {
    bb_runtime::lambda::main(fn_invoice::module)
}
