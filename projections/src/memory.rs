//! The views folded in memory: the same projectors as the runner's, with no database. The rows
//! of the tables that events change are held (accounts, deductions, shifts and their methods);
//! the rows that events only add are hashed as they come and dropped, so a table of any size
//! costs its digest. `yika verify` compares these digests with the live tables'; the replay
//! benchmark measures its rate.

use std::collections::BTreeMap;

use yika_domain::{Event, Metadata};
use yika_store::{EventStore, MAX_READ_BATCH, RecordedEvent};

use crate::ProjectionError;
use crate::views::rows::{Added, Cell, Changed, Record, hash_named_cell};
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
            hash_named_cell(&mut hasher, name, |hasher| hasher.update(value.as_bytes()));
        }
        self.add_hash(hasher.finalize().into());
    }

    /// Adds a record: the same as [`Digest::add`] of its cells by column name, hashed without
    /// building them.
    pub fn add_record<R: Record>(&mut self, record: &R) {
        use sha2::{Digest as _, Sha256};
        let mut hasher = Sha256::new();
        record.hash_cells(&mut hasher);
        self.add_hash(hasher.finalize().into());
    }

    /// Adds a row whose cells `write` feeds to the hash (as [`Digest::add`] would hash them).
    ///
    /// # Errors
    ///
    /// What `write` fails with; the row is then not added.
    pub fn add_row<E>(
        &mut self,
        write: impl FnOnce(&mut sha2::Sha256) -> Result<(), E>,
    ) -> Result<(), E> {
        use sha2::{Digest as _, Sha256};
        let mut hasher = Sha256::new();
        write(&mut hasher)?;
        self.add_hash(hasher.finalize().into());
        Ok(())
    }

    fn add_hash(&mut self, hash: [u8; 32]) {
        for (lane, chunk) in self.sum.iter_mut().zip(hash.chunks_exact(8)) {
            *lane = lane.wrapping_add(u64::from_be_bytes(chunk.try_into().expect("8 bytes")));
        }
        self.rows += 1;
    }
}

/// A batch being folded on a blocking thread: it hands the memory back with its outcome.
type Folding = tokio::task::JoinHandle<(InMemory, Result<(), ProjectionError>)>;

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
    ///
    /// Two stages overlap: while one batch is folded and hashed on a blocking thread, the next
    /// is read from the log and decoded here (on two cores, each stage has one).
    pub async fn fold_until(
        &mut self,
        store: &dyn EventStore,
        until: u64,
    ) -> Result<(), ProjectionError> {
        let mut folding: Option<Folding> = None;
        // Where the next read starts: the last position read, folded or not.
        let mut read_to = self.position;
        let outcome = loop {
            let room = usize::try_from(until.saturating_sub(read_to)).unwrap_or(usize::MAX);
            if room == 0 {
                break Ok(());
            }
            let events = match store.read_all(read_to, MAX_READ_BATCH.min(room)).await {
                Ok(events) => events,
                Err(error) => break Err(error.into()),
            };
            if events.is_empty() {
                break Ok(());
            }
            let last = events.last().map_or(read_to, |e| e.position);
            let decoded = match crate::runner::decode(read_to, events) {
                Ok(decoded) => decoded,
                Err(error) => break Err(error),
            };
            read_to = last;
            if let Some(handle) = folding.take() {
                self.join(handle).await?;
            }
            let mut memory = std::mem::take(self);
            folding = Some(tokio::task::spawn_blocking(move || {
                let folded = memory.fold_batch(&decoded);
                (memory, folded)
            }));
        };
        if let Some(handle) = folding {
            self.join(handle).await?;
        }
        outcome
    }

    /// Takes back the memory a folding stage had, and its outcome. A batch that failed leaves
    /// [`InMemory::position`] where the batch began.
    async fn join(&mut self, handle: Folding) -> Result<(), ProjectionError> {
        let (memory, folded) = handle
            .await
            .map_err(|e| ProjectionError::Corrupt(format!("folding a batch stopped: {e}")))?;
        *self = memory;
        folded
    }

    /// Folds one batch of read and decoded events (the next after [`InMemory::position`]).
    fn fold_batch(
        &mut self,
        decoded: &[(RecordedEvent, Event, Metadata)],
    ) -> Result<(), ProjectionError> {
        let batch: Vec<Applied<'_>> = decoded
            .iter()
            .map(|(recorded, event, metadata)| Applied::new(recorded, event, metadata))
            .collect();
        views::fold(&mut self.rows, &batch)?;
        self.position = decoded.last().map_or(self.position, |(e, _, _)| e.position);
        self.drain_added();
        Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::views::tables::{AccountRecord, StaffRecord};

    /// A row's digest as `yika verify` defines it: its cells' canonical texts by column name.
    fn by_definition<R: Record>(record: &R) -> Digest {
        let mut cells: Vec<(String, String)> = R::COLUMNS
            .iter()
            .zip(record.cells())
            .map(|(name, cell)| ((*name).to_owned(), cell.canonical()))
            .collect();
        cells.sort();
        let mut digest = Digest::default();
        digest.add(&cells);
        digest
    }

    #[test]
    fn a_record_hashed_in_place_digests_as_its_cells_sorted_by_name() {
        // Goal: the allocation-free hash of a record (columns visited in name order, values
        // written straight into the hash) is byte for byte the definition the live tables'
        // side of verify uses, for texts, empty texts, NULLs, negative and large numbers.
        let staff = StaffRecord {
            staff_id: "s-1".to_owned(),
            staff_no: String::new(),
            name: "王芳 (cashier)".to_owned(),
            role: "CASHIER".to_owned(),
            department: None,
            token_sha256: "ab".repeat(32),
            registered_at: "2026-12-07T08:00:00.000000Z".to_owned(),
        };
        let account = AccountRecord {
            account_id: "a-1".to_owned(),
            kind: "PREPAID_CARD".to_owned(),
            status: "OPEN".to_owned(),
            patient_id: "P1".to_owned(),
            card_no: "C1".to_owned(),
            insurance_scheme: "SELF_PAY".to_owned(),
            balance_fen: -12_345,
            deposited_fen: i64::MAX,
            deducted_fen: i64::MIN,
            reversed_fen: 0,
            refunded_fen: 7,
            opened_at: "2026-12-07T08:00:00.000000Z".to_owned(),
            last_activity_at: None,
            revision: 3,
            opened_position: 1,
        };
        for (in_place, defined) in [
            (
                {
                    let mut d = Digest::default();
                    d.add_record(&staff);
                    d
                },
                by_definition(&staff),
            ),
            (
                {
                    let mut d = Digest::default();
                    d.add_record(&account);
                    d
                },
                by_definition(&account),
            ),
        ] {
            assert_eq!(in_place, defined);
            assert_eq!(in_place.rows, 1);
        }
        let mut other = account.clone();
        other.last_activity_at = Some(String::new());
        let mut digest = Digest::default();
        digest.add_record(&other);
        assert_ne!(
            digest,
            by_definition(&account),
            "NULL and an empty text differ"
        );
    }

    #[test]
    fn columns_sort_by_their_names_bytes() {
        // Goal: the order worked out at compile time is the byte order of the names.
        assert_eq!(
            crate::views::rows::sorted_order(["b", "a", "ab", "A", "aa"]),
            [3, 1, 4, 2, 0]
        );
    }
}
