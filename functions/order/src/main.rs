//! Lambda function for the order module.

fn main() -> std::process::ExitCode {
    bb_runtime::lambda::main(fn_order::module)
}
