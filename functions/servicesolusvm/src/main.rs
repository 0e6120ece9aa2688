//! Lambda function for the servicesolusvm module.

fn main() -> std::process::ExitCode {
    bb_runtime::lambda::main(fn_servicesolusvm::module)
}
