//! What the API reads, each with the ownership rule applied: another user's schedule, series
//! or execution is as missing. Handlers reach storage only through these.

use chrono::{DateTime, Utc};

use super::{Scheduler, ServiceError};
use crate::alerts::{Alert, AlertConfig, evaluate};
use crate::calendar::{Calendar, CalendarQuery, Context};
use crate::model::{
    Execution, ExecutionId, ExecutionStatus, LocalJobRecord, Schedule, ScheduleId, UserId,
};
use crate::store::{ScheduleFilter, StoreError};

/// Schedules read per alert request, at most: the cost stays bounded for huge accounts.
const MAX_ALERT_SCHEDULES: usize = 10_000;

impl Scheduler {
    pub async fn get(&self, user: UserId, id: ScheduleId) -> Result<Schedule, ServiceError> {
        self.storage
            .schedule(user, id)
            .await?
            .ok_or(ServiceError::NotFound)
    }

    /// A schedule with its `recent` newest executions, in one read (a hop to a reader thread
    /// is most of a point read's cost).
    pub async fn get_with_recent(
        &self,
        user: UserId,
        id: ScheduleId,
        recent: usize,
    ) -> Result<(Schedule, Vec<Execution>), ServiceError> {
        self.storage
            .schedule_with_recent(user, id, recent)
            .await?
            .ok_or(ServiceError::NotFound)
    }

    pub async fn list(
        &self,
        user: UserId,
        filter: ScheduleFilter,
        after: Option<ScheduleId>,
        limit: usize,
    ) -> Result<Vec<Schedule>, ServiceError> {
        Ok(self
            .storage
            .list_schedules(user, filter, after, limit)
            .await?)
    }

    /// A user's schedule and a page of its executions, newest first after the cursor.
    pub async fn executions(
        &self,
        user: UserId,
        id: ScheduleId,
        status: Option<ExecutionStatus>,
        after: Option<(DateTime<Utc>, ExecutionId)>,
        limit: usize,
    ) -> Result<(Schedule, Vec<Execution>), ServiceError> {
        let s = self.get(user, id).await?;
        let items = self.storage.executions(id, status, after, limit).await?;
        Ok((s, items))
    }

    /// The alert conditions over a user's schedules and running executions.
    pub async fn alerts(&self, user: UserId) -> Result<Vec<Alert>, ServiceError> {
        let mut schedules = Vec::new();
        let mut after = None;
        while schedules.len() < MAX_ALERT_SCHEDULES {
            let page = self
                .storage
                .list_schedules(user, ScheduleFilter::default(), after, 1000)
                .await?;
            let done = page.len() < 1000;
            after = page.last().map(|s| s.id);
            schedules.extend(page);
            if done {
                break;
            }
        }
        let running: Vec<_> = self
            .storage
            .executions_with_status(ExecutionStatus::Running, 10_000)
            .await?
            .into_iter()
            .filter(|e| e.user_id == user)
            .collect();
        Ok(evaluate(
            &AlertConfig::default(),
            &schedules,
            &running,
            self.clock.now(),
        ))
    }

    /// A number that moves after every committed write to the user's schedules or executions:
    /// a view computed from reads made after reading it may be kept while it is unchanged.
    pub fn data_version(&self, user: UserId) -> u64 {
        self.storage.data_version(user)
    }

    /// The calendar of `user` for `query`, `version` read before (see `data_version`).
    pub async fn calendar(
        &self,
        user: UserId,
        version: u64,
        query: CalendarQuery,
        cx: &Context,
    ) -> Result<Calendar, StoreError> {
        crate::calendar::gather(&*self.storage, user, version, query, cx, &self.calendars).await
    }

    /// The nodes sharing the storage with their leases, and the database's clock; none when
    /// the storage is this process's alone.
    pub async fn nodes(
        &self,
    ) -> Result<
        (
            Vec<crate::store::NodeLease>,
            Option<chrono::DateTime<chrono::Utc>>,
        ),
        StoreError,
    > {
        self.storage.nodes().await
    }

    /// Whether other nodes may share the storage.
    pub fn shared_storage(&self) -> bool {
        self.storage.shared()
    }

    /// The user a token's SHA-256 belongs to.
    pub async fn token_user(&self, token_sha256: [u8; 32]) -> Result<Option<UserId>, StoreError> {
        self.storage.token_user(token_sha256).await
    }

    /// Store a token's SHA-256 for `user` (a token the CLI created while the server ran).
    pub async fn put_token(&self, token_sha256: [u8; 32], user: UserId) -> Result<(), StoreError> {
        self.storage.put_token(token_sha256, user).await
    }

    /// `user`'s jobs of the embedded job system in creation order, after the job id `after`.
    pub async fn jobs(
        &self,
        user: UserId,
        after: Option<String>,
        limit: usize,
    ) -> Result<Vec<LocalJobRecord>, StoreError> {
        self.storage
            .local_jobs(Some(user.to_string()), after, limit)
            .await
    }

    /// One of `user`'s jobs of the embedded job system.
    pub async fn job(&self, user: UserId, job_id: String) -> Result<LocalJobRecord, ServiceError> {
        match self.storage.local_job(job_id).await? {
            Some(j) if j.user_id == user.to_string() => Ok(j),
            _ => Err(ServiceError::NotFound),
        }
    }
}
