//! The application layer: load the aggregates a command needs from the event store, decide,
//! append with the expected revisions, and retry on a concurrency conflict. Commands never read
//! the read store to decide; they only wait for it afterwards so that a mutation's answer
//! reflects its own write.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;
use yika_domain::ids::streams;
use yika_domain::text::{MAX_ID_CHARS, bounded};
use yika_domain::{
    Account, AccountCommand, AccountId, AccountKind, Aggregate, Amount, Card, CardCommand, Cashier,
    CashierCommand, DeductionId, Direction, DomainError, Event, InsuranceScheme, Metadata, Money,
    PaymentMethod, ReversalReason, Role, Shift, ShiftCommand, ShiftContext, ShiftId, Staff,
    StaffCommand, StaffId,
};
use yika_domain::{
    BusinessType, Coefficients, CoefficientsCommand, Quality, RecordQualityDeduction,
};
use yika_projections::ReadStore;
use yika_store::{
    AppendOutcome, AppendRequest, EventStore, ExpectedRevision, IdempotencyClaim, NewEvent,
    StreamWrite,
};

use crate::error::{ApiError, ApiResult};

/// How often a command is retried after losing a race for a stream.
const MAX_ATTEMPTS: u32 = 10;
/// How long a mutation waits for the views to include its own write.
const READ_YOUR_WRITES: Duration = Duration::from_secs(5);
/// Striped locks that queue this process's commands per stream instead of letting them race.
const LOCK_STRIPES: usize = 1_024;

/// Who is acting: the authenticated staff member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// Their id.
    pub staff_id: StaffId,
    /// Their staff number (工号): the prefix of a cashier's receipt series.
    pub staff_no: String,
    /// Their one role.
    pub role: Role,
    /// Their department (DEPARTMENT role).
    pub department: Option<String>,
}

/// The application: the event store for decisions, the read store for answers.
#[derive(Clone)]
pub struct App {
    /// The event store.
    pub store: Arc<dyn EventStore>,
    /// The read store.
    pub read: ReadStore,
    locks: Arc<Vec<tokio::sync::Mutex<()>>>,
    /// Whether a projection runner follows this store (false for the CLI's one-off commands).
    views_follow: bool,
    /// Refuses every command (`yika serve --read-only`, for an as-of replay).
    read_only: bool,
    /// Counters for /metrics.
    pub metrics: Arc<crate::metrics::Metrics>,
}

tokio::task_local! {
    /// The correlation id of the request being served: the HTTP layer sets it for the whole
    /// request, and every event a command writes carries it in its metadata.
    pub static CORRELATION_ID: Uuid;
}

/// The current request's correlation id, or a fresh one outside a request (the CLI).
#[must_use]
pub fn correlation_id() -> Uuid {
    CORRELATION_ID
        .try_with(|id| *id)
        .unwrap_or_else(|_| Uuid::now_v7())
}

/// The events a command wrote (or had written the first time, for a retried command).
#[derive(Debug, Clone)]
pub struct Written {
    /// The events with their ids and recorded times.
    pub events: Vec<(yika_store::RecordedEvent, Event)>,
    /// The last position, for read-your-writes.
    pub last_position: u64,
}

impl Written {
    /// The first event matching `pick`.
    fn find<T>(
        &self,
        pick: impl Fn(&yika_store::RecordedEvent, &Event) -> Option<T>,
    ) -> ApiResult<T> {
        self.events
            .iter()
            .find_map(|(recorded, event)| pick(recorded, event))
            .ok_or_else(|| {
                ApiError::Internal("the command's events are not what it wrote".to_owned())
            })
    }
}

/// One stream a command writes or guards.
struct Write {
    stream_id: String,
    revision: u64,
    events: Vec<(Uuid, Event)>,
}

fn fingerprint(input: &impl Serialize) -> String {
    let bytes = serde_json::to_vec(input).expect("command inputs serialize");
    hex::encode(Sha256::digest(bytes))
}

/// The hex SHA-256 of a bearer token: the only form in which tokens are stored.
#[must_use]
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A new random bearer token: 256 bits from the OS, hex encoded, prefixed for recognizability.
#[must_use]
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the OS provides randomness");
    format!("yk_{}", hex::encode(bytes))
}

fn require(actor: &Actor, role: Role) -> ApiResult<()> {
    if actor.role == role {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!(
            "this needs the {} role",
            serde_json::to_value(role)
                .expect("roles serialize")
                .as_str()
                .unwrap_or("?")
        )))
    }
}

