//! Who is calling: bearer tokens (stored only as their SHA-256), the staff member a token
//! belongs to, and the read rules that depend on the caller's role.
//!
//! A token is looked up in the staff view (an index from token hash to staff number), but it
//! is accepted only on the log's word: the staff number's stream must hold a registration or a
//! later `TokenIssued` with that hash, not since replaced, revoked, expired or ended by
//! `StaffDeactivated` (decided by the domain, [`yika_domain::Staff::authenticates`]). An
//! edited view row can hide a staff member, never make one. A token checked is remembered for
//! at most [`RECHECK`], so a revocation, a rotation or a deactivation written by any server or
//! by the command line is refused everywhere within that time.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use yika_domain::ids::streams;
use yika_domain::{Role, Staff, StaffId};

use crate::application::{App, FRESH};
use crate::error::ApiError;

pub use yika_domain::Actor;

/// How long an unknown token waits for the staff view to catch up (staff added by the CLI).
const STAFF_CATCH_UP: Duration = Duration::from_secs(5);
/// The most tokens remembered; beyond it the memory starts afresh.
const MAX_REMEMBERED: usize = 10_000;
/// The longest token accepted.
const MAX_TOKEN_BYTES: usize = 256;
/// How long a token checked against the log is trusted before it is checked again.
pub const RECHECK: Duration = Duration::from_millis(500);

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

/// The caller, as found from the request's bearer token.
#[derive(Debug, Clone)]
pub enum Caller {
    /// No token.
    Anonymous,
    /// A token that matches no staff member.
    Invalid,
    /// An authenticated staff member.
    Staff(Actor),
}

impl Caller {
    /// The authenticated staff member, or UNAUTHENTICATED.
    pub fn actor(&self) -> Result<&Actor, ApiError> {
        match self {
            Caller::Staff(actor) => Ok(actor),
            _ => Err(ApiError::Unauthenticated),
        }
    }
}

/// A token checked against the log.
#[derive(Clone)]
struct Known {
    actor: Actor,
    expires_at: Option<chrono::DateTime<chrono::Utc>>,
    checked: Instant,
}

/// Tokens already checked against the log: token hash → staff member.
#[derive(Default)]
pub struct Tokens {
    known: RwLock<HashMap<String, Known>>,
}

impl Tokens {
    fn get(&self, hash: &str) -> Option<Known> {
        self.known
            .read()
            .expect("the token memory is never poisoned")
            .get(hash)
            .cloned()
    }

    fn remember(&self, hash: String, known: Known) {
        let mut map = self
            .known
            .write()
            .expect("the token memory is never poisoned");
        if map.len() >= MAX_REMEMBERED {
            map.clear();
        }
        map.insert(hash, known);
    }

    fn forget(&self, hash: &str) {
        self.known
            .write()
            .expect("the token memory is never poisoned")
            .remove(hash);
    }
}

impl App {
    /// The staff member a bearer token (without "Bearer ") belongs to, now.
    pub async fn authenticate(&self, token: Option<&str>) -> Caller {
        let Some(token) = token.map(str::trim) else {
            return Caller::Anonymous;
        };
        if token.is_empty() || token.len() > MAX_TOKEN_BYTES {
            return Caller::Invalid;
        }
        let hash = token_hash(token);
        let remembered = self.tokens.get(&hash);
        if let Some(known) = &remembered
            && known.checked.elapsed() < RECHECK
            && known.expires_at.is_none_or(|at| chrono::Utc::now() < at)
        {
            return Caller::Staff(known.actor.clone());
        }
        let staff_no = match remembered {
            Some(known) => Some(known.actor.staff_no),
            None => self.staff_no_of(&hash).await,
        };
        let checked = match staff_no {
            Some(staff_no) => self.check_on_the_log(&staff_no, &hash).await,
            None => Ok(None),
        };
        match checked {
            Ok(Some(known)) => {
                let actor = known.actor.clone();
                self.tokens.remember(hash, known);
                Caller::Staff(actor)
            }
            Ok(None) => {
                self.tokens.forget(&hash);
                Caller::Invalid
            }
            Err(error) => {
                tracing::error!(%error, "token check failed");
                Caller::Invalid
            }
        }
    }

