//! The single writer task of the database backends (SQLite, PostgreSQL): group commit.
//!
//! Every append of a process goes through one queue to one task. The task takes every request
//! waiting in the queue (up to [`MAX_BATCH_REQUESTS`] / [`MAX_BATCH_EVENTS`]), hands the batch
//! to the backend's [`Writer::commit`], which checks each request against the log and writes
//! the accepted ones atomically, and answers each caller with its own outcome: a request
//! refused by a check gets its error and writes nothing; if the commit fails, every caller of
//! the batch is told so. Imports never join a batch. A close answers what is queued first.

use std::future::Future;

use tokio::sync::{mpsc, oneshot};

use crate::plan::Verdict;
use crate::{AppendOutcome, AppendRequest, MAX_IMPORT_BATCH, RecordedEvent, StoreError};

/// The most requests one group commit takes.
pub const MAX_BATCH_REQUESTS: usize = 1_024;
/// The most events one group commit writes (a batch stops gathering once it reaches this; the
/// request that crosses it may add up to [`crate::MAX_EVENTS_PER_APPEND`] more).
pub const MAX_BATCH_EVENTS: usize = 1_024;
/// How many times the writer yields to let ready callers join a batch before committing it.
const MAX_GATHER_ROUNDS: usize = 3;

/// One append waiting for its answer.
pub(crate) struct Job {
    pub request: AppendRequest,
    reply: oneshot::Sender<Result<AppendOutcome, StoreError>>,
}

enum Message {
    Append(Job),
    Import(Vec<RecordedEvent>, oneshot::Sender<Result<(), StoreError>>),
    Close(oneshot::Sender<()>),
}

/// What a backend's writer does.
pub(crate) trait Writer: Send + 'static {
    /// Checks and writes a batch atomically: one verdict per job, or an error and nothing
    /// written (the writer forgets whatever it cached about the log).
    fn commit(
        &mut self,
        jobs: &[Job],
    ) -> impl Future<Output = Result<Vec<Verdict>, StoreError>> + Send;

    /// Writes a verbatim copy of recorded events that continue the log (all or nothing).
    fn import(
        &mut self,
        events: &[RecordedEvent],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Runs once after the last batch, before the close is acknowledged; closes the backend's
    /// connection.
    fn finish(self) -> impl Future<Output = ()> + Send;
}

/// The store's end of the writer's queue.
pub(crate) struct Queue(mpsc::Sender<Message>);

impl Queue {
    /// Starts the writer task on the current runtime.
    pub fn start<W: Writer>(writer: W) -> Queue {
        let (sender, receiver) = mpsc::channel(MAX_BATCH_REQUESTS * 4);
        tokio::spawn(run(writer, receiver));
        Queue(sender)
    }

    /// Starts the writer task on a thread of its own, with a runtime of its own: under load the
    /// request handlers fill the main runtime's queues, and the writer, which every command
    /// waits for, must not wait behind them at each of its statements and gathering rounds.
    pub fn start_on_own_thread<W: Writer>(writer: W) -> Result<Queue, StoreError> {
        let (sender, receiver) = mpsc::channel(MAX_BATCH_REQUESTS * 4);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| StoreError::CommitFailed(format!("a runtime for the writer: {e}")))?;
        std::thread::Builder::new()
            .name("yika-log-writer".to_owned())
            .spawn(move || runtime.block_on(run(writer, receiver)))
            .map_err(|e| StoreError::CommitFailed(format!("a thread for the writer: {e}")))?;
        Ok(Queue(sender))
    }

    /// Appends through the writer and waits for the answer.
    pub async fn append(&self, request: AppendRequest) -> Result<AppendOutcome, StoreError> {
        crate::check_request(&request)?;
        let (reply, answer) = oneshot::channel();
        self.0
            .send(Message::Append(Job { request, reply }))
            .await
            .map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }

    /// Imports through the writer and waits for the answer.
    pub async fn import(&self, events: Vec<RecordedEvent>) -> Result<(), StoreError> {
        if events.len() > MAX_IMPORT_BATCH {
            return Err(StoreError::Invalid("too many events in one import"));
        }
        let (reply, answer) = oneshot::channel();
        self.0
            .send(Message::Import(events, reply))
            .await
            .map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }

    /// Answers every append queued before this call and stops the writer.
    pub async fn close(&self) {
        let (done, wait) = oneshot::channel();
        if self.0.send(Message::Close(done)).await.is_ok() {
            let _ = wait.await;
        }
    }
}