/// Input of `openAccount`.
#[derive(Debug, Clone, Serialize)]
pub struct OpenAccount {
    pub kind: AccountKind,
    pub patient_id: String,
    pub card_no: String,
    pub insurance_scheme: InsuranceScheme,
}

/// Input of `deposit`.
#[derive(Debug, Clone, Serialize)]
pub struct Deposit {
    pub account_id: AccountId,
    pub amount: Money,
    pub method: PaymentMethod,
    pub shift_id: ShiftId,
    pub external_ref: Option<String>,
}

/// Input of `deduct`.
#[derive(Debug, Clone, Serialize)]
pub struct Deduct {
    pub account_id: AccountId,
    pub amount: Money,
    pub department: String,
    pub order_id: String,
    pub item_code: String,
    pub item_name: Option<String>,
    pub quantity: i64,
}

/// Input of `reverseDeduction`.
#[derive(Debug, Clone, Serialize)]
pub struct Reverse {
    pub deduction_id: DeductionId,
    pub amount: Money,
    pub reason: ReversalReason,
}

/// Input of `refundBalance`.
#[derive(Debug, Clone, Serialize)]
pub struct Refund {
    pub account_id: AccountId,
    pub amount: Option<Money>,
    pub method: PaymentMethod,
    pub shift_id: ShiftId,
}

/// Input of `settleDischarge`.
#[derive(Debug, Clone, Serialize)]
pub struct SettleDischarge {
    pub account_id: AccountId,
    pub insurance_scheme: InsuranceScheme,
    pub insurance_pays: Money,
    pub method: PaymentMethod,
    pub shift_id: ShiftId,
}

/// Input of `registerStaff`.
#[derive(Debug, Clone, Serialize)]
pub struct RegisterStaff {
    pub staff_no: String,
    pub name: String,
    pub role: Role,
    pub department: Option<String>,
}

impl App {
    /// An application over these stores.
    #[must_use]
    pub fn new(store: Arc<dyn EventStore>, read: ReadStore) -> App {
        let locks = (0..LOCK_STRIPES)
            .map(|_| tokio::sync::Mutex::new(()))
            .collect();
        App {
            store,
            read,
            locks: Arc::new(locks),
            views_follow: true,
            read_only: false,
            metrics: Arc::default(),
        }
    }

    /// The same application, refusing every command with FORBIDDEN: an auditor's server over
    /// an as-of replay answers questions about the past and cannot add to it.
    #[must_use]
    pub fn read_only(self) -> App {
        App {
            read_only: true,
            ..self
        }
    }

    /// Registers a staff member from the command line (no running views to wait for); returns
    /// the new staff id and the token.
    pub async fn register_staff_offline(
        self,
        input: RegisterStaff,
    ) -> ApiResult<(StaffId, String)> {
        let app = App {
            views_follow: false,
            ..self
        };
        let (written, token) = app.register_staff(None, input).await?;
        let staff_id = written.find(|_, e| match e {
            Event::StaffRegistered { staff_id, .. } => Some(*staff_id),
            _ => None,
        })?;
        Ok((staff_id, token))
    }

    fn lock_for(&self, stream_id: &str) -> &tokio::sync::Mutex<()> {
        let digest = Sha256::digest(stream_id.as_bytes());
        let index = usize::from(u16::from_be_bytes([digest[0], digest[1]])) % LOCK_STRIPES;
        &self.locks[index]
    }

    /// Loads an aggregate and its stream's revision from the event store.
    async fn load<A: Aggregate>(&self, stream_id: &str) -> ApiResult<(A, u64)> {
        let recorded = yika_store::read_whole_stream(self.store.as_ref(), stream_id).await?;
        let mut state = A::default();
        for r in &recorded {
            state.apply(&Event::decode(&r.event_type, r.schema_version, &r.payload)?);
        }
        Ok((state, recorded.last().map_or(0, |r| r.revision)))
    }

    /// Loads an aggregate, decides `command` on it, and returns the write of its events at the
    /// revision it was loaded at.
    async fn decide_on<A: Aggregate>(
        &self,
        stream_id: &str,
        command: &A::Command,
    ) -> ApiResult<Write> {
        let (state, revision) = self.load::<A>(stream_id).await?;
        let events = state.decide(command)?;
        Ok(Write {
            stream_id: stream_id.to_owned(),
            revision,
            events: with_ids(events),
        })
    }

