//! Lambda function for the example module.

fn main() -> std::process::ExitCode {
    bb_runtime::lambda::main(fn_example::module)
}
