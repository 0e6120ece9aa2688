//! Lambda function for the support module.

fn main() -> std::process::ExitCode {
    bb_runtime::lambda::main(fn_support::module)
}
