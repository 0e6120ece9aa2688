//! Lambda function for the servicedomain module.

fn main() -> std::process::ExitCode {
    bb_runtime::lambda::main(fn_servicedomain::module)
}
