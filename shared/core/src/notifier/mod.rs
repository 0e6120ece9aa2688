//! The notifier every module sends e-mail through: a transactional outbox.
//!
//! An action prepares its notices before it commits. Each becomes a mail item written *in the
//! action's own transaction* with status `queued`: client notices in the client's e-mail log
//! (what `email/get_list` shows), staff notices in the staff log. A committed action therefore
//! always has its mail, an aborted one has none, and sending costs the request nothing.
//! Delivery happens after the commit, outside the request:
//!
//! - `background` (default; local server, `cargo lambda watch`, tests): an in-process worker
//!   sends and records the outcome;
//! - `stream` (AWS): the table's stream triggers the mailer function, which does the same.
//!
//! Every sender claims an item before it sends it (`delivery`), so the stream's redeliveries,
//! the sweeper, `bb mail retry` and the background worker can race and a mail still goes out
//! once. The outcome is `sent`, or `failed` with the reason (retried later with backoff when
//! the transport may take it then); a failed send never fails the action. Unsent items carry
//! a sparse, sharded index key (`gsi1pk = MAILQ#<n>`, sorted by when they are due) so the
//! sweeper finds them without a scan.
//!
//! Templates are data (items `TEMPLATE`/`<code>`, defaults from the fixtures) chosen by
//! BoxBilling's action code. Rendering substitutes `{{ path.to.value }}` once; values are
//! escaped in HTML and never rendered again, so user text cannot act as template code.

mod delivery;
mod fanout;
mod outbox;

pub use crate::config::DeliveryMode;
pub use crate::mail_queue::{Dispatcher, QUEUE_SHARDS, STREAM_GRACE_SECONDS};
pub use bb_domain::notice::template::{Template, load_templates};
pub use bb_domain::notice::{Notice, Recipient, TemplateCode};
pub use delivery::{Claimer, Delivery, MAX_ATTEMPTS, SweepReport, deliver, requeue_failed, sweep, unsent};
pub use fanout::{FANOUT_KIND, FanoutJob, dispatch_fanout, run_fanout};
pub use outbox::{Commit, EmailLog, EmailView, MAIL_KIND, MailStatus, STAFF_CLIENT_ID, dispatch_one, email_listing};
