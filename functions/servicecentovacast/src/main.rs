//! Lambda function for the servicecentovacast module.

fn main() -> std::process::ExitCode {
    bb_runtime::lambda::main(fn_servicecentovacast::module)
}
