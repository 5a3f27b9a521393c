//! The views folded in memory: the same projectors as the runner's, with no database. The rows
//! of the tables that events change are held (accounts, deductions, shifts and their methods);
//! the rows that events only add are hashed as they come and dropped, so a table of any size
//! costs its digest. `yika verify` compares these digests with the live tables'; the replay
//! benchmark measures its rate.

use std::collections::BTreeMap;

use yika_domain::{Event, Metadata};
use yika_store::{EventStore, MAX_READ_BATCH};

use crate::ProjectionError;
use crate::views::rows::{Added, Cell, Changed, Record};
use crate::views::{self, Applied, Rows};

/// An order-independent digest of a table: its row count and the sum of its rows' SHA-256
/// hashes, each row hashed as its cells by column name (so column order does not matter).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Digest {
    /// Rows.
    pub rows: u64,
    sum: [u64; 4],
}

impl Digest {
    /// Adds a row given as (column name, canonical value) pairs, sorted by name.
    pub fn add(&mut self, cells: &[(String, String)]) {
        use sha2::{Digest as _, Sha256};
        let mut hasher = Sha256::new();
        for (name, value) in cells {
            hasher.update(name.as_bytes());
            hasher.update([0]);
            hasher.update(value.as_bytes());
            hasher.update([0]);
        }
        let hash: [u8; 32] = hasher.finalize().into();
        for (lane, chunk) in self.sum.iter_mut().zip(hash.chunks_exact(8)) {
            *lane = lane.wrapping_add(u64::from_be_bytes(chunk.try_into().expect("8 bytes")));
        }
        self.rows += 1;
    }

    /// Adds a record.
    pub fn add_record<R: Record>(&mut self, record: &R) {
        let mut cells: Vec<(String, String)> = R::COLUMNS
            .iter()
            .zip(record.cells())
            .map(|(name, cell): (&&str, Cell)| ((*name).to_owned(), cell.canonical()))
            .collect();
        cells.sort();
        self.add(&cells);
    }
}

/// The views of a log's prefix, folded in memory.
#[derive(Default)]
pub struct InMemory {
    rows: Rows,
    added: BTreeMap<&'static str, Digest>,
    /// The last position folded.
    pub position: u64,
}

fn hash_added<R: Record>(added: &mut Added<R>, digests: &mut BTreeMap<&'static str, Digest>) {
    let digest = digests.entry(R::TABLE).or_default();
    for row in added.rows.drain(..) {
        digest.add_record(&row);
    }
}

fn hash_changed<R: Record>(changed: &Changed<R>, digests: &mut BTreeMap<&'static str, Digest>) {
    let digest = digests.entry(R::TABLE).or_default();
    for row in changed.all() {
        digest.add_record(row);
    }
}

impl InMemory {
    /// Folds the log from position 1 through `until` (or its end).
    pub async fn replay(store: &dyn EventStore, until: u64) -> Result<InMemory, ProjectionError> {
        let mut memory = InMemory::default();
        memory.fold_until(store, until).await?;
        Ok(memory)
    }

    /// Folds on from [`InMemory::position`] through `until` (or the log's end).
    pub async fn fold_until(
        &mut self,
        store: &dyn EventStore,
        until: u64,
    ) -> Result<(), ProjectionError> {
        let memory = self;
        loop {
            let room = usize::try_from(until.saturating_sub(memory.position)).unwrap_or(usize::MAX);
            if room == 0 {
                return Ok(());
            }
            let events = store
                .read_all(memory.position, MAX_READ_BATCH.min(room))
                .await?;
            if events.is_empty() {
                return Ok(());
            }
            let mut decoded = Vec::with_capacity(events.len());
            for (offset, recorded) in events.iter().enumerate() {
                if recorded.position != memory.position + 1 + offset as u64 {
                    return Err(ProjectionError::Corrupt(format!(
                        "event {} is missing from the log",
                        memory.position + 1 + offset as u64
                    )));
                }
                let event = Event::decode(
                    &recorded.event_type,
                    recorded.schema_version,
                    &recorded.payload,
                )?;
                let metadata: Metadata = serde_json::from_str(&recorded.metadata).map_err(|e| {
                    ProjectionError::Corrupt(format!("metadata at {}: {e}", recorded.position))
                })?;
                decoded.push((event, metadata));
            }
            let batch: Vec<Applied<'_>> = events
                .iter()
                .zip(&decoded)
                .map(|(recorded, (event, metadata))| Applied::new(recorded, event, metadata))
                .collect();
            views::fold(&mut memory.rows, &batch)?;
            memory.position = events.last().map_or(memory.position, |e| e.position);
            memory.drain_added();
        }
    }

    /// Hashes the rows added so far and lets them go.
    fn drain_added(&mut self) {
        let (rows, digests) = (&mut self.rows, &mut self.added);
        hash_added(&mut rows.staff, digests);
        hash_added(&mut rows.staff_tokens, digests);
        hash_added(&mut rows.receipts, digests);
        hash_added(&mut rows.cash_counts, digests);
        hash_added(&mut rows.movements, digests);
        hash_added(&mut rows.journal, digests);
        hash_added(&mut rows.workload_acts, digests);
        hash_added(&mut rows.coefficient_sets, digests);
        hash_added(&mut rows.quality_deductions, digests);
        hash_added(&mut rows.days, digests);
        hash_added(&mut rows.audit_index, digests);
    }

    /// The digest of every compared table as the views would hold it at [`InMemory::position`],
    /// the runner's checkpoint row included.
    #[must_use]
    pub fn digests(&self) -> BTreeMap<&'static str, Digest> {
        let mut digests = self.added.clone();
        hash_changed(&self.rows.accounts, &mut digests);
        hash_changed(&self.rows.deductions, &mut digests);
        hash_changed(&self.rows.shifts, &mut digests);
        hash_changed(&self.rows.shift_methods, &mut digests);
        let mut checkpoint = Digest::default();
        let mut cells = vec![
            (
                "position".to_owned(),
                Cell::Int(i64::try_from(self.position).ok()).canonical(),
            ),
            (
                "projection".to_owned(),
                Cell::Text(Some(crate::runner::PROJECTION.to_owned())).canonical(),
            ),
        ];
        cells.sort();
        checkpoint.add(&cells);
        digests.insert("checkpoints", checkpoint);
        for table in views::compared_tables() {
            digests.entry(table).or_default();
        }
        digests
    }

    /// Rows held in memory (the tables events change), for the benchmark's report.
    #[must_use]
    pub fn held_rows(&self) -> usize {
        self.rows.accounts.all().count()
            + self.rows.deductions.all().count()
            + self.rows.shifts.all().count()
            + self.rows.shift_methods.all().count()
    }
}
