//! Lambda function for the forum module.

fn main() -> std::process::ExitCode {
    bb_runtime::lambda::main(fn_forum::module)
}
