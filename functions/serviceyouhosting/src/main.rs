//! Lambda function for the serviceyouhosting module.

fn main() -> std::process::ExitCode {
    bb_runtime::lambda::main(fn_serviceyouhosting::module)
}