    /// The events at positions `first..=last`, decoded.
    async fn written(&self, first: u64, last: u64) -> ApiResult<Written> {
        let count = usize::try_from(last - first + 1).expect("small");
        let recorded = self.store.read_all(first - 1, count).await?;
        let mut events = Vec::with_capacity(recorded.len());
        for r in recorded {
            let event = Event::decode(&r.event_type, r.schema_version, &r.payload)?;
            events.push((r, event));
        }
        Ok(Written {
            events,
            last_position: last,
        })
    }

    /// Runs a command: returns the first result for a known idempotency key, otherwise runs
    /// `attempt` (load, decide) and appends its writes, retrying on conflicts. Then waits for
    /// the views to include the write.
    async fn execute<F, Fut>(
        &self,
        actor: Option<&Actor>,
        lock_stream: &str,
        claim: Option<IdempotencyClaim>,
        attempt: F,
    ) -> ApiResult<Written>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = ApiResult<Vec<Write>>>,
    {
        if self.read_only {
            return Err(ApiError::Forbidden(
                "this server is read-only (yika serve --read-only): it answers questions about \
                 the ledger as it stood and records nothing"
                    .to_owned(),
            ));
        }
        let _queued = self.lock_for(lock_stream).lock().await;
        let written = 'attempts: {
            for _ in 0..MAX_ATTEMPTS {
                if let Some(claim) = &claim
                    && let Some((fingerprint, first, last)) =
                        self.store.idempotency_claim(&claim.key).await?
                {
                    if fingerprint != claim.fingerprint {
                        return Err(ApiError::IdempotencyMismatch(claim.key.clone()));
                    }
                    break 'attempts self.written(first, last).await?;
                }
                let writes = attempt().await?;
                let request = self.request(actor, writes, claim.clone());
                let started = std::time::Instant::now();
                let appended = self.store.append(request).await;
                if appended.is_ok() {
                    self.metrics.appended(started.elapsed());
                }
                match appended {
                    Ok(AppendOutcome::Committed {
                        first_position,
                        last_position,
                    })
                    | Ok(AppendOutcome::AlreadyCommitted {
                        first_position,
                        last_position,
                    }) => {
                        break 'attempts self.written(first_position, last_position).await?;
                    }
                    Err(yika_store::StoreError::Conflict { .. }) => {
                        self.metrics.conflicted();
                        tokio::time::sleep(Duration::from_millis(fastrand_jitter())).await;
                    }
                    Err(other) => return Err(other.into()),
                }
            }
            return Err(ApiError::Conflict);
        };
        if self.views_follow
            && !self
                .read
                .wait_for(written.last_position, READ_YOUR_WRITES)
                .await
        {
            tracing::warn!(
                position = written.last_position,
                "views did not catch up in time"
            );
        }
        Ok(written)
    }

    fn request(
        &self,
        actor: Option<&Actor>,
        writes: Vec<Write>,
        idempotency: Option<IdempotencyClaim>,
    ) -> AppendRequest {
        let metadata = Metadata {
            actor_id: actor.map(|a| a.staff_id),
            actor_role: actor.map(|a| a.role),
            terminal: None,
            correlation_id: correlation_id(),
            causation_id: None,
            occurred_at: Utc::now(),
        };
        let metadata = serde_json::to_string(&metadata).expect("metadata serializes");
        AppendRequest {
            writes: writes
                .into_iter()
                .map(|w| StreamWrite {
                    stream_id: w.stream_id,
                    expected: ExpectedRevision::at(w.revision),
                    events: w
                        .events
                        .into_iter()
                        .map(|(event_id, event)| NewEvent {
                            event_id,
                            event_type: event.event_type().to_owned(),
                            schema_version: Event::SCHEMA_VERSION,
                            payload: event.encode(),
                            metadata: metadata.clone(),
                        })
                        .collect(),
                })
                .collect(),
            idempotency,
        }
    }

    /// Registers a staff member and returns the event and the token (shown once). `actor` is
    /// `None` only for the CLI, which is how the first ADMIN is made.
    pub async fn register_staff(
        &self,
        actor: Option<&Actor>,
        input: RegisterStaff,
    ) -> ApiResult<(Written, String)> {
        if let Some(actor) = actor {
            require(actor, Role::Admin)?;
        }
        let staff_no = bounded("staffNo", &input.staff_no, MAX_ID_CHARS)?;
        let stream = streams::staff(&staff_no);
        let token = new_token();
        let hash = token_hash(&token);
        let written = self
            .execute(actor, &stream, None, || async {
                let (staff, revision) = self.load::<Staff>(&stream).await?;
                // A staff member's id is the id of the event that registered them, so a command
                // naming a staff id finds the staff stream in the log (decision 0002).
                let event_id = Uuid::now_v7();
                let events = staff.decide(&StaffCommand::Register {
                    staff_id: StaffId(event_id),
                    staff_no: staff_no.clone(),
                    name: input.name.clone(),
                    role: input.role,
                    department: input.department.clone(),
                    token_sha256: hash.clone(),
                })?;
                Ok(vec![Write {
                    stream_id: stream.clone(),
                    revision,
                    events: vec![(event_id, single(events))],
                }])
            })
            .await?;
        Ok((written, token))
    }

    /// Issues a card or opens an inpatient deposit account.
    pub async fn open_account(
        &self,
        actor: &Actor,
        key: &str,
        input: OpenAccount,
    ) -> ApiResult<AccountId> {
        require(actor, Role::Cashier)?;
        let card_no = bounded("cardNo", &input.card_no, MAX_ID_CHARS)?;
        let card_stream = streams::card(&card_no);
        let claim = claim("openAccount", key, &(actor.staff_id, &input))?;
        let written = self
            .execute(Some(actor), &card_stream, Some(claim), || async {
                let account_id = AccountId(Uuid::now_v7());
                let (card, card_revision) = self.load::<Card>(&card_stream).await?;
                let opened = Account::default().decide(&AccountCommand::Open {
                    account_id,
                    kind: input.kind,
                    patient_id: input.patient_id.clone(),
                    card_no: card_no.clone(),
                    insurance_scheme: input.insurance_scheme,
                })?;
                let assigned = card.decide(&CardCommand::Assign {
                    card_no: card_no.clone(),
                    account_id,
                })?;
                Ok(vec![
                    Write {
                        stream_id: streams::account(account_id),
                        revision: 0,
                        events: with_ids(opened),
                    },
                    Write {
                        stream_id: card_stream.clone(),
                        revision: card_revision,
                        events: with_ids(assigned),
                    },
                ])
            })
            .await?;
        written.find(|_, e| match e {
            Event::AccountOpened { account_id, .. } => Some(*account_id),
            _ => None,
        })
    }

    /// What the owning cashier's stream says about a shift, and a guard on that stream (which
    /// must not move before the append commits: a close racing a receipt is caught).
    async fn shift_context(
        &self,
        shift_id: ShiftId,
        series: &str,
    ) -> ApiResult<(ShiftContext, Write)> {
        let opened = self
            .store
            .find_event(shift_id.as_uuid())
            .await?
            .filter(|r| r.event_type == "ShiftOpened")
            .ok_or_else(|| ApiError::NotFound(format!("shift {shift_id} does not exist")))?;
        let Event::ShiftOpened {
            cashier_id,
            opening_float,
            ..
        } = Event::decode(&opened.event_type, opened.schema_version, &opened.payload)?
        else {
            return Err(ApiError::Internal(
                "a ShiftOpened event that is not one".to_owned(),
            ));
        };
        let (cashier, revision) = self.load::<Cashier>(&opened.stream_id).await?;
        let open = cashier.open.as_ref().filter(|o| o.shift_id == shift_id);
        let context = ShiftContext {
            shift_id,
            cashier_id,
            series: series.to_owned(),
            first_receipt: open.map_or(0, |o| o.first_receipt),
            opening_float,
            open: open.is_some(),
        };
        Ok((
            context,
            Write {
                stream_id: opened.stream_id,
                revision,
                events: Vec::new(),
            },
        ))
    }

    /// The context of `actor`'s own open shift: another cashier's shift is FORBIDDEN, a closed
    /// or unknown one SHIFT_NOT_OPEN.
    async fn own_open_shift(
        &self,
        actor: &Actor,
        shift_id: ShiftId,
    ) -> ApiResult<(ShiftContext, Write)> {
        let (context, guard) = match self.shift_context(shift_id, &actor.staff_no).await {
            Err(ApiError::NotFound(_)) => return Err(DomainError::ShiftNotOpen(shift_id).into()),
            other => other?,
        };
        if context.cashier_id != actor.staff_id {
            return Err(DomainError::ShiftOfAnotherCashier(shift_id).into());
        }
        if !context.open {
            return Err(DomainError::ShiftNotOpen(shift_id).into());
        }
        Ok((context, guard))
    }

    /// Takes a deposit into an account in the cashier's open shift.
    pub async fn deposit(&self, actor: &Actor, key: &str, input: Deposit) -> ApiResult<Written> {
        require(actor, Role::Cashier)?;
        let amount = Amount::new(input.amount)?;
        let claim = claim("deposit", key, &(actor.staff_id, &input))?;
        self.through_shift(
            actor,
            (input.account_id, input.shift_id, input.method),
            claim,
            |_| Ok((Direction::In, amount.money())),
            |_, receipt_no| {
                Ok(AccountCommand::Deposit {
                    amount,
                    method: input.method,
                    shift_id: input.shift_id,
                    cashier_id: actor.staff_id,
                    receipt_no,
                    external_ref: input.external_ref.clone(),
                })
            },
        )
        .await
    }

    /// Records a money movement at a window: the next receipt of the cashier's series is issued
    /// on the shift's stream (where the drawer is checked), the movement on the account's, and
    /// the cashier's stream is guarded. `movement` says from the account which way and how much
    /// money crosses the window (a refund of everything, a settlement's difference); `command`
    /// builds the account command from the receipt number.
    async fn through_shift(
        &self,
        actor: &Actor,
        (account_id, shift_id, method): (AccountId, ShiftId, PaymentMethod),
        claim: IdempotencyClaim,
        movement: impl Fn(&Account) -> ApiResult<(Direction, Money)>,
        command: impl Fn(&Account, String) -> ApiResult<AccountCommand>,
    ) -> ApiResult<Written> {
        let stream = streams::account(account_id);
        let shift_stream = streams::shift(shift_id);
        self.execute(Some(actor), &shift_stream, Some(claim), || async {
            let (context, guard) = self.own_open_shift(actor, shift_id).await?;
            let (account, revision) = self.load_account(&stream).await?;
            let (direction, amount) = movement(&account)?;
            // The account's rules first (closed, balance), then the drawer's.
            account.decide(&command(&account, String::new())?)?;
            let (shift, shift_revision) = self.load::<Shift>(&shift_stream).await?;
            let receipt = shift.decide(&ShiftCommand::IssueReceipt {
                context,
                account_id,
                direction,
                method,
                amount,
            })?;
            let receipt_no = match receipt.first() {
                Some(Event::ReceiptIssued { receipt_no, .. }) => receipt_no.clone(),
                _ => {
                    return Err(ApiError::Internal(
                        "a receipt decision without a receipt".to_owned(),
                    ));
                }
            };
            let event_id = Uuid::now_v7();
            let events = account.decide(&command(&account, receipt_no)?)?;
            Ok(vec![
                Write {
                    stream_id: stream.clone(),
                    revision,
                    events: vec![(event_id, single(events))],
                },
                Write {
                    stream_id: shift_stream.clone(),
                    revision: shift_revision,
                    events: with_ids(receipt),
                },
                guard,
            ])
        })
        .await
    }

    async fn load_account(&self, stream: &str) -> ApiResult<(Account, u64)> {
        let (account, revision) = self.load::<Account>(stream).await?;
        if account.opened.is_none() {
            return Err(DomainError::AccountNotFound.into());
        }
        Ok((account, revision))
    }

    /// Deducts the price of an executed service; idempotent on the order id.
    pub async fn deduct(&self, actor: &Actor, input: Deduct) -> ApiResult<Written> {
        require(actor, Role::Department)?;
        if actor.department.as_deref() != Some(input.department.trim()) {
            return Err(ApiError::Forbidden(
                "a department deducts only for itself".to_owned(),
            ));
        }
        let amount = Amount::new(input.amount)?;
        let order_id = bounded("orderId", &input.order_id, MAX_ID_CHARS)?;
        let stream = streams::account(input.account_id);
        let claim = claim("deduct", &order_id, &input)?;
        self.execute(Some(actor), &stream, Some(claim), || async {
            let (account, revision) = self.load_account(&stream).await?;
            let event_id = Uuid::now_v7();
            let events = account.decide(&AccountCommand::Deduct {
                deduction_id: DeductionId(event_id),
                amount,
                department: input.department.clone(),
                order_id: order_id.clone(),
                item_code: input.item_code.clone(),
                item_name: input.item_name.clone(),
                quantity: input.quantity,
            })?;
            Ok(vec![Write {
                stream_id: stream.clone(),
                revision,
                events: vec![(event_id, single(events))],
            }])
        })
        .await
    }

    /// Gives back (part of) a deduction; only the department that deducted may.
    pub async fn reverse(
        &self,
        actor: &Actor,
        key: &str,
        input: Reverse,
    ) -> ApiResult<DeductionId> {
        require(actor, Role::Department)?;
        let amount = Amount::new(input.amount)?;
        let deduction = self
            .store
            .find_event(input.deduction_id.as_uuid())
            .await?
            .filter(|r| r.event_type == "ChargeDeducted")
            .ok_or(DomainError::DeductionNotFound(input.deduction_id))?;
        let stream = deduction.stream_id;
        let department = actor.department.clone().unwrap_or_default();
        let claim = claim("reverseDeduction", key, &(actor.staff_id, &input))?;
        self.execute(Some(actor), &stream, Some(claim), || async {
            let (account, revision) = self.load_account(&stream).await?;
            let events = account.decide(&AccountCommand::Reverse {
                deduction_id: input.deduction_id,
                amount,
                department: department.clone(),
                reason: input.reason,
            })?;
            Ok(vec![Write {
                stream_id: stream.clone(),
                revision,
                events: with_ids(events),
            }])
        })
        .await?;
        Ok(input.deduction_id)
    }

    /// Pays out the balance (or part of it) in the cashier's open shift.
    pub async fn refund(&self, actor: &Actor, key: &str, input: Refund) -> ApiResult<Written> {
        require(actor, Role::Cashier)?;
        let amount = input.amount.map(Amount::new).transpose()?;
        let claim = claim("refundBalance", key, &(actor.staff_id, &input))?;
        let refunded = |account: &Account| -> ApiResult<Amount> {
            match amount {
                Some(amount) => Ok(amount),
                None if account.balance.is_positive() => Ok(Amount::new(account.balance)?),
                None => Err(DomainError::NothingToRefund(account.balance).into()),
            }
        };
        self.through_shift(
            actor,
            (input.account_id, input.shift_id, input.method),
            claim,
            |account| Ok((Direction::Out, refunded(account)?.money())),
            |account, receipt_no| {
                Ok(AccountCommand::Refund {
                    amount: Some(refunded(account)?),
                    method: input.method,
                    shift_id: input.shift_id,
                    cashier_id: actor.staff_id,
                    receipt_no,
                })
            },
        )
        .await
    }

    /// Settles an inpatient stay at discharge in the cashier's open shift: the scheme's share,
    /// the deposits applied, and the difference paid in (补) or back (退) with a receipt.
    pub async fn settle_discharge(
        &self,
        actor: &Actor,
        key: &str,
        input: SettleDischarge,
    ) -> ApiResult<Written> {
        require(actor, Role::Cashier)?;
        let claim = claim("settleDischarge", key, &(actor.staff_id, &input))?;
        self.through_shift(
            actor,
            (input.account_id, input.shift_id, input.method),
            claim,
            |account| {
                let split =
                    account.discharge_split(input.insurance_scheme, input.insurance_pays)?;
                Ok(if split.patient_receives.is_positive() {
                    (Direction::Out, split.patient_receives)
                } else {
                    (Direction::In, split.patient_pays)
                })
            },
            |_, receipt_no| {
                Ok(AccountCommand::SettleDischarge {
                    insurance_scheme: input.insurance_scheme,
                    insurance_pays: input.insurance_pays,
                    method: input.method,
                    shift_id: input.shift_id,
                    cashier_id: actor.staff_id,
                    receipt_no,
                })
            },
        )
        .await
    }

    /// Closes an account at zero balance and releases its card number.
    pub async fn close_account(
        &self,
        actor: &Actor,
        key: &str,
        account_id: AccountId,
    ) -> ApiResult<()> {
        require(actor, Role::Cashier)?;
        let stream = streams::account(account_id);
        let claim = claim("closeAccount", key, &(actor.staff_id, account_id))?;
        self.execute(Some(actor), &stream, Some(claim), || async {
            let (account, revision) = self.load_account(&stream).await?;
            let closed = account.decide(&AccountCommand::Close)?;
            let card_no = account
                .opened
                .as_ref()
                .map(|o| o.card_no.clone())
                .expect("loaded accounts are opened");
            let card_stream = streams::card(&card_no);
            let (card, card_revision) = self.load::<Card>(&card_stream).await?;
            let released = card.decide(&CardCommand::Release {
                card_no,
                account_id,
            })?;
            Ok(vec![
                Write {
                    stream_id: stream.clone(),
                    revision,
                    events: with_ids(closed),
                },
                Write {
                    stream_id: card_stream,
                    revision: card_revision,
                    events: with_ids(released),
                },
            ])
        })
        .await?;
        Ok(())
    }

    /// Opens a shift for the cashier; one open shift per cashier.
    pub async fn open_shift(
        &self,
        actor: &Actor,
        key: &str,
        window: &str,
        opening_float: Money,
    ) -> ApiResult<ShiftId> {
        require(actor, Role::Cashier)?;
        let stream = streams::cashier(actor.staff_id);
        let claim = claim("openShift", key, &(actor.staff_id, window, opening_float))?;
        let written = self
            .execute(Some(actor), &stream, Some(claim), || async {
                let (cashier, revision) = self.load::<Cashier>(&stream).await?;
                let event_id = Uuid::now_v7();
                let events = cashier.decide(&CashierCommand::OpenShift {
                    shift_id: ShiftId(event_id),
                    cashier_id: actor.staff_id,
                    window: window.to_owned(),
                    opening_float,
                })?;
                Ok(vec![Write {
                    stream_id: stream.clone(),
                    revision,
                    events: vec![(event_id, single(events))],
                }])
            })
            .await?;
        written.find(|_, e| match e {
            Event::ShiftOpened { shift_id, .. } => Some(*shift_id),
            _ => None,
        })
    }

    /// Closes the cashier's open shift with a blind count; the shift's stream is guarded so that
    /// no receipt slips in between.
    pub async fn close_shift(
        &self,
        actor: &Actor,
        shift_id: ShiftId,
        counted_cash: Money,
        counted_other: Vec<(PaymentMethod, Money)>,
    ) -> ApiResult<()> {
        require(actor, Role::Cashier)?;
        let shift_stream = streams::shift(shift_id);
        self.execute(Some(actor), &shift_stream, None, || async {
            let (_, guard) = self.own_open_shift(actor, shift_id).await?;
            let (cashier, _) = self.load::<Cashier>(&guard.stream_id).await?;
            let (shift, shift_revision) = self.load::<Shift>(&shift_stream).await?;
            let events = cashier.decide(&CashierCommand::CloseShift {
                shift_id,
                cashier_id: actor.staff_id,
                counted_cash,
                counted_other: counted_other.clone(),
                receipts_used: shift.receipts_used(),
            })?;
            Ok(vec![
                Write {
                    stream_id: guard.stream_id,
                    revision: guard.revision,
                    events: with_ids(events),
                },
                Write {
                    stream_id: shift_stream.clone(),
                    revision: shift_revision,
                    events: Vec::new(),
                },
            ])
        })
        .await?;
        Ok(())
    }

    /// Counts a shift's drawer: a surprise count (突击盘点) by an AUDITOR, or a routine count by
    /// the CASHIER who owns the shift.
    pub async fn record_cash_count(
        &self,
        actor: &Actor,
        shift_id: ShiftId,
        counted_cash: Money,
        note: Option<String>,
    ) -> ApiResult<Written> {
        let surprise = match actor.role {
            Role::Auditor => true,
            Role::Cashier => false,
            _ => {
                return Err(ApiError::Forbidden(
                    "a count is made by an AUDITOR or the shift's cashier".to_owned(),
                ));
            }
        };
        let shift_stream = streams::shift(shift_id);
        self.execute(Some(actor), &shift_stream, None, || async {
            let (context, guard) = if surprise {
                self.shift_context(shift_id, "").await?
            } else {
                self.own_open_shift(actor, shift_id).await?
            };
            let write = self
                .decide_on::<Shift>(
                    &shift_stream,
                    &ShiftCommand::CountCash {
                        context,
                        counted_by: actor.staff_id,
                        surprise,
                        counted_cash,
                        note: note.clone(),
                    },
                )
                .await?;
            Ok(vec![write, guard])
        })
        .await
    }

    /// A CONTROLLER receives a closed shift's cash for finance (上交财务).
    pub async fn hand_over(
        &self,
        actor: &Actor,
        shift_id: ShiftId,
        amount: Money,
    ) -> ApiResult<()> {
        require(actor, Role::Controller)?;
        let shift_stream = streams::shift(shift_id);
        self.execute(Some(actor), &shift_stream, None, || async {
            let (context, guard) = self.shift_context(shift_id, "").await?;
            let write = self
                .decide_on::<Shift>(
                    &shift_stream,
                    &ShiftCommand::HandOver {
                        context,
                        received_by: actor.staff_id,
                        amount,
                    },
                )
                .await?;
            Ok(vec![write, guard])
        })
        .await?;
        Ok(())
    }

    /// The cashier voids the next receipt number of their open shift (a spoiled form).
    pub async fn void_receipt(
        &self,
        actor: &Actor,
        shift_id: ShiftId,
        reason: &str,
    ) -> ApiResult<()> {
        require(actor, Role::Cashier)?;
        let shift_stream = streams::shift(shift_id);
        self.execute(Some(actor), &shift_stream, None, || async {
            let (context, guard) = self.own_open_shift(actor, shift_id).await?;
            let write = self
                .decide_on::<Shift>(
                    &shift_stream,
                    &ShiftCommand::VoidReceipt {
                        context,
                        reason: reason.to_owned(),
                    },
                )
                .await?;
            Ok(vec![write, guard])
        })
        .await?;
        Ok(())
    }

    /// SUPERVISOR: sets difficulty coefficients in force from a business date on (never in the
    /// past). `today` is the hospital's local date now.
    pub async fn set_coefficients(
        &self,
        actor: &Actor,
        effective_from: chrono::NaiveDate,
        today: chrono::NaiveDate,
        base_ratio: rust_decimal::Decimal,
        coefficients: Vec<(BusinessType, rust_decimal::Decimal)>,
    ) -> ApiResult<Written> {
        require(actor, Role::Supervisor)?;
        let stream = streams::coefficients();
        self.execute(Some(actor), &stream, None, || async {
            Ok(vec![
                self.decide_on::<Coefficients>(
                    &stream,
                    &CoefficientsCommand::Set {
                        effective_from,
                        today,
                        base_ratio,
                        coefficients: coefficients.clone(),
                        set_by: actor.staff_id,
                    },
                )
                .await?,
            ])
        })
        .await
    }

    /// SUPERVISOR: records a quality deduction against a staff member.
    pub async fn record_quality_deduction(
        &self,
        actor: &Actor,
        staff_id: StaffId,
        points: rust_decimal::Decimal,
        reason: &str,
    ) -> ApiResult<Written> {
        require(actor, Role::Supervisor)?;
        // The staff member must exist in the log: their id is their registration's event id.
        let registered = self
            .store
            .find_event(staff_id.as_uuid())
            .await?
            .filter(|r| r.event_type == "StaffRegistered");
        let exists = match registered {
            Some(event) => self.load::<Staff>(&event.stream_id).await?.0.staff_id == Some(staff_id),
            None => false,
        };
        if !exists {
            return Err(ApiError::NotFound(format!(
                "staff member {staff_id} does not exist"
            )));
        }
        let stream = streams::quality(staff_id);
        self.execute(Some(actor), &stream, None, || async {
            Ok(vec![
                self.decide_on::<Quality>(
                    &stream,
                    &RecordQualityDeduction {
                        staff_id,
                        points,
                        reason: reason.to_owned(),
                        recorded_by: actor.staff_id,
                    },
                )
                .await?,
            ])
        })
        .await
    }
}

fn claim(command: &str, key: &str, input: &impl Serialize) -> ApiResult<IdempotencyClaim> {
    let key = bounded("idempotencyKey", key, 128)?;
    Ok(IdempotencyClaim {
        key: format!("{command}:{key}"),
        fingerprint: fingerprint(input),
    })
}

fn with_ids(events: Vec<Event>) -> Vec<(Uuid, Event)> {
    events.into_iter().map(|e| (Uuid::now_v7(), e)).collect()
}

fn single(mut events: Vec<Event>) -> Event {
    assert_eq!(events.len(), 1, "this command decides exactly one event");
    events.pop().expect("one event")
}

fn fastrand_jitter() -> u64 {
    let mut byte = [0u8; 1];
    getrandom::fill(&mut byte).expect("the OS provides randomness");
    1 + u64::from(byte[0] % 8)
}