    /// The staff number the token index names for this hash (waiting once for the views to
    /// reach the log's head: staff added by `yika staff add` beside this server).
    async fn staff_no_of(&self, hash: &str) -> Option<String> {
        for attempt in 0..2 {
            match self.read.staff_by_token_hash(hash).await {
                Ok(Some(row)) => return Some(row.staff_no),
                Ok(None) => {}
                Err(error) => {
                    tracing::error!(%error, "token lookup failed");
                    return None;
                }
            }
            if attempt == 0 {
                let Ok(head) = self.store.head_position().await else {
                    return None;
                };
                if !self.read.wait_for(head, STAFF_CATCH_UP).await {
                    tracing::warn!(
                        head,
                        views = self.read.position(),
                        "the views did not reach the log's head while looking up a token"
                    );
                }
            }
        }
        None
    }

    /// The staff member this token authenticates now, on the log's word (the staff number's
    /// stream, read up to its end).
    async fn check_on_the_log(
        &self,
        staff_no: &str,
        hash: &str,
    ) -> Result<Option<Known>, ApiError> {
        let stream = streams::staff(staff_no);
        let staff = FRESH.scope(true, self.load::<Staff>(&stream)).await?;
        let Some(actor) = staff.state.authenticates(hash, chrono::Utc::now()) else {
            return Ok(None);
        };
        Ok(Some(Known {
            actor,
            expires_at: staff.state.expires_at,
            checked: Instant::now(),
        }))
    }
}

/// Finance and audit roles read every report and every shift.
#[must_use]
pub fn is_finance(actor: &Actor) -> bool {
    actor.role.is_finance()
}

/// Read access to an account's statement (every event of the account, from the log): finance
/// and audit roles, and a CASHIER, who prints it for the patient at the window (decision 0021);
/// a DEPARTMENT may not read what other departments charged.
#[must_use]
pub fn may_read_statement(actor: &Actor) -> bool {
    is_finance(actor) || actor.role == Role::Cashier
}

/// The fields of an account a DEPARTMENT terminal may not read: who the patient is and what the
/// account's history holds (seed 003: 「不泄露患者隐私」). It sees the card, the account's state
/// and balance, which is what a deduction needs.
pub const HIDDEN_FROM_DEPARTMENTS: [&str; 8] = [
    "patientId",
    "insuranceScheme",
    "deposited",
    "deducted",
    "reversed",
    "refunded",
    "lastActivityAt",
    "statement",
];

/// Read access to an account's patient and history (every field but the card, state and
/// balance): everyone but a DEPARTMENT.
pub fn require_account_detail(actor: &Actor, field: &str) -> Result<(), ApiError> {
    if actor.role == Role::Department {
        Err(ApiError::Forbidden(format!(
            "a department terminal sees an account's card, status and balance, not {field}"
        )))
    } else {
        Ok(())
    }
}

/// Listing accounts: finance and audit roles any; a CASHIER only a patient's own accounts
/// (`filter.patientId`: the patient at the window lost their card); never a DEPARTMENT.
pub fn may_list_accounts(actor: &Actor, by_patient: bool) -> Result<(), ApiError> {
    match actor.role {
        _ if is_finance(actor) => Ok(()),
        Role::Cashier if by_patient => Ok(()),
        Role::Cashier => Err(ApiError::Forbidden(
            "a cashier lists only one patient's accounts (filter: { patientId })".to_owned(),
        )),
        _ => Err(ApiError::Forbidden(
            "listing accounts is for finance and audit roles (and a cashier, by patient)"
                .to_owned(),
        )),
    }
}

/// An account's history (`balanceAsOf`, `balanceChanged`): everyone but a DEPARTMENT.
pub fn require_account_history(actor: &Actor) -> Result<(), ApiError> {
    if actor.role == Role::Department {
        Err(ApiError::Forbidden(
            "a department terminal does not follow an account's history".to_owned(),
        ))
    } else {
        Ok(())
    }
}

/// Read access to a shift's report: its own cashier, or finance and audit roles.
#[must_use]
pub fn may_read_shift(actor: &Actor, cashier: StaffId) -> bool {
    actor.staff_id == cashier || is_finance(actor)
}

/// Refuses unless the caller has a finance or audit role.
pub fn require_finance(actor: &Actor, what: &str) -> Result<(), ApiError> {
    if is_finance(actor) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!(
            "{what} are for finance and audit roles"
        )))
    }
}

/// Refuses unless the caller has one of `roles`.
pub fn require_any(actor: &Actor, roles: &[Role], why: &str) -> Result<(), ApiError> {
    if roles.contains(&actor.role) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(why.to_owned()))
    }
}
