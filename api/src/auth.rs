//! Who is calling: bearer tokens (stored only as their SHA-256), the staff member a token
//! belongs to, and the read rules that depend on the caller's role.
//!
//! A token is looked up in the staff view (an index from token hash to staff id), but a staff
//! member is authenticated only by the log: the view's row names the `StaffRegistered` event,
//! and the identity, role, department and token hash are taken from that event. An edited view
//! row can hide a staff member, never make one. Tokens checked once are remembered.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::Duration;

use sha2::{Digest, Sha256};
use yika_domain::{Event, Role, StaffId};

use crate::application::App;
use crate::error::ApiError;

pub use yika_domain::Actor;

/// How long an unknown token waits for the staff view to catch up (staff added by the CLI).
const STAFF_CATCH_UP: Duration = Duration::from_secs(5);
/// The most tokens remembered; beyond it the memory starts afresh.
const MAX_REMEMBERED: usize = 10_000;
/// The longest token accepted.
const MAX_TOKEN_BYTES: usize = 256;

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

/// Tokens already checked against the log: token hash → staff member.
#[derive(Default)]
pub struct Tokens {
    known: RwLock<HashMap<String, Actor>>,
}

impl Tokens {
    fn get(&self, hash: &str) -> Option<Actor> {
        self.known
            .read()
            .expect("the token memory is never poisoned")
            .get(hash)
            .cloned()
    }

    fn remember(&self, hash: String, actor: Actor) {
        let mut known = self
            .known
            .write()
            .expect("the token memory is never poisoned");
        if known.len() >= MAX_REMEMBERED {
            known.clear();
        }
        known.insert(hash, actor);
    }
}

impl App {
    /// The staff member a bearer token (without "Bearer ") belongs to.
    pub async fn authenticate(&self, token: Option<&str>) -> Caller {
        let Some(token) = token.map(str::trim) else {
            return Caller::Anonymous;
        };
        if token.is_empty() || token.len() > MAX_TOKEN_BYTES {
            return Caller::Invalid;
        }
        let hash = token_hash(token);
        if let Some(actor) = self.tokens.get(&hash) {
            return Caller::Staff(actor);
        }
        match self.staff_from_log(&hash).await {
            Ok(Some(actor)) => {
                self.tokens.remember(hash, actor.clone());
                Caller::Staff(actor)
            }
            Ok(None) => Caller::Invalid,
            Err(error) => {
                tracing::error!(%error, "token lookup failed");
                Caller::Invalid
            }
        }
    }

    /// The staff member registered with this token hash, as the log says.
    async fn staff_from_log(&self, hash: &str) -> Result<Option<Actor>, ApiError> {
        for attempt in 0..2 {
            if let Some(row) = self.read.staff_by_token_hash(hash).await? {
                return self.registered(row.staff_id, hash).await;
            }
            if attempt == 0 {
                // Staff added by `yika staff add` beside this server: let the views reach the
                // log's head, then look again. Look again even when they already have: the
                // runner may have applied the registration between the lookup and now.
                let head = self.store.head_position().await?;
                if !self.read.wait_for(head, STAFF_CATCH_UP).await {
                    tracing::warn!(
                        head,
                        views = self.read.position(),
                        "the views did not reach the log's head while looking up a token"
                    );
                }
            }
        }
        Ok(None)
    }

    /// The staff member registered by the event `staff_id`, if it carries this token hash.
    async fn registered(&self, staff_id: StaffId, hash: &str) -> Result<Option<Actor>, ApiError> {
        let Some((_, event)) = self
            .event_by_id(staff_id.as_uuid(), "StaffRegistered")
            .await?
        else {
            tracing::warn!(%staff_id, "the staff view names a registration the log does not hold");
            return Ok(None);
        };
        match event {
            Event::StaffRegistered {
                staff_id: registered,
                staff_no,
                role,
                department,
                token_sha256,
                ..
            } if registered == staff_id && token_sha256 == hash => Ok(Some(Actor {
                staff_id,
                staff_no,
                role,
                department,
            })),
            _ => {
                tracing::warn!(%staff_id, "the staff view's token does not match the log's");
                Ok(None)
            }
        }
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
