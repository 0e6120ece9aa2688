//! Lambda function for the system module.

fn main() -> std::process::ExitCode {
    bb_runtime::lambda::main(fn_system::module)
}
