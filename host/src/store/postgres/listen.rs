//! Wake-ups across nodes. A commit that hands out pending work or makes a schedule due
//! notifies the channel (`pg_notify`, delivered only if it commits); every node listens on a
//! connection of its own and counts what it hears in a `watch`, which its executor waits on.
//! A notification lost while the listener reconnects is covered by the executor's short poll,
//! and by one wake-up after every reconnect.

use std::time::Duration;

use tokio::sync::watch;
use tokio_postgres::{AsyncMessage, Config, NoTls};

use crate::store::storage::WriteSet;

pub const CHANNEL: &str = "sgsched_work";

/// Whether other nodes should hear of `w`: it holds pending work nobody has taken or a
/// schedule that may now be due sooner than they planned to look. A claim's runs are its
/// node's (it queues them itself), so a claim tells only of its schedules' next runs, and those
/// are seldom sooner than the others' next look.
pub fn worth_telling(w: &WriteSet) -> bool {
    w.put_executions
        .iter()
        .any(|e| e.status == crate::model::ExecutionStatus::Pending && e.owner_node.is_none())
        || w.put_schedules.iter().any(|s| {
            s.status() == crate::model::ScheduleStatus::Active && s.next_run_at().is_some()
        })
}

/// Listen until the last receiver is gone, reconnecting after a lost connection.
pub async fn listen(config: Config, heard: watch::Sender<u64>) {
    while !heard.is_closed() {
        match session(&config, &heard).await {
            Ok(Ended::Unwanted) => return,
            Ok(Ended::Lost) => tracing::debug!("the notification listener lost its connection"),
            Err(e) => tracing::debug!(error = %e, "the notification listener cannot connect"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

enum Ended {
    /// Nobody waits for wake-ups any more.
    Unwanted,
    /// The connection went away: listen again.
    Lost,
}

async fn session(
    config: &Config,
    heard: &watch::Sender<u64>,
) -> Result<Ended, tokio_postgres::Error> {
    let (client, mut connection) = config.connect(NoTls).await?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    // The connection delivers notifications only while it is polled for messages.
    let driver = tokio::spawn(async move {
        while let Some(message) = std::future::poll_fn(|cx| connection.poll_message(cx)).await {
            match message {
                Ok(AsyncMessage::Notification(_)) => {
                    if tx.send(()).is_err() {
                        return;
                    }
                }
                Ok(_) => {}
                Err(_) => return,
            }
        }
    });
    client.batch_execute(&format!("LISTEN {CHANNEL}")).await?;
    // Anything said while this node was not listening is looked for now.
    heard.send_modify(|n| *n += 1);
    loop {
        tokio::select! {
            got = rx.recv() => match got {
                Some(()) => heard.send_modify(|n| *n += 1),
                None => break,
            },
            _ = heard.closed() => {
                driver.abort();
                return Ok(Ended::Unwanted);
            }
        }
    }
    drop(client);
    let _ = driver.await;
    Ok(Ended::Lost)
}
