//! Lambda function for `/api/client/profile/*`.

fn main() -> std::process::ExitCode {
    bb_runtime::lambda::main(fn_profile::module)
}
