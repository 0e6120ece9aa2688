//! The unsent-mail index (sparse, sharded) and the in-process hand-over of work after a
//! commit. Below the application: it knows keys and a worker, not the App (which owns it).

use crate::config::DeliveryMode;
use bb_domain::keys;
use bb_ports::store::{Attr, GSI1_PK, GSI1_SK, Key};
use futures::future::BoxFuture;
use std::sync::{Arc, Weak};

/// Partitions of the unsent-mail index. Each takes ~1,000 writes a second on a GSI, so eight
/// carry a burst of thousands of mails a second (a forum fan-out) without throttling.
pub const QUEUE_SHARDS: u64 = 8;

/// How long the stream has to send a new item before the sweeper considers it.
pub const STREAM_GRACE_SECONDS: i64 = 120;

pub(crate) fn queue_partition(key: &Key) -> String {
    // FNV-1a: stable across processes and releases (unlike std's hasher).
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in key.pk.bytes().chain([b'|']).chain(key.sk.bytes()) {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    // FNV's low bits follow the input's low bits only: mix the high ones in (murmur3's finaliser).
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xff51_afd7_ed55_8ccd);
    hash ^= hash >> 33;
    keys::mail_queue_shard(hash % QUEUE_SHARDS)
}

/// The index attributes of an unsent item due at `due` (epoch seconds).
pub(crate) fn queue_entry(key: &Key, due: i64) -> [(String, Attr); 2] {
    [
        (GSI1_PK.into(), Attr::S(queue_partition(key))),
        (
            GSI1_SK.into(),
            Attr::S(format!("{:012}#{}#{}", due.max(0), key.pk, key.sk)),
        ),
    ]
}

#[derive(Debug, Clone)]
pub enum Work {
    Mail(Key),
    Fanout(Key),
}

/// What runs a piece of work in process: the application (see `delivery`), held weakly by
/// the dispatcher it owns.
pub trait Worker: Send + Sync + 'static {
    fn perform(self: Arc<Self>, work: Work) -> BoxFuture<'static, ()>;
}

/// The in-process side of delivery. It holds its worker weakly (the worker owns it).
pub struct Dispatcher {
    mode: DeliveryMode,
    worker: Weak<dyn Worker>,
    queue: std::sync::OnceLock<tokio::sync::mpsc::UnboundedSender<Work>>,
    pending: std::sync::Arc<(std::sync::atomic::AtomicUsize, tokio::sync::Notify)>,
}

impl Dispatcher {
    pub fn new(mode: DeliveryMode, worker: Weak<dyn Worker>) -> Self {
        Dispatcher {
            mode,
            worker,
            queue: std::sync::OnceLock::new(),
            pending: std::sync::Arc::new((std::sync::atomic::AtomicUsize::new(0), tokio::sync::Notify::new())),
        }
    }

    pub fn mode(&self) -> DeliveryMode {
        self.mode
    }

    pub(crate) fn enqueue(&self, work: Vec<Work>) {
        if self.mode == DeliveryMode::Stream || work.is_empty() {
            return;
        }
        use std::sync::atomic::Ordering;
        let queue = self.queue.get_or_init(|| {
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Work>();
            let (worker, pending) = (self.worker.clone(), self.pending.clone());
            tokio::spawn(async move {
                while let Some(work) = rx.recv().await {
                    if let Some(worker) = worker.upgrade() {
                        worker.perform(work).await;
                    }
                    if pending.0.fetch_sub(1, Ordering::SeqCst) == 1 {
                        pending.1.notify_waiters();
                    }
                }
            });
            tx
        });
        for w in work {
            self.pending.0.fetch_add(1, Ordering::SeqCst);
            if queue.send(w).is_err() {
                self.pending.0.fetch_sub(1, Ordering::SeqCst);
            }
        }
    }

    /// Waits until everything handed over so far was delivered (tests, shutdown).
    pub async fn flush(&self) {
        use std::sync::atomic::Ordering;
        loop {
            let notified = self.pending.1.notified();
            if self.pending.0.load(Ordering::SeqCst) == 0 {
                return;
            }
            notified.await;
        }
    }
}
