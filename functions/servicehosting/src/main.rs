//! Lambda function for the servicehosting module.

fn main() -> std::process::ExitCode {
    bb_runtime::lambda::main(fn_servicehosting::module)
}
