//! Lambda function for the serviceboxbillinglicense module.

fn main() -> std::process::ExitCode {
    bb_runtime::lambda::main(fn_serviceboxbillinglicense::module)
}
