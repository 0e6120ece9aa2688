//! Lambda function on the table's stream: every mail item inserted as `queued` (by any action,
//! in its own transaction) is sent through SES here and marked `sent` or `failed`.

fn main() -> std::process::ExitCode {
    bb_runtime::lambda::main_events(|app, event| async move {
        let delivered = bb_core::notifier::deliver_stream_batch(&app, &event).await;
        serde_json::json!({"delivered": delivered})
    })
}
