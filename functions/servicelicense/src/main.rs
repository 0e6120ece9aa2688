//! Lambda function for the servicelicense module.

fn main() -> std::process::ExitCode {
    bb_runtime::lambda::main(fn_servicelicense::module)
}
