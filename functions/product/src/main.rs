//! Lambda function for the product module.

fn main() -> std::process::ExitCode {
    bb_runtime::lambda::main(fn_product::module)
}
