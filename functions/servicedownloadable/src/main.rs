//! Lambda function for the servicedownloadable module.

fn main() -> std::process::ExitCode {
    bb_runtime::lambda::main(fn_servicedownloadable::module)
}
