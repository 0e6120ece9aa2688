//! Lambda function for `/api/client/client/*` and `/api/guest/client/*`.

fn main() -> std::process::ExitCode {
    bb_runtime::lambda::main(fn_client::module)
}
