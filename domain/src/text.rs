//! Bounded, printable text fields (card numbers, departments, order ids, names).

use crate::DomainError;

/// Trims `value` and checks that it is non-empty, at most `max_chars` long and free of control
/// characters. `field` names the input in the error.
pub fn bounded(field: &'static str, value: &str, max_chars: usize) -> Result<String, DomainError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(DomainError::InvalidText {
            field,
            reason: "must not be empty",
        });
    }
    if trimmed.chars().count() > max_chars {
        return Err(DomainError::InvalidText {
            field,
            reason: "is too long",
        });
    }
    if trimmed.chars().any(char::is_control) {
        return Err(DomainError::InvalidText {
            field,
            reason: "must not contain control characters",
        });
    }
    Ok(trimmed.to_owned())
}

/// Longest identifier (card number, patient id, order id, item code, staff number).
pub const MAX_ID_CHARS: usize = 64;
/// Longest name (staff name, item name, department, window).
pub const MAX_NAME_CHARS: usize = 128;
