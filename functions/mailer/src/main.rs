//! Lambda function on the table's stream and the sweep schedule (see the library).

fn main() -> std::process::ExitCode {
    bb_runtime::lambda::main_events(|app, event| async move { fn_mailer::handle(&app, event).await })
}
