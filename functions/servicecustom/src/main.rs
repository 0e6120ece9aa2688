//! Lambda function for the servicecustom module.

fn main() -> std::process::ExitCode {
    bb_runtime::lambda::main(fn_servicecustom::module)
}
