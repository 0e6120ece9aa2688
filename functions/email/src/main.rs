//! Lambda function for the email module.

fn main() -> std::process::ExitCode {
    bb_runtime::lambda::main(fn_email::module)
}
