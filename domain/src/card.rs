//! The card-number guard: at most one open account holds a card number at a time.

use crate::aggregate::Aggregate;
use crate::ids::AccountId;
use crate::{DomainError, Event};

/// Who holds a card number now.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Card {
    /// The account holding the number, if any.
    pub holder: Option<AccountId>,
}

/// Commands on a card number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CardCommand {
    /// Hand the number to a new account.
    Assign {
        card_no: String,
        account_id: AccountId,
    },
    /// Release the number as its account closes.
    Release {
        card_no: String,
        account_id: AccountId,
    },
}

impl Aggregate for Card {
    type Command = CardCommand;

    fn apply(&mut self, event: &Event) {
        match event {
            Event::CardAssigned { account_id, .. } => self.holder = Some(*account_id),
            Event::CardReleased { .. } => self.holder = None,
            _ => {}
        }
    }

    fn decide(&self, command: &CardCommand) -> Result<Vec<Event>, DomainError> {
        match command {
            CardCommand::Assign {
                card_no,
                account_id,
            } => {
                if let Some(holder) = self.holder {
                    return Err(DomainError::CardAlreadyIssued {
                        card_no: card_no.clone(),
                        holder,
                    });
                }
                Ok(vec![Event::CardAssigned {
                    card_no: card_no.clone(),
                    account_id: *account_id,
                }])
            }
            CardCommand::Release {
                card_no,
                account_id,
            } => {
                // Releasing a number that this account does not hold is a programming error in
                // the caller: the account aggregate only closes once, holding its own number.
                assert_eq!(
                    self.holder,
                    Some(*account_id),
                    "only the holder releases a card number"
                );
                Ok(vec![Event::CardReleased {
                    card_no: card_no.clone(),
                    account_id: *account_id,
                }])
            }
        }
    }
}