async fn run<W: Writer>(mut writer: W, mut queue: mpsc::Receiver<Message>) {
    let mut batch: Vec<Job> = Vec::new();
    while let Some(first) = queue.recv().await {
        let mut close = None;
        match first {
            Message::Append(job) => batch.push(job),
            Message::Import(events, reply) => {
                let _ = reply.send(writer.import(&events).await);
                continue;
            }
            Message::Close(done) => close = Some(done),
        }
        // Let the callers that are ready run and queue their appends before this batch
        // closes: with many concurrent writers this turns many small commits into few large
        // ones; with one writer it costs a single scheduler pass.
        let mut events: usize = batch.iter().map(|j| j.request.events().count()).sum();
        for _ in 0..MAX_GATHER_ROUNDS {
            tokio::task::yield_now().await;
            let before = batch.len();
            while close.is_none() && batch.len() < MAX_BATCH_REQUESTS && events < MAX_BATCH_EVENTS {
                match queue.try_recv() {
                    Ok(Message::Append(job)) => {
                        events += job.request.events().count();
                        batch.push(job);
                    }
                    Ok(Message::Import(imported, reply)) => {
                        // Imports never join a group commit: answer it on its own.
                        commit_batch(&mut writer, std::mem::take(&mut batch)).await;
                        events = 0;
                        let _ = reply.send(writer.import(&imported).await);
                    }
                    Ok(Message::Close(done)) => close = Some(done),
                    Err(_) => break,
                }
            }
            if batch.len() == before || close.is_some() {
                break;
            }
        }
        commit_batch(&mut writer, std::mem::take(&mut batch)).await;
        if let Some(done) = close {
            queue.close();
            // Answer whatever raced in behind the close request.
            while let Ok(message) = queue.try_recv() {
                match message {
                    Message::Append(job) => batch.push(job),
                    Message::Import(_, reply) => {
                        let _ = reply.send(Err(StoreError::Closed));
                    }
                    Message::Close(other) => {
                        let _ = other.send(());
                    }
                }
            }
            commit_batch(&mut writer, std::mem::take(&mut batch)).await;
            writer.finish().await;
            let _ = done.send(());
            return;
        }
    }
}

/// Commits a batch and answers each of its callers.
async fn commit_batch<W: Writer>(writer: &mut W, jobs: Vec<Job>) {
    if jobs.is_empty() {
        return;
    }
    let started = std::time::Instant::now();
    let committed = writer.commit(&jobs).await;
    tracing::debug!(
        appends = jobs.len(),
        commit_us = started.elapsed().as_micros() as u64,
        "group commit"
    );
    match committed {
        Ok(verdicts) => {
            for (job, verdict) in jobs.into_iter().zip(verdicts) {
                let answer = match verdict {
                    Verdict::Refused(error) => Err(error),
                    Verdict::Duplicate(outcome) => Ok(outcome),
                    Verdict::Write {
                        first_position,
                        last_position,
                        recorded_at,
                    } => Ok(AppendOutcome::Committed {
                        first_position,
                        last_position,
                        recorded_at,
                    }),
                };
                let _ = job.reply.send(answer);
            }
        }
        Err(error) => {
            tracing::error!(%error, requests = jobs.len(), "group commit failed");
            let message = error.to_string();
            for job in jobs {
                let _ = job
                    .reply
                    .send(Err(StoreError::CommitFailed(message.clone())));
            }
        }
    }
}
