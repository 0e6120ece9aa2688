//! Lambda function for the cart module.

fn main() -> std::process::ExitCode {
    bb_runtime::lambda::main(fn_cart::module)
}
