//! Lambda function for the currency module.

fn main() -> std::process::ExitCode {
    bb_runtime::lambda::main(fn_currency::module)
}
