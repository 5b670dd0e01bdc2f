//! Node leases on the database's clock, and the rescue of a dead node's running work. A node
//! renews its row every few seconds; any node may find lapsed ones, but only one at a time
//! (a transaction-scoped advisory lock), so two rescuers never race over the same executions.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::rows::decode_all;
use super::{PgStore, pg_err};
use crate::model::Execution;
use crate::store::StoreError;
use crate::store::storage::{NodeLease, Nodes};

/// Key of the rescuers' advisory lock (any constant; it names this use only).
const RESCUE_LOCK: i64 = 0x5367_5363_6865_6402;

#[async_trait::async_trait]
impl Nodes for PgStore {
    fn shared(&self) -> bool {
        true
    }

    fn wakeups(&self) -> Option<tokio::sync::watch::Receiver<u64>> {
        Some(self.heard.clone())
    }

    async fn renew_lease(&self, node: &str, lease: Duration) -> Result<(), StoreError> {
        let client = self.client().await?;
        let secs = lease.as_secs_f64();
        client
            .execute(
                "INSERT INTO nodes (node_id, lease_until) \
                 VALUES ($1, now() + make_interval(secs => $2)) \
                 ON CONFLICT (node_id) DO UPDATE \
                 SET renewed_at = now(), lease_until = EXCLUDED.lease_until",
                &[&node, &secs],
            )
            .await
            .map_err(pg_err)?;
        Ok(())
    }

    async fn rescue_lapsed(&self) -> Result<u64, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(pg_err)?;
        let locked: bool = tx
            .query_one("SELECT pg_try_advisory_xact_lock($1)", &[&RESCUE_LOCK])
            .await
            .map_err(pg_err)?
            .get(0);
        if !locked {
            return Ok(0);
        }
        let gone = tx
            .query(
                "DELETE FROM nodes WHERE lease_until < now() RETURNING node_id",
                &[],
            )
            .await
            .map_err(pg_err)?;
        for row in &gone {
            let node: &str = row.get(0);
            tracing::warn!(
                node,
                "a node's lease lapsed; its running executions go back to pending"
            );
        }
        // Without a live owner: a lapsed node's, and any left by a build without owners.
        let rescued = tx
            .execute(
                "UPDATE executions e SET status = 'pending', owner_node = NULL \
                 WHERE status = 'running' \
                 AND NOT EXISTS (SELECT 1 FROM nodes n WHERE n.node_id = e.owner_node)",
                &[],
            )
            .await
            .map_err(pg_err)?;
        tx.commit().await.map_err(pg_err)?;
        Ok(rescued)
    }

    async fn nodes(&self) -> Result<(Vec<NodeLease>, Option<DateTime<Utc>>), StoreError> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT n.node_id, n.started_at, n.renewed_at, n.lease_until, now(), \
                 (SELECT count(*) FROM executions e \
                  WHERE e.status = 'running' AND e.owner_node = n.node_id) \
                 FROM nodes n ORDER BY n.node_id",
                &[],
            )
            .await
            .map_err(pg_err)?;
        let now = rows.first().map(|r| r.get(4));
        let nodes = rows
            .iter()
            .map(|r| NodeLease {
                node_id: r.get(0),
                started_at: r.get(1),
                renewed_at: r.get(2),
                lease_until: r.get(3),
                running: r.get::<_, i64>(5) as u64,
            })
            .collect();
        Ok((nodes, now))
    }

    async fn pending_for(&self, node: &str, limit: usize) -> Result<Vec<Execution>, StoreError> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT to_jsonb(e) FROM executions e WHERE status = 'pending' \
                 AND (owner_node IS NULL OR owner_node = $1 OR NOT EXISTS \
                     (SELECT 1 FROM nodes n WHERE n.node_id = e.owner_node \
                      AND n.lease_until >= now())) \
                 ORDER BY scheduled_for, id LIMIT $2",
                &[&node, &(limit as i64)],
            )
            .await
            .map_err(pg_err)?;
        decode_all(&rows)
    }

    async fn leave(&self, node: &str) -> Result<(), StoreError> {
        let client = self.client().await?;
        client
            .execute(
                "UPDATE nodes SET lease_until = now() - interval '1 second' WHERE node_id = $1",
                &[&node],
            )
            .await
            .map_err(pg_err)?;
        Ok(())
    }
}
